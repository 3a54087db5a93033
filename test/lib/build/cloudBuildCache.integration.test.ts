// A runtime's Cloud Build config that reuses the previous runtime's layers, against the real
// tools: the real gcloud accepts it (it fails only for want of an account), and its build step,
// run as Cloud Build runs it (substitution applied, `$$` unescaped) with the real Docker engine
// (classic builder, as the docker builder of Cloud Build), pulls the previous image by digest
// from a registry and reuses its layers up to the first changed instruction, never after it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import {
    CACHE_FROM_SUBSTITUTION,
    type CloudBuildConfig,
    cloudBuildYaml,
    DOCKERFILE_IN_CONTEXT,
    renderCloudBuildConfig,
} from "../../../lib/build/cloudBuildConfig";
import { docker, dockerOk, Registry, removeImages } from "../../support/docker";
import { requireGcloudOrSkip } from "../../support/ignoreTools";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";

const DIGEST_REF = `us-central1-docker.pkg.dev/p/fireworker/runtime@sha256:${"a".repeat(64)}`;

function runtimeConfig(image: string, tag: string): CloudBuildConfig {
    return renderCloudBuildConfig({
        image,
        tags: [tag],
        buildArgs: { from: "python:3.11-slim-bookworm" },
        timeoutSeconds: 600,
        cacheFrom: true,
    });
}

describe("Cloud Build runtime config reusing the previous runtime, on the real tools", function () {
    this.timeout(600_000);

    it("the real gcloud accepts the config, with and without the previous image's substitution", function () {
        const g = requireGcloudOrSkip(this);
        const dir = mkdtempSync(path.join(os.tmpdir(), "fw-cb-cache-"));
        try {
            const file = path.join(dir, "cloudbuild.yaml");
            writeFileSync(file, cloudBuildYaml(runtimeConfig("us-central1-docker.pkg.dev/p/fireworker/runtime", "t")));
            for (const extra of [[], [`--substitutions=${CACHE_FROM_SUBSTITUTION}=${DIGEST_REF}`]]) {
                const r = spawnSync(
                    "gcloud",
                    ["builds", "submit", "--project=p", `--config=${file}`, "--no-source", ...extra],
                    { env: { ...g.env, CLOUDSDK_CONFIG: mkdtempSync(path.join(dir, "cfg-")) }, encoding: "utf8" },
                );
                assert.notEqual(r.status, 0);
                assert.doesNotMatch(r.stderr, /interpreting|unused|invalid/i, r.stderr);
                assert.match(r.stderr, /You do not currently have an active account selected/, r.stderr);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("its build step on the real Docker engine and registry", () => {
        let t: TestEnv;
        let work: string;
        let repo: string;
        const id = Math.random().toString(16).slice(2, 10);

        before(async function () {
            t = await requireDockerOrSkip(this);
            work = mkdtempSync(path.join(os.tmpdir(), "fw-cb-cache-"));
            repo = `fireworker/cache-${id}`;
        });

        after(async () => {
            if (!t) return;
            removeImages(t, `${t.registry}/${repo}`);
            await new Registry(t.registry).deleteRepository(repo);
            rmSync(work, { recursive: true, force: true });
        });

        /** A context as the build packs it: the Dockerfile under its name, one copied file. */
        function context(name: string, first: string, copied: string): string {
            const dir = path.join(work, name);
            spawnSync("mkdir", ["-p", dir]);
            writeFileSync(
                path.join(dir, DOCKERFILE_IN_CONTEXT),
                [
                    "ARG from",
                    "FROM ${from}",
                    `RUN echo ${first} ${id} > /first`,
                    "COPY copied.txt /copied.txt",
                    "RUN cat /first /copied.txt > /last",
                    "",
                ].join("\n"),
            );
            writeFileSync(path.join(dir, "copied.txt"), copied);
            return dir;
        }

        /** Runs the config's build step as Cloud Build does; its output. */
        function step(dir: string, tag: string, cacheFrom: string): string {
            const image = `${t.registry}/${repo}`;
            const config = parse(cloudBuildYaml(runtimeConfig(image, tag))) as CloudBuildConfig;
            const s = config.steps[0];
            assert.equal(s.entrypoint, "bash");
            assert.deepEqual(config.substitutions, { [CACHE_FROM_SUBSTITUTION]: "" });
            const env = Object.fromEntries(
                (s.env ?? []).map((e) => {
                    const [k, v] = e.split(/=(.*)/s);
                    return [k, v.replace(`\${${CACHE_FROM_SUBSTITUTION}}`, cacheFrom)];
                }),
            );
            const args = s.args
                .map((a) => a.replace(/\$\$/g, "$"))
                .map((a) => (a === "--network=cloudbuild" ? "--network=host" : a))
                .map((a) =>
                    a === "--build-arg=from=python:3.11-slim-bookworm" ? `--build-arg=from=${t.baseImage}` : a,
                );
            const r = spawnSync("bash", args, {
                cwd: dir,
                env: { ...t.env, ...env, DOCKER_BUILDKIT: "0" },
                encoding: "utf8",
            });
            assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
            return `${r.stdout}${r.stderr}`;
        }

        /** Pushes a tag and removes it from the engine: the next build can only pull it. */
        function pushAndForget(tag: string): string {
            const ref = `${t.registry}/${repo}:${tag}`;
            dockerOk(t, ["push", "--quiet", ref]);
            const digest = dockerOk(t, ["image", "inspect", "--format={{index .RepoDigests 0}}", ref]);
            dockerOk(t, ["rmi", ref]);
            return digest;
        }

        const cached = (out: string) => (out.match(/Using cache/g) ?? []).length;

        it("reuses the previous runtime's layers up to the changed file, pulled by digest; nothing after it", () => {
            const v1 = step(context("v1", "stack", "a\n"), "v1", "");
            assert.equal(cached(v1), 0, v1);
            const previous = pushAndForget("v1");
            assert.match(previous, /@sha256:[0-9a-f]{64}$/);

            // the last file changes: the layer before it comes from the pulled image
            const v2 = step(context("v2", "stack", "b\n"), "v2", previous);
            assert.match(
                v2,
                new RegExp(`Status: Downloaded newer image for ${previous.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
            );
            assert.equal(cached(v2), 1, v2);
            assert.equal(dockerOk(t, ["run", "--rm", `${t.registry}/${repo}:v2`, "cat", "/last"]), `stack ${id}\nb`);
            dockerOk(t, ["rmi", `${t.registry}/${repo}:v2`]);

            // an earlier instruction changes (as the base or the apt list would): nothing is reused
            const v3 = step(context("v3", "other stack", "a\n"), "v3", previous);
            assert.equal(cached(v3), 0, v3);
            assert.equal(
                dockerOk(t, ["run", "--rm", `${t.registry}/${repo}:v3`, "cat", "/last"]),
                `other stack ${id}\na`,
            );
            dockerOk(t, ["rmi", `${t.registry}/${repo}:v3`]);
            docker(t, ["rmi", previous]);
        });

        it("no previous image, or one that cannot be pulled: one line, and a build without it", () => {
            const gone = `${t.registry}/${repo}@sha256:${"0".repeat(64)}`;
            const out = step(context("v4", "stack", "c\n"), "v4", gone);
            assert.match(
                out,
                new RegExp(
                    `fireworker: the previous image ${gone.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} cannot be pulled; building without its layers`,
                ),
            );
            assert.equal(dockerOk(t, ["run", "--rm", `${t.registry}/${repo}:v4`, "cat", "/last"]), `stack ${id}\nc`);
            dockerOk(t, ["rmi", `${t.registry}/${repo}:v4`]);
        });
    });
});
