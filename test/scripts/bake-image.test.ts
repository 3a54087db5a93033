import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fakeGcloudBin } from "../support/bake";
import { ROOT } from "../support/plan";

/** Runs scripts/bake-image.ts as the FireworkerImage command does, with only `env`. */
const bakeImage = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/bake-image.ts"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
    });

const spec = {
    FW_BAKE_IMAGE: "fireworker-0123456789abcdef",
    FW_BAKE_FAMILY: "fireworker",
    FW_BAKE_CONFIG: "steps: []\n",
    FW_GCP_PROJECT: "example-lab-123456",
    FW_CLOUDBUILD_REGION: "us-central1",
};

describe("scripts/bake-image.ts (the FireworkerImage command)", function () {
    this.timeout(60000);

    it("refuses a missing key with one line, before running anything", () => {
        const { FW_BAKE_CONFIG: _, ...rest } = spec;
        const r = bakeImage(rest);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            "bake-image: FW_BAKE_CONFIG is not set (this script runs from the program's commands)\n",
        );
    });

    it("refuses a malformed value with one line naming it", () => {
        const r = bakeImage({ ...spec, FW_BAKE_IMAGE: "Fireworker_1" });
        assert.equal(r.status, 1);
        assert.equal(r.stderr, "bake-image: spec image: is not a GCE image name\n");
    });

    it("keeps a failed bake's huge Cloud Build log out of the command's output (the stack's state)", () => {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "fw-bake-image-log-"));
        try {
            const r = bakeImage({
                ...spec,
                FW_BAKE_IMAGE: "fireworker-00000000000000aa",
                PATH: `${fakeGcloudBin()}:${process.env.PATH}`,
                FAKE_STATE: state,
                FAKE_BUILD_STATUS: "FAILURE",
                FAKE_LOG_LINES: "5000", // 2 MB
            });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /preload failed\n/);
            assert.match(r.stderr, /bake of fireworker-00000000000000aa ended FAILURE \(Cloud Build build-0001\)/);
            // execve's limit for one variable is 128 KiB; the command provider keeps stderr
            assert.ok(r.stderr.length < 64 * 1024, `stderr is ${r.stderr.length} bytes`);
            assert.equal(r.stdout, "");
        } finally {
            fs.rmSync(state, { recursive: true, force: true });
            fs.rmSync(path.join(ROOT, ".fireworker", "logs", "bake-fireworker-00000000000000aa.log"), { force: true });
        }
    });

    it("a missing gcloud is one line too", () => {
        const r = bakeImage({ ...spec, PATH: "/nonexistent" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^bake-image: cannot run gcloud: spawn gcloud ENOENT\n$/);
    });
});
