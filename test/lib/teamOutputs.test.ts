import assert from "node:assert/strict";
import {
    ACCOUNT_IDS,
    registryHost,
    repositoryPath,
    serviceAccountEmail,
    sourceBucketName,
    teamImage,
} from "../../lib/names";
import { DIGEST, GCE_NAME } from "../../lib/patterns";
import { TEAM_OUTPUTS, teamOutputPlaceholders } from "../../lib/teamOutputs";

const PROJECT = "example-lab-123456";

describe("the team stack's outputs (lib/teamOutputs.ts)", () => {
    it("lists each output once", () => {
        assert.equal(new Set(TEAM_OUTPUTS).size, TEAM_OUTPUTS.length);
        assert.equal(TEAM_OUTPUTS.length, 13);
    });

    it("the placeholders have exactly the keys of TEAM_OUTPUTS, in its order", () => {
        assert.deepEqual(Object.keys(teamOutputPlaceholders(PROJECT, "us-central1")), [...TEAM_OUTPUTS]);
    });

    it("the placeholders are deterministic", () => {
        assert.deepEqual(
            teamOutputPlaceholders(PROJECT, "us-central1"),
            teamOutputPlaceholders(PROJECT, "us-central1"),
        );
        assert.notDeepEqual(teamOutputPlaceholders(PROJECT, "us-central1"), teamOutputPlaceholders(PROJECT, "us"));
    });

    it("the placeholders use the names of lib/names.ts and the default repositories", () => {
        const team = "us-central1-docker.pkg.dev/example-lab-123456/fireworker";
        const zero = `sha256:${"0".repeat(64)}`;
        assert.deepEqual(teamOutputPlaceholders(PROJECT, "us-central1"), {
            registryHost: "us-central1-docker.pkg.dev",
            teamRepository: team,
            developerRepository: "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev",
            runtimeReference: `${team}/runtime@${zero}`,
            runtimeTaggedReference: `${team}/runtime:team-placeholder`,
            applicationReference: `${team}/app@${zero}`,
            developerBuildServiceAccount: "fw-dev-build@example-lab-123456.iam.gserviceaccount.com",
            fireworkerServiceAccount: "fw-worker@example-lab-123456.iam.gserviceaccount.com",
            sourceBucket: "example-lab-123456-fireworker-build-source",
            bakerServiceAccount: "fw-baker@example-lab-123456.iam.gserviceaccount.com",
            fireworkerImage: "fireworker-0000000000000000",
            fireworkerFamily: "fireworker",
            wheelhouseBucket: "example-lab-123456-fireworker-wheelhouse",
        });
        // the same as built from the names module
        const p = teamOutputPlaceholders(PROJECT, "europe-west4", "team-images", "dev-images");
        assert.equal(p.registryHost, registryHost("europe-west4"));
        assert.equal(p.teamRepository, repositoryPath("europe-west4", PROJECT, "team-images"));
        assert.equal(p.developerRepository, repositoryPath("europe-west4", PROJECT, "dev-images"));
        assert.equal(p.runtimeReference, `${teamImage(p.teamRepository, "runtime")}@${zero}`);
        assert.equal(p.developerBuildServiceAccount, serviceAccountEmail(ACCOUNT_IDS.developerBuild, PROJECT));
        assert.equal(p.fireworkerServiceAccount, serviceAccountEmail(ACCOUNT_IDS.worker, PROJECT));
        assert.equal(p.bakerServiceAccount, serviceAccountEmail(ACCOUNT_IDS.baker, PROJECT));
        assert.equal(p.sourceBucket, sourceBucketName(PROJECT));
    });

    it("the placeholder digests and image names are well formed", () => {
        const p = teamOutputPlaceholders(PROJECT, "us");
        assert.match(p.runtimeReference.split("@")[1], DIGEST);
        assert.match(p.applicationReference.split("@")[1], DIGEST);
        assert.match(p.fireworkerImage, GCE_NAME);
        assert.match(p.fireworkerFamily, GCE_NAME);
        assert.equal(p.teamRepository, "us-docker.pkg.dev/example-lab-123456/fireworker");
    });
});
