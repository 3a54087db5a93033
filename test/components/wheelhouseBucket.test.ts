import assert from "node:assert/strict";
import type { Plan } from "../../lib/plan/offlinePlan";
import { buildOf, byType, find, patchSetting, planOf } from "../support/plan";

describe("the wheelhouse bucket (team plan)", function () {
    this.timeout(60_000);
    let plan: Plan;
    before(async () => {
        plan = await planOf("team");
    });

    it("is private, protected, and lets kept wheels expire", () => {
        const bucket = find(plan, "gcp:storage/bucket:Bucket", "wheelhouse-bucket", "wheelhouse");
        assert.equal(bucket.inputs.name, "example-lab-123456-fireworker-wheelhouse");
        assert.equal(bucket.inputs.location, "us-central1");
        assert.equal(bucket.inputs.uniformBucketLevelAccess, true);
        assert.equal(bucket.inputs.publicAccessPrevention, "enforced");
        assert.equal(bucket.inputs.forceDestroy, false);
        assert.deepEqual(bucket.inputs.lifecycleRules, [{ action: { type: "Delete" }, condition: { age: 90 } }]);
        assert.equal(bucket.options?.protect, true);
        assert.deepEqual(bucket.options?.dependsOn, ["apis-storage"]);
        assert.equal(plan.outputs.wheelhouseBucket, bucket.inputs.name);
    });

    it("only the team's build account writes it (create and read, never delete); developers' builds read", () => {
        const grants = byType(plan, "gcp:storage/bucketIAMMember:BucketIAMMember").filter(
            (g) => g.parent === "wheelhouse",
        );
        const roles = grants.map((g) => `${g.inputs.member} ${g.inputs.role}`).sort();
        assert.deepEqual(roles, [
            "serviceAccount:fw-build@example-lab-123456.iam.gserviceaccount.com roles/storage.objectCreator",
            "serviceAccount:fw-build@example-lab-123456.iam.gserviceaccount.com roles/storage.objectViewer",
            "serviceAccount:fw-dev-build@example-lab-123456.iam.gserviceaccount.com roles/storage.objectViewer",
        ]);
        for (const g of grants) assert.equal(g.inputs.bucket, "example-lab-123456-fireworker-wheelhouse");
    });

    it("the runtime build waits for the write grant, fetches and stores; the application build has no wheelhouse", () => {
        const runtime = find(plan, "command:local:Command", "runtime-build", "runtime");
        assert.ok(runtime.options?.dependsOn?.includes("wheelhouse-build-creator"));
        const config = buildOf(plan, "runtime").FW_CLOUDBUILD_CONFIG;
        const ids = [...config.matchAll(/^ {2}- id: (\S+)$/gm)].map((m) => m[1]);
        assert.deepEqual(ids, [
            "wheelhouse-fetch",
            "wheelhouse-serve",
            "build",
            "wheelhouse-collect",
            "wheelhouse-store",
        ]);
        assert.doesNotMatch(buildOf(plan, "application").FW_CLOUDBUILD_CONFIG, /wheelhouse/);
    });

    it("is not declared when the runtime keeps no wheelhouse", async () => {
        const off = await planOf("team", patchSetting("team", "runtime", { wheelhouse: false }));
        assert.deepEqual(
            off.resources.filter((r) => r.name.startsWith("wheelhouse")),
            [],
        );
        assert.doesNotMatch(buildOf(off, "runtime").FW_CLOUDBUILD_CONFIG, /wheelhouse/);
        assert.equal(off.outputs.wheelhouseBucket, undefined);
    });

    it("a developer's experimental runtime reads the team's wheelhouse and never stores into it", async () => {
        const dev = await planOf(
            "dev-example",
            patchSetting("dev-example", "runtime", { experimental: true, wheelhouse: true }),
        );
        const config = buildOf(dev, "runtime").FW_CLOUDBUILD_CONFIG;
        assert.match(config, /id: wheelhouse-fetch/);
        assert.match(config, /gs:\/\/example-lab-123456-fireworker-wheelhouse\/[0-9a-f]{20}/);
        assert.doesNotMatch(config, /wheelhouse-store/);
        assert.deepEqual(
            dev.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket"),
            [],
        );
    });
});
