import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Plan } from "../../lib/plan/offlinePlan";
import { byType, find, planOf, ROOT } from "../support/plan";

const IAM_TYPES =
    /^gcp:.*\/(iAMMember|iamMember|repositoryIamMember|bucketIAMMember|iAMBinding|iamBinding|iAMPolicy|iamPolicy|.*IamMember|.*IamBinding|.*IamPolicy|.*IAMMember|.*IAMBinding|.*IAMPolicy):/;
const PRIMITIVE = ["roles/owner", "roles/editor", "roles/viewer"];
const PUBLIC = ["allUsers", "allAuthenticatedUsers"];

/** Every IAM grant in a plan, as "member role [on what]". */
function grants(plan: Plan): string[] {
    return plan.resources
        .filter((r) => IAM_TYPES.test(r.type))
        .map((r) => {
            const i = r.inputs as Record<string, string>;
            const on = i.repository
                ? `repo:${i.repository}`
                : i.bucket
                  ? `bucket:${i.bucket}`
                  : i.serviceAccountId
                    ? `sa:${i.serviceAccountId.split("/").pop()}`
                    : `project:${i.project}`;
            return `${i.member} ${i.role} ${on}`;
        })
        .sort();
}

describe("team pipeline: registry, identities, triggers", () => {
    let plan: Plan;
    before(async () => {
        plan = await planOf("team");
    });

    it("has an immutable team repository and a cleaned developer repository, both protected", () => {
        const team = find(plan, "gcp:artifactregistry/repository:Repository", "registry-team");
        const dev = find(plan, "gcp:artifactregistry/repository:Repository", "registry-developer");
        assert.deepEqual(team.inputs.dockerConfig, { immutableTags: true });
        assert.equal(team.inputs.cleanupPolicies, undefined);
        assert.deepEqual(dev.inputs.dockerConfig, { immutableTags: false });
        assert.deepEqual(dev.inputs.cleanupPolicies, [
            { action: "DELETE", condition: { olderThan: "604800s", tagState: "UNTAGGED" }, id: "delete-untagged" },
            { action: "DELETE", condition: { olderThan: "2592000s", tagState: "ANY" }, id: "delete-old" },
            { action: "KEEP", id: "keep-recent", mostRecentVersions: { keepCount: 5 } },
        ]);
        for (const r of [team, dev]) {
            assert.deepEqual(r.options, { protect: true, retainOnDelete: true });
            assert.equal(r.inputs.location, "us-central1");
            assert.equal(r.inputs.format, "DOCKER");
        }
    });

    it("has the four service accounts (five with a nightly schedule), protected", () => {
        const accounts = byType(plan, "gcp:serviceaccount/account:Account")
            .map((r) => `${r.inputs.accountId} ${JSON.stringify(r.options)}`)
            .sort();
        const kept = JSON.stringify({ protect: true, retainOnDelete: true });
        assert.deepEqual(
            accounts,
            ["fw-baker", "fw-build", "fw-dev-build", "fw-nightly", "fw-worker"].map((a) => `${a} ${kept}`),
        );
    });

    it("grants exactly these roles, non-authoritatively", () => {
        const sa = (id: string) => `serviceAccount:${id}@example-lab-123456.iam.gserviceaccount.com`;
        const expected = [
            `${sa("fw-build")} roles/artifactregistry.writer repo:fireworker`,
            `${sa("fw-build")} roles/artifactregistry.writer repo:fireworker-dev`,
            `${sa("fw-build")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-build-source`,
            `${sa("fw-dev-build")} roles/artifactregistry.writer repo:fireworker-dev`,
            `${sa("fw-dev-build")} roles/artifactregistry.reader repo:fireworker`,
            `${sa("fw-dev-build")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-dev-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-build-source`,
            `${sa("fw-worker")} roles/artifactregistry.reader repo:fireworker`,
            `${sa("fw-worker")} roles/artifactregistry.reader repo:fireworker-dev`,
            `${sa("fw-worker")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-baker")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-baker")} roles/compute.instanceAdmin.v1 project:example-lab-123456`,
            `${sa("fw-baker")} roles/compute.storageAdmin project:example-lab-123456`,
            `${sa("fw-baker")} roles/iam.serviceAccountUser sa:fw-worker@example-lab-123456.iam.gserviceaccount.com`,
            `${sa("fw-nightly")} roles/cloudbuild.builds.editor project:example-lab-123456`,
            `${sa("fw-nightly")} roles/iam.serviceAccountUser sa:fw-build@example-lab-123456.iam.gserviceaccount.com`,
            ...["user:ann@example.org", "group:lab-developers@example.org"].flatMap((m) => [
                `${m} roles/artifactregistry.writer repo:fireworker-dev`,
                `${m} roles/artifactregistry.reader repo:fireworker`,
                `${m} roles/cloudbuild.builds.editor project:example-lab-123456`,
                `${m} roles/storage.objectCreator bucket:example-lab-123456-fireworker-build-source`,
                `${m} roles/iam.serviceAccountUser sa:fw-dev-build@example-lab-123456.iam.gserviceaccount.com`,
            ]),
        ];
        const got = grants(plan);
        // grants added by other components (e.g. the Fireworker bake) must be listed here too
        assert.deepEqual(
            got.filter((g) => !expected.includes(g)),
            [],
            "unexpected grants",
        );
        assert.deepEqual(expected.filter((g) => !got.includes(g)).sort(), [], "missing grants");
    });

    it("uses no authoritative IAM (bindings or policies)", () => {
        assert.deepEqual(
            plan.resources
                .filter((r) => /(Binding|Policy):/i.test(r.type) && r.type.includes("iam"))
                .map((r) => r.type),
            [],
        );
    });

    it("triggers rebuild on pushes to main touching their inputs, as the build account", () => {
        const runtime = find(plan, "gcp:cloudbuild/trigger:Trigger", "triggers-runtime");
        const app = find(plan, "gcp:cloudbuild/trigger:Trigger", "triggers-application");
        const repo = find(plan, "gcp:cloudbuildv2/repository:Repository", "triggers-repository");
        assert.equal(repo.inputs.remoteUri, "https://github.com/example-lab/fireworker-images.git");
        assert.equal(
            repo.inputs.parentConnection,
            "projects/example-lab-123456/locations/us-central1/connections/github",
        );
        assert.deepEqual(runtime.inputs.includedFiles, [
            "example/requirements.txt",
            "lib/**",
            "package-lock.json",
            "stacks/Pulumi.team.yaml",
        ]);
        assert.deepEqual(app.inputs.includedFiles, [
            "example/**",
            "lib/**",
            "package-lock.json",
            "stacks/Pulumi.team.yaml",
        ]);
        for (const t of [runtime, app]) {
            assert.deepEqual((t.inputs.repositoryEventConfig as Record<string, unknown>).push, { branch: "^main$" });
            assert.equal(
                t.inputs.serviceAccount,
                "projects/example-lab-123456/serviceAccounts/fw-build@example-lab-123456.iam.gserviceaccount.com",
            );
            const build = t.inputs.build as { substitutions: Record<string, string>; steps: { envs?: string[] }[] };
            assert.equal(build.substitutions._RUNTIME_REF, plan.outputs.runtimeReference);
        }
        assert.ok((runtime.inputs.build as { steps: { envs: string[] }[] }).steps[0].envs.includes("FW_BUILD=runtime"));
        assert.ok((app.inputs.build as { steps: { envs: string[] }[] }).steps[0].envs.includes("FW_BUILD=application"));
    });

    it("runs the nightly application build on a schedule into nightly-<app>", () => {
        const nightly = find(plan, "gcp:cloudbuild/trigger:Trigger", "triggers-nightly");
        const envs = (nightly.inputs.build as { steps: { envs: string[] }[] }).steps[0].envs;
        assert.ok(
            envs.includes("FW_IMAGE_OVERRIDE=us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app"),
        );
        const job = find(plan, "gcp:cloudscheduler/job:Job", "triggers-nightly-schedule");
        assert.equal(job.inputs.schedule, "0 3 * * *");
        assert.equal(
            (job.inputs.httpTarget as Record<string, string>).uri,
            "https://cloudbuild.googleapis.com/v1/projects/example-lab-123456/locations/us-central1/triggers/fireworker-nightly-id:run",
        );
    });

    it("without a repository there are no triggers, and without a schedule no nightly", async () => {
        const noRepo = await planOf("team", { "fireworker-images:triggers": JSON.stringify({}) });
        assert.equal(byType(noRepo, "gcp:cloudbuild/trigger:Trigger").filter((t) => t.parent === "triggers").length, 0);
        const noNightly = await planOf("team", { "fireworker-images:triggers": JSON.stringify({ repository: "a/b" }) });
        assert.deepEqual(
            byType(noNightly, "gcp:cloudbuild/trigger:Trigger")
                .filter((t) => t.parent === "triggers")
                .map((t) => t.name),
            ["triggers-application", "triggers-runtime"],
        );
        assert.equal(
            byType(noNightly, "gcp:serviceaccount/account:Account").filter((a) => a.inputs.accountId === "fw-nightly")
                .length,
            0,
        );
    });
});

describe("every example stack: least privilege", () => {
    const stacks = fs
        .readdirSync(path.join(ROOT, "stacks"))
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .map((f) => f.replace(/^Pulumi\.|\.yaml$/g, ""));
    for (const stack of stacks) {
        it(`${stack}: no primitive role and no public member anywhere`, async () => {
            const plan = await planOf(stack);
            const text = JSON.stringify(plan.resources);
            for (const role of PRIMITIVE) assert.ok(!text.includes(`"${role}"`), `${stack} grants ${role}`);
            for (const who of PUBLIC) assert.ok(!text.includes(who), `${stack} grants to ${who}`);
        });
    }

    it("the scan itself finds a primitive role and a public member", () => {
        const bad = JSON.stringify([{ inputs: { role: "roles/editor", member: "allUsers" } }]);
        assert.ok(PRIMITIVE.some((r) => bad.includes(`"${r}"`)) && PUBLIC.some((p) => bad.includes(p)));
    });
});
