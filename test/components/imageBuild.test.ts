import assert from "node:assert/strict";
import { RuntimeImage } from "../../components/runtimeImage";
import { planOfComponents, preparedLocalBuilds } from "../support/plan";

describe("an image build (components/imageBuild.ts)", function () {
    this.timeout(60000);

    it("the build's result line is checked: a malformed one fails with one line naming the command", async () => {
        const b = await preparedLocalBuilds();
        await assert.rejects(
            planOfComponents(
                () => {
                    const runtime = new RuntimeImage("runtime", {
                        prepared: b.runtime,
                        image: "fireworker/runtime",
                        base: "python:3.11-slim-bookworm",
                        builder: { kind: "docker", push: false },
                    });
                    return { reference: runtime.reference };
                },
                { execute: async () => ({ digest: "sha256:short", reference: "x" }) },
            ),
            /runtime-build: result digest: is not sha256:<64 hex>/,
        );
    });
});
