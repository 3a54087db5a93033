import assert from "node:assert/strict";
import { parse } from "yaml";
import { ApplicationImage } from "../../components/applicationImage";
import { find, planOfComponents, preparedLocalBuilds } from "../support/plan";

const DIGEST = `sha256:${"d".repeat(64)}`;

describe("the application image (components/applicationImage.ts)", function () {
    this.timeout(60000);

    it("a Cloud Build build carries its config, project, region, staging folder and account; moving tags follow the content tag", async () => {
        const b = await preparedLocalBuilds();
        const plan = await planOfComponents(() => {
            const app = new ApplicationImage("application", {
                prepared: b.application,
                image: "us-docker.pkg.dev/p/r/ann-app",
                runtimeReference: `us-docker.pkg.dev/p/r/runtime@${DIGEST}`,
                movingTags: ["latest"],
                builder: {
                    kind: "cloudbuild",
                    project: "example-lab-123456",
                    region: "us-east1",
                    serviceAccountEmail: "fw-dev-build@example-lab-123456.iam.gserviceaccount.com",
                    sourceBucket: "bucket",
                },
            });
            return { hash: app.contentHash };
        });
        const env = find(plan, "command:local:Command", "application-build", "application").inputs
            .environment as Record<string, string>;
        const tag = String(plan.outputs.hash).slice(0, 20);
        assert.equal(env.FW_TAGS, `${tag},latest`);
        assert.equal(env.FW_PUSH, "true");
        assert.equal(env.FW_GCP_PROJECT, "example-lab-123456");
        assert.equal(env.FW_CLOUDBUILD_REGION, "us-east1");
        assert.equal(env.FW_SOURCE_STAGING_DIR, "gs://bucket/source");
        assert.equal(JSON.parse(env.FW_BUILD_ARGS).from, `us-docker.pkg.dev/p/r/runtime@${DIGEST}`);
        const config = parse(env.FW_CLOUDBUILD_CONFIG);
        assert.equal(
            config.serviceAccount,
            "projects/example-lab-123456/serviceAccounts/fw-dev-build@example-lab-123456.iam.gserviceaccount.com",
        );
        // Cloud Build pushes the content tag only (a lost push is then read back); runBuild moves latest
        assert.deepEqual(config.images, [`us-docker.pkg.dev/p/r/ann-app:${tag}`]);
        assert.deepEqual(config.tags, [`fw-content-${tag}`]);
        assert.equal(find(plan, "fireworker-images:images:ApplicationImage", "application").parent, null);
    });
});
