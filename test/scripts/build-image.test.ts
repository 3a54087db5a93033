import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { buildSpecToEnvironment } from "../../lib/build/buildSpec";
import { ROOT } from "../support/plan";

/** Runs scripts/build-image.ts as the image build commands do, with only `env`. */
const buildImage = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/build-image.ts"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
    });

const env = buildSpecToEnvironment({
    kind: "runtime",
    builder: "docker",
    image: "fireworker/runtime",
    tags: ["0123456789abcdef0123"],
    contextDigest: "0".repeat(64),
    context: { kind: "files", files: [{ src: "example/requirements.txt", dest: "requirements.txt" }] },
    dockerfile: "FROM x:1\n",
    buildArgs: {},
    push: false,
});

describe("scripts/build-image.ts (the image build commands)", function () {
    this.timeout(60000);

    it("refuses a missing or malformed key with one line, before running anything", () => {
        const { FW_TAGS: _, ...rest } = env;
        const missing = buildImage(rest);
        assert.equal(missing.status, 1);
        assert.equal(
            missing.stderr,
            "build-image: FW_TAGS is not set (this script runs from the program's commands)\n",
        );
        const bad = buildImage({ ...env, FW_CONTEXT: "{not json" });
        assert.equal(bad.status, 1);
        assert.equal(bad.stderr, 'build-image: FW_CONTEXT is not JSON: "{not json"\n');
        const kind = buildImage({ ...env, FW_BUILDER: "podman" });
        assert.equal(kind.stderr, "build-image: spec builder: is not docker or cloudbuild\n");
    });

    it("refuses a context that changed since the plan, with one line", () => {
        const r = buildImage(env);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^build-image: the context of fireworker\/runtime changed since it was planned \(000000000000 planned, [0-9a-f]{12} now\); run pulumi up again\n$/,
        );
    });
});
