import assert from "node:assert/strict";
import { deadline, iamSettleSeconds, isPermissionError } from "../../../lib/commands/permissionRetry";

describe("permission errors while grants propagate (lib/commands/permissionRetry.ts)", () => {
    it("recognises what gcloud, Cloud Build, Artifact Registry and Cloud Storage say", () => {
        for (const text of [
            "ERROR: (gcloud.builds.submit) PERMISSION_DENIED: The caller does not have permission",
            "ERROR: (gcloud.builds.submit) The user is forbidden from accessing the bucket [b].",
            "denied: Permission 'artifactregistry.repositories.uploadArtifacts' denied on resource",
            "HTTPError 403: fw-build@p.iam.gserviceaccount.com does not have storage.objects.get access",
            "Required 'compute.instances.create' permission for 'projects/p/zones/z/instances/fwb-1' (403)",
        ]) {
            assert.ok(isPermissionError(text), text);
        }
        for (const text of [
            "Build step failure: build step 0 exited with 1",
            "Image not found",
            "Quota 'IMAGES' exceeded",
        ]) {
            assert.ok(!isPermissionError(text), text);
        }
    });

    it("retries for 7 minutes unless FW_IAM_SETTLE_SECONDS says otherwise", () => {
        assert.equal(iamSettleSeconds({}), 420);
        assert.equal(iamSettleSeconds({ FW_IAM_SETTLE_SECONDS: "0" }), 0);
        assert.equal(iamSettleSeconds({ FW_IAM_SETTLE_SECONDS: "30" }), 30);
        assert.equal(iamSettleSeconds({ FW_IAM_SETTLE_SECONDS: "soon" }), 420);
    });

    it("a deadline passes after its seconds", () => {
        let now = 1000;
        const d = deadline(2, () => now);
        assert.equal(d.passed(), false);
        assert.equal(d.left(), 2000);
        now = 3000;
        assert.equal(d.passed(), true);
        assert.equal(d.left(), 0);
    });
});
