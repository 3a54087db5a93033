import assert from "node:assert/strict";
import { planStack } from "../lib/plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../lib/plan/stackFile";
import { buildOf, byType, find, planOf, ROOT } from "./support/plan";

const SHARED_TYPES = [
    "gcp:artifactregistry/repository:Repository",
    "gcp:serviceaccount/account:Account",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    "gcp:storage/bucket:Bucket",
    "gcp:cloudbuild/trigger:Trigger",
    "gcp:cloudbuildv2/repository:Repository",
    "gcp:pubsub/topic:Topic",
];

describe("stacks (offline plan under mocks)", () => {
    it("team owns the registry, identities and both team images, built on Cloud Build", async () => {
        const plan = await planOf("team");
        assert.equal(byType(plan, "gcp:artifactregistry/repository:Repository").length, 2);
        assert.equal(byType(plan, "gcp:serviceaccount/account:Account").length, 5); // with the nightly scheduler
        find(plan, "fireworker-images:images:RuntimeImage", "runtime");
        find(plan, "fireworker-images:images:ApplicationImage", "application");
        const runtime = buildOf(plan, "runtime");
        const app = buildOf(plan, "application");
        assert.equal(runtime.FW_BUILDER, "cloudbuild");
        assert.equal(runtime.FW_IMAGE, "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime");
        assert.equal(app.FW_IMAGE, "us-central1-docker.pkg.dev/example-lab-123456/fireworker/app");
        // team tags are content tags only: the team repository's tags are immutable
        assert.match(runtime.FW_TAGS, /^[0-9a-f]{20}$/);
        assert.equal(JSON.parse(app.FW_BUILD_ARGS).from, plan.outputs.runtimeReference);
        assert.match(
            String(plan.outputs.runtimeReference),
            /^us-central1-docker\.pkg\.dev\/example-lab-123456\/fireworker\/runtime@sha256:[0-9a-f]{64}$/,
        );
    });

    it("a developer stack owns only its <id>-* application and reads the team stack", async () => {
        const plan = await planOf("dev-example");
        for (const t of SHARED_TYPES) {
            assert.equal(byType(plan, t).length, 0, `developer stack declares ${t}`);
        }
        assert.equal(plan.resources.filter((r) => r.type.startsWith("gcp:")).length, 0);
        assert.equal(find(plan, "pulumi:pulumi:StackReference", "team").type, "pulumi:pulumi:StackReference");
        assert.equal(byType(plan, "fireworker-images:images:RuntimeImage").length, 0);
        const app = buildOf(plan, "application");
        assert.equal(app.FW_IMAGE, "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/example-app");
        assert.match(app.FW_TAGS, /^[0-9a-f]{20},latest$/);
        // FROM the team runtime, by digest
        assert.match(
            JSON.parse(app.FW_BUILD_ARGS).from,
            /^us-central1-docker\.pkg\.dev\/example-lab-123456\/fireworker\/runtime@sha256:0{64}$/,
        );
        assert.equal(app.FW_GCP_PROJECT, "example-lab-123456");
    });

    it("a developer stack reads stack team of this project in its own Pulumi organization, unless teamStack says", async () => {
        const { file } = resolveStackFile("dev-example", ROOT);
        const config = stackConfig(file);
        assert.equal(config["fireworker-images:teamStack"], undefined, "the example leaves the default");
        const read = async (c: Record<string, string>, organization?: string) =>
            find(await planStack("dev-example", c, { organization }), "pulumi:pulumi:StackReference", "team").inputs
                .name;
        // Pulumi Cloud: the user's organization; a self-managed backend reports "organization"
        assert.equal(await read(config, "my-lab"), "my-lab/fireworker-images/team");
        assert.equal(await read(config), "organization/fireworker-images/team");
        assert.equal(
            await read({ ...config, "fireworker-images:teamStack": "other-org/fireworker-images/lab-team" }, "my-lab"),
            "other-org/fireworker-images/lab-team",
        );
    });

    it("an experimental developer runtime is the developer's own and never the team's", async () => {
        const plan = await planOf("dev-example", {
            "fireworker-images:runtime": JSON.stringify({ experimental: true, aptPackages: ["swig"] }),
        });
        const runtime = buildOf(plan, "runtime");
        assert.equal(runtime.FW_IMAGE, "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/example-runtime");
        const app = buildOf(plan, "application");
        assert.equal(JSON.parse(app.FW_BUILD_ARGS).from, plan.outputs.runtimeReference);
        assert.match(String(plan.outputs.runtimeReference), /fireworker-dev\/example-runtime@sha256:/);
        assert.equal(plan.resources.filter((r) => r.type.startsWith("gcp:")).length, 0);
    });

    it("a local stack declares no Google resource and builds on the local engine", async () => {
        const plan = await planOf("local");
        assert.deepEqual(
            plan.resources.filter((r) => r.type.startsWith("gcp:") || r.type.startsWith("pulumi:")),
            [],
        );
        const runtime = buildOf(plan, "runtime");
        assert.equal(runtime.FW_BUILDER, "docker");
        assert.equal(runtime.FW_IMAGE, "fireworker/runtime");
        assert.equal(runtime.FW_PUSH, "false");
        assert.equal(runtime.FW_CLOUDBUILD_CONFIG, undefined);
    });

    it("a local stack with a local registry pushes there", async () => {
        const plan = await planOf("local", {
            "fireworker-images:registry": JSON.stringify({ localHost: "127.0.0.1:5000" }),
        });
        const app = buildOf(plan, "application");
        assert.equal(app.FW_IMAGE, "127.0.0.1:5000/fireworker/app");
        assert.equal(app.FW_PUSH, "true");
    });

    it("no command gets its previous output back in its environment (E2BIG on update): every stack", async () => {
        for (const stack of ["team", "dev-example", "local"]) {
            const commands = byType(await planOf(stack), "command:local:Command");
            assert.ok(commands.length > 0, stack);
            for (const c of commands) {
                assert.equal(c.inputs.addPreviousOutputInEnv, false, `${stack}: ${c.name}`);
            }
        }
    });

    it("invalid settings declare nothing", async () => {
        await assert.rejects(
            planOf("team", { "fireworker-images:runtime": JSON.stringify({ base: "python:3.11-alpine" }) }),
            /Alpine image/,
        );
    });
});
