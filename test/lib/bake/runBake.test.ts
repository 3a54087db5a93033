import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bakeSpecFromEnvironment } from "../../../lib/bake/bakeSpec";
import { runBake } from "../../../lib/bake/runBake";
import { fakeGcloudBin, PROJECT } from "../../support/bake";

describe("the bake runner (lib/bake/runBake.ts) with a fake gcloud", () => {
    const dirs: string[] = [];
    let fakeBin: string;
    const imageName = "fireworker-0123456789abcdef";
    before(() => {
        fakeBin = fakeGcloudBin();
        dirs.push(fakeBin);
    });
    after(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const newState = () => {
        const d = mkdtempSync(path.join(os.tmpdir(), "fw-bake-runner-"));
        dirs.push(d);
        return d;
    };

    it("pulumi up's runner writes the config, submits it asynchronously and follows the build", async () => {
        const root = newState();
        const state = newState();
        const env = { PATH: `${fakeBin}:${process.env.PATH}`, FAKE_STATE: state };
        const spec = bakeSpecFromEnvironment({
            FW_BAKE_IMAGE: imageName,
            FW_BAKE_FAMILY: "fireworker",
            FW_BAKE_CONFIG: "steps: []\n",
            FW_GCP_PROJECT: PROJECT,
            FW_CLOUDBUILD_REGION: "us-central1",
        });
        const sink = { write: () => true } as unknown as NodeJS.WritableStream;
        const result = await runBake(spec, { projectRoot: root, env, pollSeconds: 0, log: sink });
        assert.deepEqual(result, { image: imageName, family: "fireworker", build: "build-0001" });
        assert.equal(readFileSync(path.join(root, ".fireworker", "bakes", `${imageName}.yaml`), "utf8"), "steps: []\n");
        const calls = readFileSync(path.join(state, "calls.log"), "utf8").trim().split("\n");
        assert.ok(
            calls[0].startsWith("builds submit --no-source --config=") &&
                calls[0].includes("--async") &&
                calls[0].includes(`--project=${PROJECT} --region=us-central1`),
            calls[0],
        );
        assert.ok(calls[1].startsWith("builds describe build-0001 "));
        await assert.rejects(
            runBake(spec, {
                projectRoot: root,
                env: { ...env, FAKE_BUILD_STATUS: "FAILURE" },
                pollSeconds: 0,
                log: sink,
            }),
            /bake of fireworker-[0-9a-f]{16} ended FAILURE \(Cloud Build build-0001\)/,
        );
    });

    it("retries a denied submission while grants propagate, for FW_IAM_SETTLE_SECONDS only", async () => {
        const root = newState();
        const spec = bakeSpecFromEnvironment({
            FW_BAKE_IMAGE: imageName,
            FW_BAKE_FAMILY: "fireworker",
            FW_BAKE_CONFIG: "steps: []\n",
            FW_GCP_PROJECT: PROJECT,
            FW_CLOUDBUILD_REGION: "us-central1",
        });
        let text = "";
        const log = {
            write: (s: string) => {
                text += s;
                return true;
            },
        } as unknown as NodeJS.WritableStream;
        const env = (state: string, settle: string) => ({
            PATH: `${fakeBin}:${process.env.PATH}`,
            FAKE_STATE: state,
            FAKE_DENY_SUBMIT: "2",
            FW_IAM_SETTLE_SECONDS: settle,
        });
        const ok = await runBake(spec, { projectRoot: root, env: env(newState(), "30"), pollSeconds: 0, log });
        assert.equal(ok.build, "build-0001");
        assert.match(text, /submitting the bake was denied; grants may still be propagating, retrying/);
        await assert.rejects(
            runBake(spec, { projectRoot: root, env: env(newState(), "0"), pollSeconds: 0, log }),
            /PERMISSION_DENIED/,
        );
    });
});
