import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { KEPT_COMMAND } from "../../components/imageBuild";
import { RuntimeImage } from "../../components/runtimeImage";
import { find, planOfComponents, preparedLocalBuilds } from "../support/plan";

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

    it("a local build's delete says the image is kept; a Cloud Build one has no delete", async () => {
        const b = await preparedLocalBuilds();
        const declare = (builder: ConstructorParameters<typeof RuntimeImage>[1]["builder"]) => () => {
            new RuntimeImage("runtime", {
                prepared: b.runtime,
                image: "fireworker/runtime",
                base: "python:3.11-slim-bookworm",
                builder,
            });
            return {};
        };
        const local = find(
            await planOfComponents(declare({ kind: "docker", push: false })),
            "command:local:Command",
            "runtime-build",
        );
        assert.equal(local.inputs.delete, KEPT_COMMAND);
        // what it prints, run as the provider runs it: with the build's environment
        const r = spawnSync("/bin/sh", ["-c", KEPT_COMMAND], {
            env: { ...process.env, ...(local.inputs.environment as Record<string, string>) },
            encoding: "utf8",
        });
        const tag = (local.inputs.environment as Record<string, string>).FW_TAGS.split(",")[0];
        assert.deepEqual([r.status, r.stdout], [0, ""]);
        assert.equal(
            r.stderr,
            `build-image: kept fireworker/runtime:${tag}: destroy and replacements leave images in Docker (docker rmi removes one)\n`,
        );
        const cloud = find(
            await planOfComponents(
                declare({
                    kind: "cloudbuild",
                    project: "example-lab-123456",
                    region: "us-central1",
                    serviceAccountEmail: "fw-build@example-lab-123456.iam.gserviceaccount.com",
                    sourceBucket: "bucket",
                }),
            ),
            "command:local:Command",
            "runtime-build",
        );
        assert.equal(cloud.inputs.delete, undefined);
    });
});
