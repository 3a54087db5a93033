import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { buildSpecToEnvironment } from "../../lib/build/buildSpec";
import { contentBuildTag } from "../../lib/build/cloudBuildConfig";
import { collectContext, hashContext } from "../../lib/build/context";
import { fakeCloud } from "../support/fakeCloud";
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

    it("keeps a huge Cloud Build log out of the command's output (the stack's state): a file has it whole", async () => {
        const context = {
            kind: "files" as const,
            files: [{ src: "example/requirements.txt", dest: "requirements.txt" }],
        };
        const tag = "fffffffffffff0123456";
        const image = "us-central1-docker.pkg.dev/example-lab-123456/fireworker/state-size";
        const cloud = fakeCloud();
        const r = buildImage({
            ...buildSpecToEnvironment({
                kind: "runtime",
                builder: "cloudbuild",
                image,
                tags: [tag],
                contextDigest: await hashContext(collectContext(context, ROOT)),
                context,
                dockerfile: "FROM x:1\n",
                buildArgs: {},
                push: true,
                cloudBuildConfig: stringify({ steps: [], images: [`${image}:${tag}`], tags: [contentBuildTag(tag)] }),
                project: "example-lab-123456",
                region: "us-central1",
                stagingDir: "gs://example-lab-123456-fireworker-build-source/source",
            }),
            ...cloud.env,
            FAKE_LOG_BYTES: String(2 * 1024 * 1024),
            FAKE_BUILD_MS: "1500",
            FW_BUILD_POLL_SECONDS: "0.05",
        });
        assert.equal(r.status, 0, r.stderr.slice(-2000));
        assert.match(r.stdout, /^\{"digest":"sha256:[0-9a-f]{64}","reference":"[^"]+"\}\n$/);
        // execve's limit for one variable is 128 KiB; the state keeps stderr
        assert.ok(r.stderr.length < 64 * 1024, `stderr is ${r.stderr.length} bytes`);
        const logFile = path.join(ROOT, ".fireworker", "logs", `build-state-size-${tag}.log`);
        assert.match(r.stderr, /the rest of this log is in .*build-state-size-fffffffffffff0123456\.log/);
        assert.ok(fs.statSync(logFile).size > 2 * 1024 * 1024);
        fs.rmSync(logFile, { force: true });
    });

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
