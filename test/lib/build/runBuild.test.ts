import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { contentBuildTag } from "../../../lib/build/cloudBuildConfig";
import { collectContext, hashContext } from "../../../lib/build/context";
import { writeContextFile } from "../../../lib/build/pack";
import { runBuild } from "../../../lib/build/runBuild";
import type { PipConfig } from "../../../lib/pip/pipConfig";
import { PIP_RELAY_HOST } from "../../../lib/pip/pipRelay";
import { cloudCalls, cloudState, fakeCloud, seedImage } from "../../support/fakeCloud";
import { recorder } from "../../support/recorder";

// A recording fake docker: each call's argv is one line of $FAKE_STATE/calls.log. `image inspect`
// answers $FAKE_IMAGE_ID (or $FAKE_BUILT_ID once `build` ran) and $FAKE_REPO_DIGESTS; the
// registry is files under $FAKE_STATE/registry (`manifest inspect` reads them, `push` writes
// $FAKE_PUSHED_DIGEST); `info` answers $FAKE_SECURITY; `build` keeps its stdin (the packed
// context) in $FAKE_STATE/context.tar, and whether the pip relay it is given answers in
// $FAKE_STATE/relay.
const FAKE_DOCKER = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_STATE/calls.log"
reg() { printf '%s/registry/%s' "$FAKE_STATE" "$(printf '%s' "$1" | tr '/:@' '___')"; }
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
"manifest inspect --verbose")
    ref="${"$"}{!#}"
    if [ -f "$(reg "$ref")" ]; then printf '{"Ref":"%s","Descriptor":{"digest":"%s"}}\n' "$ref" "$(cat "$(reg "$ref")")"; exit 0; fi
    echo "no such manifest: $ref" >&2
    exit 1
    ;;
esac
case "$1" in
push)
    if [ -n "$FAKE_PUSH_FAIL" ]; then
        mkdir -p "$FAKE_STATE/registry" && printf '%s' "$FAKE_PUSH_FAIL" >"$(reg "$3")"
        echo "tag invalid: the tag is immutable" >&2
        exit 1
    fi
    mkdir -p "$FAKE_STATE/registry" && printf '%s' "$FAKE_PUSHED_DIGEST" >"$(reg "$3")"
    echo "pushed $3"
    exit 0
    ;;
tag | pull) exit 0 ;;
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

const IMAGE_ID = `sha256:${"1".repeat(64)}`;
const BUILT_ID = `sha256:${"2".repeat(64)}`;
const REPO_DIGEST = `sha256:${"3".repeat(64)}`;
const OTHER_DIGEST = `sha256:${"4".repeat(64)}`;
const TAG = "0123456789abcdef0123";
const DOCKERFILE = "FROM python:3.11-slim-bookworm\nCOPY . /app\n";
const LOCAL = "127.0.0.1:5000/fireworker/app";

describe("running one image build (lib/build/runBuild.ts)", () => {
    let work: string;
    let bin: string;
    let root: string;
    let digest: string;
    let lockDir: string;

    const newState = () => fs.mkdtempSync(path.join(work, "state-"));
    const envOf = (state: string, extra: Record<string, string> = {}) => ({
        PATH: `${bin}:${process.env.PATH}`,
        TMPDIR: lockDir,
        FAKE_STATE: state,
        FAKE_IMAGE_ID: "",
        FAKE_BUILT_ID: BUILT_ID,
        FAKE_REPO_DIGESTS: "",
        FAKE_BUILD_FAIL: "",
        FAKE_PUSH_FAIL: "",
        FAKE_PUSHED_DIGEST: REPO_DIGEST,
        ...extra,
    });
    const calls = (state: string) => fs.readFileSync(path.join(state, "calls.log"), "utf8").trimEnd().split("\n");
    const registry = (state: string, ref: string, d: string) => {
        fs.mkdirSync(path.join(state, "registry"), { recursive: true });
        fs.writeFileSync(path.join(state, "registry", ref.replace(/[/:@]/g, "_")), d);
    };
    const dockerSpec = (over: Partial<BuildSpec> = {}): BuildSpec => ({
        kind: "application",
        builder: "docker",
        image: LOCAL,
        tags: [TAG, "latest"],
        contextDigest: digest,
        context: { kind: "directory", dir: "payload" },
        dockerfile: DOCKERFILE,
        buildArgs: { RUNTIME: "runtime@sha256:00", A: "1" },
        push: false,
        ...over,
    });

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-run-build-"));
        bin = path.join(work, "bin");
        lockDir = path.join(work, "tmp");
        fs.mkdirSync(bin);
        fs.mkdirSync(lockDir);
        fs.writeFileSync(path.join(bin, "docker"), FAKE_DOCKER, { mode: 0o755 });
        root = path.join(work, "project");
        fs.mkdirSync(path.join(root, "payload", "pkg"), { recursive: true });
        fs.writeFileSync(path.join(root, "payload", "main.py"), "print('hello')\n");
        fs.writeFileSync(path.join(root, "payload", "pkg", "mod.py"), "X = 1\n");
        digest = await hashContext(collectContext({ kind: "directory", dir: "payload" }, root));
    });
    after(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    // the process environment is what exec passes on, with opts.env on top
    const withTmp = async <T>(fn: () => Promise<T>): Promise<T> => {
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = lockDir;
        try {
            return await fn();
        } finally {
            if (saved === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = saved;
        }
    };

    describe("on the local Docker engine, with a recording fake docker", () => {
        it("a context that changed since the plan is refused before any tool runs", async () => {
            const planned = "ab".repeat(32);
            const state = newState();
            const log = recorder();
            await assert.rejects(
                runBuild(dockerSpec({ contextDigest: planned }), {
                    projectRoot: root,
                    env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID }),
                    log: log.stream,
                }),
                {
                    message: `build-image: the context of ${LOCAL} changed since it was planned (abababababab planned, ${digest.slice(0, 12)} now); run pulumi up again`,
                },
            );
            assert.equal(fs.existsSync(path.join(state, "calls.log")), false);
            assert.equal(log.text(), "");
        });

        it("no push, the content tag exists: its id, nothing built, the moving tag moved to it", async () => {
            const state = newState();
            const log = recorder();
            const result = await withTmp(() =>
                runBuild(dockerSpec(), {
                    projectRoot: root,
                    env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID }),
                    log: log.stream,
                }),
            );
            assert.deepEqual(result, { digest: IMAGE_ID, reference: IMAGE_ID });
            assert.deepEqual(calls(state), [
                `image inspect --format={{.Id}} ${LOCAL}:${TAG}`,
                `tag ${LOCAL}:${TAG} ${LOCAL}:latest`,
            ]);
            assert.equal(log.text(), `build-image: ${LOCAL}:${TAG} exists already; not rebuilt\n`);
        });

        it("no push, not there yet: builds the content tag from the packed context on stdin, then tags latest", async () => {
            const state = newState();
            const log = recorder();
            const result = await withTmp(() =>
                runBuild(dockerSpec(), { projectRoot: root, env: envOf(state), network: "host", log: log.stream }),
            );
            assert.deepEqual(result, { digest: BUILT_ID, reference: BUILT_ID });
            assert.deepEqual(calls(state), [
                `image inspect --format={{.Id}} ${LOCAL}:${TAG}`,
                `build --network=host --file=.fireworker.Dockerfile --tag=${LOCAL}:${TAG} --build-arg=A=1 --build-arg=RUNTIME=runtime@sha256:00 -`,
                `image inspect --format={{.Id}} ${LOCAL}:${TAG}`,
                `tag ${LOCAL}:${TAG} ${LOCAL}:latest`,
            ]);
            const packed = path.join(work, "expected.tar");
            await writeContextFile(collectContext({ kind: "directory", dir: "payload" }, root), DOCKERFILE, packed);
            assert.ok(fs.readFileSync(path.join(state, "context.tar")).equals(fs.readFileSync(packed)));
            assert.equal(log.text(), `#1 building\n${BUILT_ID}\n`);
        });

        it("push, the registry has the content tag: adopts its digest, builds nothing, moves latest to it", async () => {
            const state = newState();
            registry(state, `${LOCAL}:${TAG}`, REPO_DIGEST);
            const result = await withTmp(() =>
                runBuild(dockerSpec({ push: true }), {
                    projectRoot: root,
                    env: envOf(state, { FAKE_IMAGE_ID: IMAGE_ID }),
                    log: recorder().stream,
                }),
            );
            assert.deepEqual(result, { digest: REPO_DIGEST, reference: `${LOCAL}@${REPO_DIGEST}` });
            assert.ok(!calls(state).some((c) => c.startsWith("build ") || c === `push --quiet ${LOCAL}:${TAG}`));
            assert.deepEqual(calls(state).slice(-3), [
                `tag ${LOCAL}@${REPO_DIGEST} ${LOCAL}:latest`,
                `push --quiet ${LOCAL}:latest`,
                // a plain-HTTP registry on the loopback: docker manifest ignores the engine's insecure list
                `manifest inspect --verbose --insecure ${LOCAL}:latest`,
            ]);
        });

        it("push, a push that loses to another builder adopts the digest the tag names", async () => {
            const state = newState();
            const log = recorder();
            const result = await withTmp(() =>
                runBuild(dockerSpec({ push: true, tags: [TAG] }), {
                    projectRoot: root,
                    env: envOf(state, { FAKE_PUSH_FAIL: OTHER_DIGEST }),
                    log: log.stream,
                }),
            );
            assert.deepEqual(result, { digest: OTHER_DIGEST, reference: `${LOCAL}@${OTHER_DIGEST}` });
            assert.match(log.text(), /the push of \S+ lost to another builder; adopting sha256:4{64}/);
        });

        it("push, pushed but no repo digest of that repository: one line", async () => {
            const state = newState();
            await assert.rejects(
                withTmp(() =>
                    runBuild(dockerSpec({ push: true }), {
                        projectRoot: root,
                        env: envOf(state, {
                            FAKE_IMAGE_ID: IMAGE_ID,
                            FAKE_REPO_DIGESTS: `127.0.0.1:5000/fireworker/app-other@${REPO_DIGEST}\\n`,
                        }),
                        log: recorder().stream,
                    }),
                ),
                { message: `build-image: pushed ${LOCAL}:${TAG} but Docker reports no digest for it` },
            );
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
                const m = new RegExp(`--add-host=${PIP_RELAY_HOST}:(127\\.\\d+\\.\\d+\\.\\d+) -$`).exec(
                    buildCall(state),
                );
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
                        "build-image: this machine's pip configuration is not passed to the build: the build's network is bridge; it needs host (FW_DOCKER_BUILD_NETWORK)\n",
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
                    ["image", "build", "image", "tag"], // no `docker info`: no relay was looked for
                );
            });
        });

        it("a failed build rejects with docker's last stderr lines, and releases the content lock", async () => {
            const state = newState();
            const attempt = () =>
                withTmp(() =>
                    runBuild(dockerSpec(), {
                        projectRoot: root,
                        env: envOf(state, { FAKE_BUILD_FAIL: "1" }),
                        log: recorder().stream,
                    }),
                );
            const message =
                "build-image: docker build --file=.fireworker.Dockerfile failed (exit 1): " +
                "ERROR: failed to solve: process did not complete successfully";
            await assert.rejects(attempt(), { message });
            await assert.rejects(attempt(), { message }, "a second attempt is not stuck on the lock");
        });

        it("builders of one content tag on one machine take turns: one build, every builder the same image", async () => {
            const state = newState();
            const results = await withTmp(() =>
                Promise.all(
                    Array.from({ length: 5 }, () =>
                        runBuild(dockerSpec(), { projectRoot: root, env: envOf(state), log: recorder().stream }),
                    ),
                ),
            );
            assert.equal(calls(state).filter((c) => c.startsWith("build ")).length, 1);
            assert.deepEqual(new Set(results.map((r) => r.digest)), new Set([BUILT_ID]));
        });
    });

    describe("on Cloud Build, against a stateful fake of Cloud Build and Artifact Registry", () => {
        const TEAM = "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime";
        const DEV = "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/ann-app";
        const cloudSpec = (image: string, tags: string[]): BuildSpec => ({
            ...dockerSpec(),
            kind: "application",
            builder: "cloudbuild",
            image,
            tags,
            push: true,
            cloudBuildConfig: stringify({
                steps: [{ id: "build", name: "gcr.io/cloud-builders/docker", args: ["build", "."] }],
                images: [`${image}:${tags[0]}`],
                tags: [contentBuildTag(tags[0])],
                options: { logging: "CLOUD_LOGGING_ONLY" },
            }),
            project: "example-lab-123456",
            region: "us-central1",
            stagingDir: "gs://example-lab-123456-fireworker-build-source/source",
        });
        const immutableTeam = "us-central1-docker.pkg.dev/example-lab-123456/fireworker/";
        const run = (
            cloud: ReturnType<typeof fakeCloud>,
            spec: BuildSpec,
            extra: Record<string, string> = {},
            log = recorder(),
        ) => {
            const env = {
                ...cloud.env,
                FAKE_IMMUTABLE: immutableTeam,
                FAKE_BUILD_MS: "1200",
                FW_IAM_SETTLE_SECONDS: "0",
                ...extra,
            };
            // about ten status reads per build, as minutes of polling every 10 s are: each is a process
            const pollSeconds = Number(env.FAKE_BUILD_MS) / 10_000;
            return runBuild(spec, { projectRoot: root, env, log: log.stream, pollSeconds });
        };

        it("the content tag exists: its digest, nothing submitted", async () => {
            const cloud = fakeCloud();
            const spec = cloudSpec(TEAM, [TAG]);
            const first = await run(cloud, spec);
            const submitted = cloudState(cloud.state).n;
            const again = await run(cloud, spec);
            assert.deepEqual(again, first);
            assert.equal(cloudState(cloud.state).n, submitted, "the second builder submitted nothing");
        });

        it("submits the packed context with the config, staged in the bucket, tagged with the content", async () => {
            const cloud = fakeCloud();
            const spec = cloudSpec(TEAM, [TAG]);
            const result = await run(cloud, spec);
            const submit = cloudCalls(cloud.state).find((c) => c[0] === "builds" && c[1] === "submit")!;
            const base = path.join(root, ".fireworker", "builds", `runtime-${TAG}`);
            assert.deepEqual(submit, [
                "builds",
                "submit",
                `${base}.tgz`,
                `--config=${base}.cloudbuild.yaml`,
                "--project=example-lab-123456",
                "--region=us-central1",
                "--gcs-source-staging-dir=gs://example-lab-123456-fireworker-build-source/source",
                "--async",
                "--format=value(id)",
            ]);
            assert.equal(fs.readFileSync(`${base}.cloudbuild.yaml`, "utf8"), spec.cloudBuildConfig);
            const packed = path.join(work, "expected.tgz");
            await writeContextFile(collectContext({ kind: "directory", dir: "payload" }, root), DOCKERFILE, packed);
            assert.ok(fs.readFileSync(`${base}.tgz`).equals(fs.readFileSync(packed)));
            assert.equal(result.digest, cloudState(cloud.state).tags[`${TEAM}:${TAG}`]);
        });

        it("any number of builders of one content tag, at once and one after another: one image, every builder its digest", async () => {
            const cloud = fakeCloud();
            const spec = cloudSpec(TEAM, [TAG]);
            // a trigger build of the same content runs too: it carries no content build tag
            const triggerConfig = path.join(cloud.state, "trigger.yaml");
            fs.writeFileSync(triggerConfig, stringify({ steps: [], images: [`${TEAM}:${TAG}`] }));
            const trigger = spawnTrigger(cloud, triggerConfig);
            const at = await Promise.all(Array.from({ length: 6 }, () => run(cloud, spec)));
            const after = [await run(cloud, spec), await run(cloud, spec)];
            await trigger;
            const state = cloudState(cloud.state);
            const pushed = state.pushes.filter((p) => p.ref === `${TEAM}:${TAG}`);
            assert.equal(pushed.length, 1, `one image: ${JSON.stringify(pushed)}`);
            for (const r of [...at, ...after]) {
                assert.deepEqual(r, { digest: pushed[0].digest, reference: `${TEAM}@${pushed[0].digest}` });
            }
            assert.equal(state.tags[`${TEAM}:${TAG}`], pushed[0].digest);
        });

        it("on the mutable developer repository too, and latest moves to the content tag's digest, existing or not", async () => {
            const cloud = fakeCloud();
            const spec = cloudSpec(DEV, [TAG, "latest"]);
            // a real build takes minutes, far longer than the few gcloud calls before a builder cancels its own
            const results = await Promise.all(
                // a busy test machine takes seconds per gcloud call: the fake build lasts long enough
                Array.from({ length: 4 }, () => run(cloud, spec, { FAKE_BUILD_MS: "20000" })),
            );
            let state = cloudState(cloud.state);
            const pushed = state.pushes.filter((p) => p.ref === `${DEV}:${TAG}`);
            assert.equal(pushed.length, 1, "the younger of builds submitted at once cancels itself");
            assert.ok(results.every((r) => r.digest === pushed[0].digest));
            assert.equal(state.tags[`${DEV}:latest`], pushed[0].digest);
            // latest moved elsewhere meanwhile (another build): an existing content tag moves it back
            fs.writeFileSync(
                path.join(cloud.state, "state.json"),
                JSON.stringify({ ...state, tags: { ...state.tags, [`${DEV}:latest`]: OTHER_DIGEST } }),
            );
            await run(cloud, spec);
            state = cloudState(cloud.state);
            assert.equal(state.tags[`${DEV}:latest`], pushed[0].digest);
            assert.ok(
                cloudCalls(cloud.state).some(
                    (c) => c.join(" ") === `artifacts docker tags add ${DEV}@${pushed[0].digest} ${DEV}:latest`,
                ),
            );
        });

        it("retries permission errors while new grants propagate, for a bounded time only", async () => {
            const cloud = fakeCloud();
            const spec = cloudSpec(TEAM, [TAG]);
            const log = recorder();
            // without a settle time: the first denial is the answer
            await assert.rejects(run(cloud, spec, { FAKE_DENY_SUBMITS: "1" }), /PERMISSION_DENIED/);
            // with one: two denials, then the build
            const again = fakeCloud();
            const result = await run(again, spec, { FAKE_DENY_SUBMITS: "2", FW_IAM_SETTLE_SECONDS: "60" }, log);
            assert.match(result.digest, /^sha256:[0-9a-f]{64}$/);
            assert.match(log.text(), /permission denied; new grants take minutes to propagate, retrying/);
        });

        it("a build that fails for another reason fails at once with one line", async () => {
            const cloud = fakeCloud();
            await assert.rejects(
                run(cloud, cloudSpec(TEAM, [TAG]), { FAKE_FAIL_BUILDS: "1", FW_IAM_SETTLE_SECONDS: "30" }),
                {
                    message: `build-image: Cloud Build fake-0001 ended FAILURE without an image digest for ${TEAM}: Build step failure: build step 0 exited with 1`,
                },
            );
            assert.equal(cloudState(cloud.state).n, 1, "not retried: not a permission error");
        });

        it("a runtime reusing a previous one: the first candidate that exists is passed as _CACHE_FROM by digest", async () => {
            const mine = "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/alice-runtime";
            const previous = `sha256:${"4".repeat(64)}`;
            const spec = { ...cloudSpec(DEV, [TAG, "latest"]), cacheFrom: [`${mine}:alice-latest`, TEAM] };
            const submitted = (cloud: ReturnType<typeof fakeCloud>) =>
                cloudCalls(cloud.state).find((c) => c[0] === "builds" && c[1] === "submit") ?? [];
            // the developer's own previous runtime, by its moving tag
            let cloud = fakeCloud();
            seedImage(cloud.state, `${mine}:alice-latest`, previous);
            let log = recorder();
            await run(cloud, spec, {}, log);
            assert.ok(
                submitted(cloud).includes(`--substitutions=_CACHE_FROM=${mine}@${previous}`),
                submitted(cloud).join(" "),
            );
            assert.match(log.text(), new RegExp(`build-image: reusing the layers of ${mine}@sha256:4{64}`));
            // not there: the team's newest runtime
            cloud = fakeCloud();
            seedImage(cloud.state, `${TEAM}:0000000000000000aaaa`, previous);
            log = recorder();
            await run(cloud, spec, {}, log);
            assert.ok(
                submitted(cloud).includes(`--substitutions=_CACHE_FROM=${TEAM}@${previous}`),
                submitted(cloud).join(" "),
            );
            assert.ok(
                cloudCalls(cloud.state).some(
                    (c) =>
                        c.join(" ") ===
                        `artifacts docker images list ${TEAM} --project=example-lab-123456 --sort-by=~UPDATE_TIME --limit=1 --format=value(version)`,
                ),
            );
            // none: no substitution, the config's empty default (a build without a previous image)
            cloud = fakeCloud();
            await run(cloud, spec);
            assert.equal(
                submitted(cloud).some((a) => a.startsWith("--substitutions")),
                false,
            );
        });
    });
});

/** A trigger's build of the same content, submitted outside runBuild (no content build tag). */
function spawnTrigger(cloud: ReturnType<typeof fakeCloud>, config: string): Promise<void> {
    const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
    const id = spawnSync("gcloud", ["builds", "submit", "ctx.tgz", `--config=${config}`, "--async"], {
        env: { ...process.env, ...cloud.env },
        encoding: "utf8",
    }).stdout.trim();
    return new Promise((resolve) =>
        setTimeout(() => {
            spawnSync("gcloud", ["builds", "describe", id], { env: { ...process.env, ...cloud.env } });
            resolve();
        }, 400),
    );
}
