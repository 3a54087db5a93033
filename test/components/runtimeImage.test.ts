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
});
