import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { hasPlaceholderDigest } from "../../../lib/placeholders";
import { manifestFiles } from "../../../lib/plan/buildInputs";
import { type Plan, planJson, planStack } from "../../../lib/plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../../../lib/plan/stackFile";
import { effectiveSettings } from "../../../lib/settings/loadSettings";
import { buildOf, ROOT } from "../../support/plan";

const configOf = (stack: string) => stackConfig(resolveStackFile(stack, ROOT).file);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("the offline plan (lib/plan/offlinePlan.ts)", function () {
    this.timeout(120000);
    let team: Plan;
    before(async () => {
        team = await planStack("team", configOf("team"));
    });

    it("lists every resource sorted by type, then name, with its parent and the options reviewers need", async () => {
        const keys = team.resources.map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(
            keys,
            [...team.resources]
                .sort((a, b) => cmp(a.type, b.type) || cmp(a.name, b.name))
                .map((r) => `${r.type} ${r.name}`),
        );
        const build = team.resources.find((r) => r.name === "runtime-build");
        assert.equal(build?.parent, "runtime");
        const repo = team.resources.find((r) => r.name === "registry-team");
        // dependsOn: what it waits for besides what its inputs come from
        assert.deepEqual(repo?.options, { protect: true, retainOnDelete: true, dependsOn: ["apis-artifactregistry"] });
        const app = team.resources.find((r) => r.name === "application-build");
        assert.ok(!app?.options?.dependsOn?.includes("runtime-build"), "an input's resource is not listed");
        const local = await planStack("local", configOf("local"));
        assert.equal(local.resources.find((r) => r.name === "runtime-build")?.options, undefined);
    });

    it("lists the team stack a developer stack reads, and resolves the outputs", async () => {
        const dev = await planStack("dev-example", configOf("dev-example"));
        const ref = dev.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
        assert.equal(ref?.name, "team");
        assert.deepEqual(ref?.inputs, { name: "organization/fireworker-images/team" });
        assert.equal(dev.outputs.developer, "example");
        assert.match(
            String(dev.outputs.applicationReference),
            /^us-central1-docker\.pkg\.dev\/.*@sha256:[0-9a-f]{64}$/,
        );
    });

    it("keeps no SDK bookkeeping keys and no undefined values in inputs", () => {
        const text = planJson(team);
        assert.ok(!text.includes("__defaults"));
        assert.ok(text.endsWith("}\n"));
        assert.deepEqual(JSON.parse(text), team);
    });

    it("records the stack's effective settings, by their keys", () => {
        assert.deepEqual(team.settings, effectiveSettings(configOf("team"), { stack: "team", projectRoot: ROOT }));
        assert.deepEqual(team.settings?.["runtime.aptPackages"], ["swig", "gfortran"]);
    });

    it("records what each build reads: files with sizes and hashes, requirement lines, layers, upload", () => {
        assert.deepEqual(
            team.builds?.map((b) => [b.name, b.parent, b.kind, b.builder, b.image.split("/").pop()]),
            [
                ["application-build", "application", "application", "cloudbuild", "app"],
                ["runtime-build", "runtime", "runtime", "cloudbuild", "runtime"],
            ],
        );
        for (const b of team.builds ?? []) {
            const env = buildOf(team, b.parent as "runtime" | "application");
            assert.equal(b.context.digest, env.FW_CONTEXT_DIGEST);
            assert.equal(b.from, JSON.parse(env.FW_BUILD_ARGS).from);
            assert.ok(b.upload > b.context.bytes, "the packed context holds the files and the Dockerfile");
        }
        const [app, runtime] = team.builds ?? [];
        const requirements = fs.readFileSync(path.join(ROOT, "example", "requirements.txt"), "utf8");
        assert.deepEqual(
            [...manifestFiles(app.context).keys()],
            [".dockerignore", "fixtures/keep.json", "main.py", "requirements.txt"],
        );
        assert.deepEqual(manifestFiles(runtime.context).get("requirements.txt"), {
            size: Buffer.byteLength(requirements),
            hash: createHash("sha256").update(requirements).digest("hex").slice(0, 12),
            flag: "",
        });
        assert.deepEqual(runtime.requirements, [{ file: "requirements.txt", lines: ["numpy==1.26.4"] }]);
        assert.equal(app.requirements, undefined);
        assert.equal(runtime.layers, 4);
        assert.equal(app.layers, 1);
    });

    it("marks placeholders: build digests, what follows from them, and a developer stack's team outputs", async () => {
        const meanings = new Map((team.placeholders ?? []).map((p) => [p.value, p.meaning]));
        const runtimeRef = String(team.outputs.runtimeReference);
        const digest = runtimeRef.split("@")[1];
        assert.ok(hasPlaceholderDigest(digest), runtimeRef);
        assert.equal(
            meanings.get(digest),
            "registry digest of us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime, known after the build",
        );
        // the application's content tag hashes its FROM, the runtime's placeholder digest
        const appTag = buildOf(team, "application").FW_TAGS;
        assert.match(
            String(meanings.get(appTag)),
            /^content tag of .*\/app; follows the registry digest of .*\/runtime/,
        );
        assert.match(
            String(meanings.get(String(team.outputs.fireworkerImage))),
            /^disk image name; follows the registry digest/,
        );
        // the runtime's own content tag is real: it hashes a base image by tag
        assert.equal(meanings.get(buildOf(team, "runtime").FW_TAGS), undefined);
        const values = (team.placeholders ?? []).map((p) => p.value);
        assert.deepEqual(values, [...values].sort(cmp));
        const dev = await planStack("dev-example", configOf("dev-example"));
        const devMeanings = new Map((dev.placeholders ?? []).map((p) => [p.value, p.meaning]));
        assert.equal(
            devMeanings.get("fw-dev-build@example-lab-123456.iam.gserviceaccount.com"),
            "team stack output developerBuildServiceAccount, read at pulumi up",
        );
        assert.equal(
            devMeanings.get(String(dev.outputs.runtimeReference)),
            "team stack output runtimeReference, read at pulumi up",
        );
    });

    it("hands each image build to an executor instead of faking it, when given one", async () => {
        const seen: string[] = [];
        const plan = await planStack("local", configOf("local"), {
            execute: async (env) => {
                seen.push(env.FW_IMAGE);
                return { digest: `sha256:${"c".repeat(64)}`, reference: `sha256:${"c".repeat(64)}` };
            },
        });
        assert.deepEqual(seen.sort(), ["fireworker/app", "fireworker/runtime"]);
        assert.equal(plan.outputs.applicationReference, `sha256:${"c".repeat(64)}`);
        // real digests are no placeholders; nor is what follows from them
        assert.deepEqual(plan.placeholders, []);
    });
});
