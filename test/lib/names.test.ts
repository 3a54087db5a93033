import assert from "node:assert/strict";
import {
    ACCOUNT_IDS,
    contentTag,
    developerImage,
    localImage,
    nightlyImage,
    registryHost,
    repositoryPath,
    serviceAccountEmail,
    serviceAccountResource,
    sourceBucketName,
    sourceStagingDir,
    teamImage,
} from "../../lib/names";
import { GCE_NAME } from "../../lib/patterns";

describe("names", () => {
    const team = repositoryPath("us-central1", "p", "fireworker");
    const developer = repositoryPath("us-central1", "p", "fireworker-dev");

    it("registry host and repository path", () => {
        assert.equal(registryHost("europe-west4"), "europe-west4-docker.pkg.dev");
        assert.equal(registryHost("us"), "us-docker.pkg.dev");
        assert.equal(team, "us-central1-docker.pkg.dev/p/fireworker");
    });

    it("team images live in the team repository under their names", () => {
        assert.equal(teamImage(team, "runtime"), "us-central1-docker.pkg.dev/p/fireworker/runtime");
    });

    it("developer images are <id>-<name> in the developer repository; nightly images nightly-<app>", () => {
        assert.equal(
            developerImage(developer, "ann", "wcm-code"),
            "us-central1-docker.pkg.dev/p/fireworker-dev/ann-wcm-code",
        );
        assert.equal(nightlyImage(developer, "app"), "us-central1-docker.pkg.dev/p/fireworker-dev/nightly-app");
    });

    it("local images need no registry, or go to the local one", () => {
        assert.equal(localImage(undefined, "app"), "fireworker/app");
        assert.equal(localImage("127.0.0.1:5000", "app"), "127.0.0.1:5000/fireworker/app");
    });

    it("the content tag is the first 20 hex digits of the content hash", () => {
        assert.equal(contentTag("ab".repeat(32)), "abababababababababab");
    });

    it("service accounts: valid account ids (6 to 30), e-mails and resource names", () => {
        for (const id of Object.values(ACCOUNT_IDS)) {
            assert.match(id, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, id);
        }
        assert.equal(new Set(Object.values(ACCOUNT_IDS)).size, Object.values(ACCOUNT_IDS).length);
        const email = serviceAccountEmail(ACCOUNT_IDS.build, "example-lab-123456");
        assert.equal(email, "fw-build@example-lab-123456.iam.gserviceaccount.com");
        assert.equal(
            serviceAccountResource("example-lab-123456", email),
            "projects/example-lab-123456/serviceAccounts/fw-build@example-lab-123456.iam.gserviceaccount.com",
        );
    });

    it("the source bucket is named after the project, and builds stage under source/", () => {
        const bucket = sourceBucketName("example-lab-123456");
        assert.equal(bucket, "example-lab-123456-fireworker-build-source");
        // bucket names: 3 to 63 lowercase letters, digits, dashes (a 30-character project id fits)
        assert.ok(sourceBucketName("a".repeat(30)).length <= 63);
        assert.ok(GCE_NAME.test(bucket));
        assert.equal(sourceStagingDir(bucket), "gs://example-lab-123456-fireworker-build-source/source");
    });
});
