import assert from "node:assert/strict";
import { BUILD_COMMAND } from "../../components/imageBuild";
import { RuntimeImage } from "../../components/runtimeImage";
import { find, planOfComponents, preparedLocalBuilds } from "../support/plan";

describe("the runtime image (components/runtimeImage.ts)", function () {
    this.timeout(60000);

    it("a local build is one command whose trigger is the content hash and whose environment is the whole build", async () => {
        const b = await preparedLocalBuilds();
        const plan = await planOfComponents(() => {
            const runtime = new RuntimeImage("runtime", {
                prepared: b.runtime,
                image: "fireworker/runtime",
                base: "python:3.11-slim-bookworm",
                builder: { kind: "docker", push: false },
            });
            return { hash: runtime.contentHash, tags: runtime.tags, reference: runtime.reference };
        });
        const cmd = find(plan, "command:local:Command", "runtime-build", "runtime");
        const env = cmd.inputs.environment as Record<string, string>;
        assert.equal(cmd.inputs.create, BUILD_COMMAND);
        assert.deepEqual(cmd.inputs.triggers, [plan.outputs.hash]);
        assert.equal(env.FW_BUILDER, "docker");
        assert.equal(env.FW_PUSH, "false");
        assert.equal(env.FW_IMAGE, "fireworker/runtime");
        assert.deepEqual(JSON.parse(env.FW_BUILD_ARGS), { from: "python:3.11-slim-bookworm" });
        assert.deepEqual(plan.outputs.tags, [String(plan.outputs.hash).slice(0, 20)]);
        assert.equal(Object.keys(env).filter((k) => k.startsWith("FW_CLOUDBUILD")).length, 0);
        assert.equal(find(plan, "fireworker-images:images:RuntimeImage", "runtime").parent, null);
    });

    it("on Cloud Build, which previous runtime it reuses never changes its content hash, tags or trigger", async () => {
        const b = await preparedLocalBuilds();
        const builder = {
            kind: "cloudbuild" as const,
            project: "example-lab-123456",
            region: "us-central1",
            serviceAccountEmail: "fw-build@example-lab-123456.iam.gserviceaccount.com",
            sourceBucket: "example-lab-123456-source",
        };
        const plan = await planOfComponents(() => {
            const image = "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime";
            const base = "python:3.11-slim-bookworm";
            const a = new RuntimeImage("a", { prepared: b.runtime, image, base, builder });
            const c = new RuntimeImage("c", { prepared: b.runtime, image, base, builder, cacheFrom: [image] });
            return { a: a.contentHash, c: c.contentHash, aTags: a.tags, cTags: c.tags };
        });
        assert.equal(plan.outputs.a, plan.outputs.c);
        assert.deepEqual(plan.outputs.aTags, plan.outputs.cTags);
        const env = (n: string) =>
            find(plan, "command:local:Command", `${n}-build`, n).inputs.environment as Record<string, string>;
        assert.equal(env("a").FW_CACHE_FROM, undefined);
        assert.deepEqual(JSON.parse(env("c").FW_CACHE_FROM), [
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        ]);
        assert.equal(env("a").FW_CLOUDBUILD_CONFIG, env("c").FW_CLOUDBUILD_CONFIG);
    });
});
