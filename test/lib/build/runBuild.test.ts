import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { collectContext, hashContext } from "../../../lib/build/context";
import { writeContextFile } from "../../../lib/build/pack";
import { runBuild } from "../../../lib/build/runBuild";
import type { PipConfig } from "../../../lib/pip/pipConfig";
import { PIP_RELAY_HOST } from "../../../lib/pip/pipRelay";

// A recording fake docker: each call's argv is one line of $FAKE_STATE/calls.log. `image inspect`
// answers $FAKE_IMAGE_ID (or $FAKE_BUILT_ID once `build` ran) and $FAKE_REPO_DIGESTS; `info`
// answers $FAKE_SECURITY; `build` keeps its stdin (the packed context) in
// $FAKE_STATE/context.tar, and whether the pip relay it is given answers in $FAKE_STATE/relay.
const FAKE_DOCKER = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_STATE/calls.log"
case "$1 $2 $3" in
"image inspect --format={{.Id}}")
    if [ -n "$FAKE_IMAGE_ID" ]; then echo "$FAKE_IMAGE_ID"; exit 0; fi
    if [ -f "$FAKE_STATE/built" ]; then echo "$FAKE_BUILT_ID"; exit 0; fi
    echo "Error response from daemon: No such image: $4" >&2
    exit 1
    ;;
"image inspect --format={{range .RepoDigests}}{{println .}}{{end}}")
    printf '%b' "$FAKE_REPO_DIGESTS"
    exit 0
    ;;
esac
case "$1" in
push)
    echo "pushed $3"
    exit 0
    ;;
info)
    if [ -n "$FAKE_SECURITY" ]; then echo "$FAKE_SECURITY"; else echo '["name=seccomp,profile=default"]'; fi
    exit 0
    ;;
build)
    cat >"$FAKE_STATE/context.tar"
    # a build given the pip relay's name records whether the relay answered while it ran
    for a in "$@"; do
        case "$a" in --add-host=pip-relay.fireworker.invalid:*)
            ip="$(printf '%s' "$a" | sed 's/.*://')"
            if (exec 3<>"/dev/tcp/$ip/3141") 2>/dev/null; then echo "up $ip" >"$FAKE_STATE/relay"; fi
            ;;
        esac
    done
    echo "#1 building"
    if [ -n "$FAKE_BUILD_FAIL" ]; then
        echo "ERROR: failed to solve: process did not complete successfully" >&2
        exit 1
    fi
    touch "$FAKE_STATE/built"
    exit 0
    ;;
esac
echo "fake docker: unexpected call: $*" >&2
exit 2
`;

// A recording fake gcloud for the Cloud Build path: `artifacts docker images describe` answers
// $FAKE_REGISTRY_DIGEST (else not found); `builds submit` keeps the packed context and the config
// and prints $FAKE_SUBMIT_OUTPUT.
const FAKE_GCLOUD = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_STATE/calls.log"
case "$1 $2" in
"artifacts docker")
    if [ -n "$FAKE_REGISTRY_DIGEST" ]; then echo "$FAKE_REGISTRY_DIGEST"; exit 0; fi
    echo "ERROR: (gcloud.artifacts.docker.images.describe) Image not found" >&2
    exit 1
    ;;
"builds submit")
    cp "$3" "$FAKE_STATE/submitted.tgz"
    cp "$(printf '%s' "$4" | cut -d= -f2-)" "$FAKE_STATE/submitted.yaml"
    printf '%b' "$FAKE_SUBMIT_OUTPUT"
    exit 0
    ;;
esac
echo "fake gcloud: unexpected call: $*" >&2
exit 2
`;

const IMAGE_ID = `sha256:${"1".repeat(64)}`;
const BUILT_ID = `sha256:${"2".repeat(64)}`;
const REPO_DIGEST = `sha256:${"3".repeat(64)}`;
const TAG = "0123456789abcdef0123";
const DOCKERFILE = "FROM python:3.11-slim-bookworm\nCOPY . /app\n";

/** A log stream that keeps what it is given. */
function recorder(): { stream: Writable; text: () => string } {
    let text = "";
    const stream = new Writable({
        write: (chunk: Buffer, _encoding, done) => {
            text += chunk.toString();
            done();
        },
    });
    return { stream, text: () => text };
}

describe("running one image build (lib/build/runBuild.ts) with recording fakes of docker and gcloud", () => {
    let work: string;
    let bin: string;
    let root: string;
    let digest: string;

    const newState = () => fs.mkdtempSync(path.join(work, "state-"));
    const envOf = (state: string, extra: Record<string, string> = {}) => ({
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_STATE: state,
        FAKE_IMAGE_ID: "",
        FAKE_BUILT_ID: BUILT_ID,
        FAKE_REPO_DIGESTS: "",
        FAKE_BUILD_FAIL: "",
        FAKE_REGISTRY_DIGEST: "",
        FAKE_SUBMIT_OUTPUT: "",
        ...extra,
    });
    const calls = (state: string) => fs.readFileSync(path.join(state, "calls.log"), "utf8").trimEnd().split("\n");
    const dockerSpec = (over: Partial<BuildSpec> = {}): BuildSpec => ({
        kind: "application",
        builder: "docker",
        image: "127.0.0.1:5000/fireworker/app",
        tags: [TAG, "latest"],
        contextDigest: digest,
        context: { kind: "directory", dir: "payload" },
        dockerfile: DOCKERFILE,
        buildArgs: { RUNTIME: "runtime@sha256:00", A: "1" },
        push: false,
        ...over,
    });
    const cloudSpec = (over: Partial<BuildSpec> = {}): BuildSpec => ({
        ...dockerSpec(),
        builder: "cloudbuild",
        image: "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        tags: [TAG],
        push: true,
        cloudBuildConfig: "steps: []\n",
        project: "example-lab-123456",
        region: "us-central1",
        stagingDir: "gs://example-lab-123456-fireworker-build-source/source",
        ...over,
    });

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-run-build-"));
        bin = path.join(work, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "docker"), FAKE_DOCKER, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "gcloud"), FAKE_GCLOUD, { mode: 0o755 });
        root = path.join(work, "project");
        fs.mkdirSync(path.join(root, "payload", "pkg"), { recursive: true });
        fs.writeFileSync(path.join(root, "payload", "main.py"), "print('hello')\n");
        fs.writeFileSync(path.join(root, "payload", "pkg", "mod.py"), "X = 1\n");
        digest = await hashContext(collectContext({ kind: "directory", dir: "payload" }, root));
    });
    after(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("a context that changed since the plan is refused before any tool runs", async () => {
        const planned = "ab".repeat(32);
        for (const spec of [dockerSpec({ contextDigest: planned }), cloudSpec({ contextDigest: planned })]) {
            const state = newState();
            const log = recorder();
            await assert.rejects(
                runBuild(spec, { projectRoot: root, env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID }), log: log.stream }),
                {
                    message: `build-image: the context of ${spec.image} changed since it was planned (abababababab planned, ${digest.slice(0, 12)} now); run pulumi up again`,
                },
            );
            assert.equal(fs.existsSync(path.join(state, "calls.log")), false, `a tool ran for ${spec.builder}`);
            assert.equal(log.text(), "");
        }
        assert.equal(fs.existsSync(path.join(root, ".fireworker")), false);
    });

    it("docker, the content tag exists locally, no push: the image id is digest and reference, nothing built", async () => {
        const state = newState();
        const log = recorder();
        const result = await runBuild(dockerSpec(), {
            projectRoot: root,
            env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID }),
            log: log.stream,
        });
        assert.deepEqual(result, { digest: IMAGE_ID, reference: IMAGE_ID });
        assert.deepEqual(calls(state), [`image inspect --format={{.Id}} 127.0.0.1:5000/fireworker/app:${TAG}`]);
        assert.equal(fs.existsSync(path.join(state, "context.tar")), false);
        // the look-up's answer is not build output: only the note reaches the log
        assert.equal(log.text(), `build-image: 127.0.0.1:5000/fireworker/app:${TAG} exists already; not rebuilt\n`);
    });

    it("docker, the content tag exists locally, push: re-pushes every tag and answers the registry digest", async () => {
        const state = newState();
        const log = recorder();
        const repoDigests = `other.example/app@sha256:${"9".repeat(64)}\\n127.0.0.1:5000/fireworker/app@${REPO_DIGEST}\\n`;
        const result = await runBuild(dockerSpec({ push: true }), {
            projectRoot: root,
            env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID, FAKE_REPO_DIGESTS: repoDigests }),
            log: log.stream,
        });
        assert.deepEqual(result, {
            digest: REPO_DIGEST,
            reference: `127.0.0.1:5000/fireworker/app@${REPO_DIGEST}`,
        });
        assert.deepEqual(calls(state), [
            `image inspect --format={{.Id}} 127.0.0.1:5000/fireworker/app:${TAG}`,
            `push --quiet 127.0.0.1:5000/fireworker/app:${TAG}`,
            "push --quiet 127.0.0.1:5000/fireworker/app:latest",
            `image inspect --format={{range .RepoDigests}}{{println .}}{{end}} 127.0.0.1:5000/fireworker/app:${TAG}`,
        ]);
        assert.equal(
            log.text(),
            `pushed 127.0.0.1:5000/fireworker/app:${TAG}\npushed 127.0.0.1:5000/fireworker/app:latest\n` +
                `build-image: 127.0.0.1:5000/fireworker/app:${TAG} exists already; not rebuilt\n`,
        );
    });

    it("docker, pushed but no repo digest of that repository: one line", async () => {
        const state = newState();
        await assert.rejects(
            runBuild(dockerSpec({ push: true }), {
                projectRoot: root,
                env: envOf(state, {
                    FAKE_IMAGE_ID: IMAGE_ID,
                    FAKE_REPO_DIGESTS: `127.0.0.1:5000/fireworker/app-other@${REPO_DIGEST}\\n`,
                }),
                log: recorder().stream,
            }),
            { message: `build-image: pushed 127.0.0.1:5000/fireworker/app:${TAG} but Docker reports no digest for it` },
        );
    });

    it("docker, not there yet: builds from the packed context on stdin with every tag and build argument", async () => {
        const state = newState();
        const log = recorder();
        const result = await runBuild(dockerSpec(), {
            projectRoot: root,
            env: envOf(state),
            network: "host",
            log: log.stream,
        });
        assert.deepEqual(result, { digest: BUILT_ID, reference: BUILT_ID });
        assert.deepEqual(calls(state), [
            `image inspect --format={{.Id}} 127.0.0.1:5000/fireworker/app:${TAG}`,
            "build --network=host --file=.fireworker.Dockerfile " +
                `--tag=127.0.0.1:5000/fireworker/app:${TAG} --tag=127.0.0.1:5000/fireworker/app:latest ` +
                "--build-arg=A=1 --build-arg=RUNTIME=runtime@sha256:00 -",
            `image inspect --format={{.Id}} 127.0.0.1:5000/fireworker/app:${TAG}`,
        ]);
        // what docker read is exactly the packed context
        const packed = path.join(work, "expected.tar");
        await writeContextFile(collectContext({ kind: "directory", dir: "payload" }, root), DOCKERFILE, packed);
        assert.ok(fs.readFileSync(path.join(state, "context.tar")).equals(fs.readFileSync(packed)));
        // build output and the answer of the last inspect are echoed to the log
        assert.equal(log.text(), `#1 building\n${BUILT_ID}\n`);
    });

    describe("the pip relay, for a Dockerfile that reaches for it", () => {
        const RELAY_DOCKERFILE = `${DOCKERFILE}RUN getent hosts ${PIP_RELAY_HOST} && pip install -r r.txt\n`;
        const PIP: PipConfig = {
            indexUrl: "https://ann:secret@mirror.example/simple",
            extraIndexUrls: [],
            cert: "/etc/ssl/certs/ca-certificates.crt",
            trustedHosts: [],
            timeoutSeconds: 15,
            notRelayed: ["find-links /opt/wheels"],
        };
        const build = (
            state: string,
            opts: { pip?: PipConfig | null; network?: string; env?: Record<string, string> },
        ) => {
            const log = recorder();
            return runBuild(dockerSpec({ dockerfile: RELAY_DOCKERFILE }), {
                projectRoot: root,
                env: envOf(state, { DOCKER_HOST: "unix:///var/run/docker.sock", ...opts.env }),
                network: opts.network,
                pipConfig: opts.pip === undefined ? PIP : opts.pip,
                log: log.stream,
            }).then(() => log.text());
        };
        const buildCall = (state: string) => calls(state).find((c) => c.startsWith("build "))!;

        it("gives the build the relay under its name, with host networking, for as long as it runs", async () => {
            const state = newState();
            const log = await build(state, {});
            const m = new RegExp(`--add-host=${PIP_RELAY_HOST}:(127\\.\\d+\\.\\d+\\.\\d+) -$`).exec(buildCall(state));
            assert.ok(m, buildCall(state));
            assert.match(buildCall(state), /^build --network=host /);
            assert.ok(calls(state).includes("info --format={{json .SecurityOptions}}"));
            assert.equal(fs.readFileSync(path.join(state, "relay"), "utf8"), `up ${m[1]}\n`);
            assert.equal(
                log,
                `build-image: pip in this build uses this machine's pip configuration (index https://***@mirror.example/simple, cert /etc/ssl/certs/ca-certificates.crt) through a relay on ${m[1]}:3141, known inside the build only, as ${PIP_RELAY_HOST}\n` +
                    "build-image: not passed to pip in the build: find-links /opt/wheels\n" +
                    `#1 building\n${BUILT_ID}\n`,
            );
            // and it is gone once the build is done
            const net = await import("node:net");
            const answered = await new Promise<boolean>((resolve) => {
                const socket = net.connect(3141, m[1], () => {
                    socket.destroy();
                    resolve(true);
                });
                socket.on("error", () => resolve(false));
            });
            assert.equal(answered, false, "the relay still answers after the build");
        });

        it("no relay where the build could not reach it, or nothing to relay; a line says why", async () => {
            const cases: [string, Parameters<typeof build>[1], string][] = [
                ["no pip configuration", { pip: null }, ""],
                ["FW_PIP_RELAY=0", { env: { FW_PIP_RELAY: "0" } }, ""],
                [
                    "a remote engine",
                    { env: { DOCKER_HOST: "tcp://10.1.2.3:2376" } },
                    "build-image: this machine's pip configuration is not passed to the build: the Docker engine (tcp://10.1.2.3:2376) cannot reach this machine's loopback\n",
                ],
                [
                    "another build network",
                    { network: "bridge" },
                    "build-image: this machine's pip configuration is not passed to the build: the build's network is bridge; the relay needs host (FW_DOCKER_BUILD_NETWORK)\n",
                ],
                [
                    "a rootless engine",
                    { env: { FAKE_SECURITY: '["name=seccomp,profile=default","name=rootless"]' } },
                    "build-image: this machine's pip configuration is not passed to the build: a rootless Docker engine has its own loopback\n",
                ],
            ];
            for (const [what, opts, line] of cases) {
                const state = newState();
                const log = await build(state, opts);
                assert.doesNotMatch(buildCall(state), /--add-host/, what);
                assert.equal(fs.existsSync(path.join(state, "relay")), false, what);
                assert.equal(log, `${line}#1 building\n${BUILT_ID}\n`, what);
            }
        });

        it("no relay and no pip look-up for a Dockerfile that does not reach for it", async () => {
            const state = newState();
            const log = recorder();
            await runBuild(dockerSpec(), {
                projectRoot: root,
                env: envOf(state),
                pipConfig: PIP,
                log: log.stream,
            });
            assert.deepEqual(
                calls(state).map((c) => c.split(" ")[0]),
                ["image", "build", "image"],
            );
        });
    });

    it("docker, a failed build rejects with docker's last stderr lines", async () => {
        const state = newState();
        await assert.rejects(
            runBuild(dockerSpec(), {
                projectRoot: root,
                env: envOf(state, { FAKE_BUILD_FAIL: "1" }),
                log: recorder().stream,
            }),
            {
                message:
                    "build-image: docker build --file=.fireworker.Dockerfile failed (exit 1): " +
                    "ERROR: failed to solve: process did not complete successfully",
            },
        );
        assert.equal(calls(state).length, 2);
    });

    it("cloudbuild, the content tag is in the registry: its digest, nothing submitted", async () => {
        const state = newState();
        const spec = cloudSpec();
        const result = await runBuild(spec, {
            projectRoot: root,
            env: envOf(state, { FAKE_REGISTRY_DIGEST: REPO_DIGEST }),
            log: recorder().stream,
        });
        assert.deepEqual(result, { digest: REPO_DIGEST, reference: `${spec.image}@${REPO_DIGEST}` });
        assert.deepEqual(calls(state), [
            `artifacts docker images describe ${spec.image}:${TAG} --project=example-lab-123456 ` +
                "--format=value(image_summary.digest)",
        ]);
    });

    it("cloudbuild, not there yet: submits the packed context and the config, and answers the built digest", async () => {
        const state = newState();
        const spec = cloudSpec();
        const result = await runBuild(spec, {
            projectRoot: root,
            env: envOf(state, { FAKE_SUBMIT_OUTPUT: `Created build.\\n${REPO_DIGEST}\\n` }),
            log: recorder().stream,
        });
        assert.deepEqual(result, { digest: REPO_DIGEST, reference: `${spec.image}@${REPO_DIGEST}` });
        const base = path.join(root, ".fireworker", "builds", `runtime-${TAG}`);
        assert.deepEqual(calls(state).slice(1), [
            `builds submit ${base}.tgz --config=${base}.cloudbuild.yaml --project=example-lab-123456 ` +
                "--format=value(results.images[0].digest) --region=us-central1 " +
                "--gcs-source-staging-dir=gs://example-lab-123456-fireworker-build-source/source",
        ]);
        assert.equal(fs.readFileSync(path.join(state, "submitted.yaml"), "utf8"), "steps: []\n");
        const packed = path.join(work, "expected.tgz");
        await writeContextFile(collectContext({ kind: "directory", dir: "payload" }, root), DOCKERFILE, packed);
        assert.ok(fs.readFileSync(path.join(state, "submitted.tgz")).equals(fs.readFileSync(packed)));
    });

    it("cloudbuild, a build that prints no digest: one line quoting its last line", async () => {
        const state = newState();
        const spec = cloudSpec({ region: undefined, stagingDir: undefined });
        await assert.rejects(
            runBuild(spec, {
                projectRoot: root,
                env: envOf(state, { FAKE_SUBMIT_OUTPUT: "Created build.\\nDONE\\n" }),
                log: recorder().stream,
            }),
            {
                message: `build-image: Cloud Build finished without an image digest for ${spec.image} (got "DONE")`,
            },
        );
        // without a region or staging folder, gcloud's defaults apply
        const base = path.join(root, ".fireworker", "builds", `runtime-${TAG}`);
        assert.equal(
            calls(state)[1],
            `builds submit ${base}.tgz --config=${base}.cloudbuild.yaml --project=example-lab-123456 ` +
                "--format=value(results.images[0].digest)",
        );
    });
});
