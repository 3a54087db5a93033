import assert from "node:assert/strict";
import { ALL_APIS, apisFor } from "../../../lib/project/apis";

describe("the APIs a team stack uses (lib/project/apis.ts)", () => {
    it("always the registry, builds, IAM and its project grants, logs, the gcr topic and the bucket", () => {
        assert.deepEqual(apisFor({ fireworker: false, triggers: false, nightly: false }), [
            "artifactregistry.googleapis.com",
            "cloudbuild.googleapis.com",
            "cloudresourcemanager.googleapis.com",
            "iam.googleapis.com",
            "logging.googleapis.com",
            "pubsub.googleapis.com",
            "storage.googleapis.com",
        ]);
    });

    it("compute only with the bake (enabling it creates the Compute Engine default account)", () => {
        assert.ok(apisFor({ fireworker: true, triggers: false, nightly: false }).includes("compute.googleapis.com"));
        assert.ok(!apisFor({ fireworker: false, triggers: true, nightly: true }).includes("compute.googleapis.com"));
    });

    it("Secret Manager with the triggers (the GitHub connection), Cloud Scheduler with the nightly", () => {
        const all = apisFor({ fireworker: true, triggers: true, nightly: true });
        assert.deepEqual(all, [...ALL_APIS]);
        assert.ok(
            !apisFor({ fireworker: true, triggers: false, nightly: false }).includes("secretmanager.googleapis.com"),
        );
        assert.ok(
            !apisFor({ fireworker: true, triggers: true, nightly: false }).includes("cloudscheduler.googleapis.com"),
        );
    });
});
