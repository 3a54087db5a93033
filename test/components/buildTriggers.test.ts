import assert from "node:assert/strict";
import type { Plan } from "../../lib/plan/offlinePlan";
import { byType, find, patchSetting, planOf } from "../support/plan";

describe("build triggers (team plan)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planOf("team");
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
        // what the content hash reads, and the program itself (it plans the build at the pushed commit)
        const program = [
            "Pulumi.yaml",
            "components/**",
            "index.ts",
            "lib/**",
            "package-lock.json",
            "package.json",
            "scripts/**",
            "stacks/Pulumi.team.yaml",
            "tsconfig.json",
        ];
        assert.deepEqual(runtime.inputs.includedFiles, ["example/requirements.txt", ...program].sort());
        assert.deepEqual(app.inputs.includedFiles, ["example/**", ...program].sort());
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
        // the runtime trigger builds FROM the digest this plan resolved its base's tag to; the
        // application's builds FROM the runtime and carries none
        const runtimeBuild = JSON.parse(
            (
                find(plan, "command:local:Command", "runtime-build", "runtime").inputs.environment as Record<
                    string,
                    string
                >
            ).FW_BUILD_ARGS,
        ) as { from: string };
        const subs = (t: typeof runtime) => (t.inputs.build as { substitutions: Record<string, string> }).substitutions;
        assert.equal(subs(runtime)._BASE_TAG, "python:3.11-slim-bookworm");
        assert.equal(subs(runtime)._BASE_REF, runtimeBuild.from);
        assert.match(subs(runtime)._BASE_REF, /^python@sha256:[0-9a-f]{64}$/);
        assert.equal(subs(app)._BASE_REF, undefined);
    });

    it("runs the nightly application build on a schedule into nightly-<app>", () => {
        const nightly = find(plan, "gcp:cloudbuild/trigger:Trigger", "triggers-nightly");
        const envs = (nightly.inputs.build as { steps: { envs: string[] }[] }).steps[0].envs;
        assert.ok(
            envs.includes("FW_IMAGE_OVERRIDE=us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app"),
        );
        const job = find(plan, "gcp:cloudscheduler/job:Job", "triggers-nightly-schedule");
        assert.equal(job.inputs.schedule, "0 3 * * *");
        const target = job.inputs.httpTarget as { uri: string; body: string; headers: Record<string, string> };
        assert.equal(
            target.uri,
            "https://cloudbuild.googleapis.com/v1/projects/example-lab-123456/locations/us-central1/triggers/fireworker-nightly-id:run",
        );
        // RunBuildTriggerRequest: JSON with the required projectId and triggerId
        assert.deepEqual(target.headers, { "Content-Type": "application/json" });
        assert.deepEqual(JSON.parse(Buffer.from(target.body, "base64").toString("utf8")), {
            projectId: "example-lab-123456",
            triggerId: "fireworker-nightly-id",
            source: { branchName: "main" },
        });
        assert.deepEqual(nightly.inputs.sourceToBuild, {
            ref: "refs/heads/main",
            repoType: "GITHUB",
            repository: "triggers-repository-id",
        });
    });

    it("the nightly builds the head of triggers.branch, not a hard-coded main", async () => {
        const other = await planOf("team", patchSetting("team", "triggers", { branch: "^release$" }));
        const nightly = find(other, "gcp:cloudbuild/trigger:Trigger", "triggers-nightly");
        assert.equal((nightly.inputs.sourceToBuild as { ref: string }).ref, "refs/heads/release");
        const job = find(other, "gcp:cloudscheduler/job:Job", "triggers-nightly-schedule");
        const body = JSON.parse(Buffer.from((job.inputs.httpTarget as { body: string }).body, "base64").toString());
        assert.equal(body.source.branchName, "release");
        for (const t of byType(other, "gcp:cloudbuild/trigger:Trigger").filter(
            (r) => r.name !== "triggers-nightly" && r.parent === "triggers",
        )) {
            assert.deepEqual((t.inputs.repositoryEventConfig as { push: unknown }).push, { branch: "^release$" });
        }
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
