// Integration tests of the image builds: the whole program (settings -> components -> command
// environment -> lib/runBuild.ts) runs under the offline plan's mocks, and every build command
// really builds on the test engine and pushes to the test registry (scripts/test-env). Nothing
// here copies a Dockerfile: what is built is exactly what the components render. The runtime
// installs the example's requirements from PyPI, with this machine's pip configuration relayed.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { collectContext, hashContext } from "../../../lib/build/context";
import { writeContextFile } from "../../../lib/build/pack";
import { runBuild } from "../../../lib/build/runBuild";
import { describePipConfig, PYPI_SIMPLE, readPipConfig } from "../../../lib/pip/pipConfig";
import { PIP_RELAY_INDEX } from "../../../lib/pip/pipRelay";
import { stackConfig } from "../../../lib/plan/stackFile";
import { buildScript } from "../../../lib/triggers/prepareTriggerBuild";
import {
    blobSet,
    blobStore,
    docker,
    dockerOk,
    Executor,
    newBlobs,
    Registry,
    removeImages,
    scanLayers,
} from "../../support/docker";
import { commitAll, git, writeFiles } from "../../support/git";
import { type ImmutableRegistry, immutableRegistry } from "../../support/immutableRegistry";
import { patchSetting, ROOT } from "../../support/plan";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";
import { repoTempDir } from "../../support/tmp";

// ------------------------------------------------------------------------------ helpers ----

function inspect<T>(t: TestEnv, ref: string, field: string): T {
    return JSON.parse(dockerOk(t, ["image", "inspect", "--format", `{{json ${field}}}`, ref])) as T;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const pemBodies = (text: string) => [...text.matchAll(PEM)].map((m) => m[0].replace(/\s+/g, ""));

/**
 * Where an image keeps pip configuration, in the layers it adds to `base`: a PIP_ variable, a pip
 * config file, `needles.strings` in its variables, history or files, `needles.history` (paths any
 * Debian image may name, like a CA bundle's) in its history, a certificate of `needles.pems`.
 */
async function pipTraces(
    t: TestEnv,
    ref: string,
    base: string,
    needles: { strings: string[]; history?: string[]; pems: string[] },
): Promise<string[]> {
    const found: string[] = [];
    const env = inspect<string[]>(t, ref, ".Config.Env");
    found.push(...env.filter((e) => e.startsWith("PIP_")).map((e) => `variable ${e}`));
    for (const s of needles.strings) {
        found.push(...env.filter((e) => e.includes(s)).map((e) => `variable ${e}`));
    }
    const history = dockerOk(t, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", ref]);
    const inHistory = [...needles.strings, ...(needles.history ?? [])];
    found.push(...inHistory.filter((s) => history.includes(s)).map((s) => `history has ${s}`));
    const baseLayers = inspect<{ Layers: string[] }>(t, base, ".RootFS").Layers;
    const own = inspect<{ Layers: string[] }>(t, ref, ".RootFS").Layers.filter((l) => !baseLayers.includes(l));
    const pems = new Set(needles.pems);
    const scanned = await scanLayers(t, ref, own, (f) => {
        if (f.type !== "file") return;
        if (/(^|\/)pip\.(conf|ini)$/.test(f.path)) {
            found.push(`file ${f.path}`);
        }
        const text = f.body.toString("latin1");
        for (const s of needles.strings) {
            if (text.includes(s)) found.push(`file ${f.path} has ${s}`);
        }
        if (text.includes("-----BEGIN CERTIFICATE-----") && pemBodies(text).some((b) => pems.has(b))) {
            found.push(`file ${f.path} has a certificate of pip's cert`);
        }
    });
    assert.equal(scanned, own.length, "every layer the build added was scanned");
    return found;
}

// -------------------------------------------------------------------------------- tests ----

describe("image builds (integration: the program's builds on a Docker engine and registry)", function () {
    this.timeout(600_000);

    let t: TestEnv;
    let work: string;
    let payload: string;
    let registry: Registry;
    let executor: Executor;
    let config: Record<string, string>;
    const runId = randomBytes(4).toString("hex");
    const names = { runtime: `it-${runId}-runtime`, application: `it-${runId}-app` };
    const writableDirs = ["/.theano", "/.cache", "/var/lib/fw-scratch"];
    const labels = {
        application: "Integration Test Payload",
        email: "images@example.org",
        license: "https://example.org/licenses/TEST-1.0",
        organization: "Example Test Lab",
        website: "https://lab.example.org/payload",
        repository: "https://github.com/example-lab/fireworker-payload",
        "org.example.lab.team": "cells",
    };
    let repos: { runtime: string; application: string };
    let first: Awaited<ReturnType<Executor["plan"]>>;
    let firstCommit: string;
    const notes: string[] = [];

    before(async function () {
        t = await requireDockerOrSkip(this);
        this.timeout(600_000);
        registry = new Registry(t.registry);
        executor = new Executor(t);
        work = repoTempDir("images-");
        payload = path.join(work, "payload");
        mkdirSync(payload);
        git(payload, ["init", "-q", "-b", "main"]);
        writeFiles(payload, {
            "main.py": `import os\nRUN_ID = "${runId}"\nprint("payload", RUN_ID, os.environ.get("IMAGE_GIT_HASH", ""))\n`,
            "lib/util.py": "def answer():\n    return 42\n",
            "lib/__pycache__/util.cpython-311.pyc": "compiled\n",
            "__pycache__/main.cpython-311.pyc": "compiled\n",
            "fixtures/keep.json": '{"keep": true}\n',
            "fixtures/skip.json": '{"keep": false}\n',
            "fixtures/large/blob.bin": "x".repeat(4096),
            "notes/draft.md": "gcloudignore-only rule\n",
            "secrets.env": "TOKEN=not-in-the-image\n",
            "run.sh": "#!/bin/sh\nexec python3 main.py\n",
            // Docker's Go patterns, with ! exceptions
            ".dockerignore": [
                ".git",
                ".gcloudignore",
                "**/__pycache__",
                "**/*.pyc",
                "fixtures/*",
                "!fixtures/keep.json",
                "",
            ].join("\n"),
            // gitignore syntax: the Docker rules plus rules of its own
            ".gcloudignore": ["#!include:.dockerignore", "notes/", "*.env", ""].join("\n"),
        });
        chmodSync(path.join(payload, "run.sh"), 0o755);
        firstCommit = commitAll(payload, "payload", "2024-03-05T06:07:08+02:00", "2001-02-03T04:05:06Z");

        repos = { runtime: `fireworker/${names.runtime}`, application: `fireworker/${names.application}` };
        const base = stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml"));
        config = {
            ...base,
            "fireworker-images:registry": JSON.stringify({ localHost: t.registry }),
            ...patchSetting("local", "runtime", {
                name: names.runtime,
                base: t.pythonImage,
                requirements: "example/requirements.txt",
                aptPackages: ["jq"],
                writableDirs,
            }),
            ...patchSetting("local", "application", {
                name: names.application,
                context: path.relative(ROOT, payload),
                cmd: ["python3", "main.py"],
                labels,
            }),
        };
        const started = Date.now();
        first = await executor.plan(config);
        notes.push(
            `first program run (runtime + application built and pushed) ${((Date.now() - started) / 1000).toFixed(1)}s`,
        );
    });

    after(async () => {
        if (!t) {
            return;
        }
        for (const repo of [repos?.application, repos?.runtime]) {
            if (!repo) {
                continue;
            }
            removeImages(t, `${t.registry}/${repo}`);
            await registry.deleteRepository(repo);
        }
        if (work) {
            rmSync(work, { recursive: true, force: true });
        }
        if (notes.length > 0) {
            process.stdout.write(`      ${notes.join("\n      ")}\n`);
        }
    });

    /**
     * The new application differs from the old in its last (COPY) layer only, carries
     * `expectedHash`, and its push uploaded exactly that layer, its config and its manifest.
     */
    async function checkOneLayer(
        oldLayers: string[],
        next: { run: Awaited<ReturnType<Executor["plan"]>>; before: Set<string> },
        expectedHash: string,
    ): Promise<string> {
        const app = next.run.application;
        const newLayers = inspect<{ Layers: string[] }>(t, app.result.reference, ".RootFS").Layers;
        assert.equal(newLayers.length, oldLayers.length);
        const differ = newLayers.map((l, i) => (l === oldLayers[i] ? -1 : i)).filter((i) => i >= 0);
        assert.deepEqual(differ, [newLayers.length - 1], "exactly the last (COPY) layer differs");
        const env = inspect<string[]>(t, app.result.reference, ".Config.Env");
        assert.ok(env.includes(`IMAGE_GIT_HASH=${expectedHash}`), JSON.stringify(env));
        assert.equal(
            inspect<Record<string, string>>(t, app.result.reference, ".Config.Labels")[
                "org.opencontainers.image.revision"
            ],
            expectedHash,
        );

        const manifest = await registry.manifest(repos.application, app.spec.tags[0]);
        assert.equal(`${app.spec.image}@${manifest.digest}`, app.result.reference);
        const uploaded = newBlobs(manifest, next.before);
        assert.deepEqual(
            uploaded.map((b) => b.kind).sort(),
            ["config", "layer", "manifest"],
            `new blobs: ${JSON.stringify(uploaded)}`,
        );
        assert.equal(
            uploaded.find((b) => b.kind === "layer")!.digest,
            manifest.layers[manifest.layers.length - 1].digest,
        );
        const bytes = uploaded.reduce((n, b) => n + b.size, 0);
        const total = manifest.layers.reduce((n, l) => n + l.size, 0) + manifest.config.size + manifest.size;
        assert.ok(bytes * 20 < total, `pushed ${bytes} of ${total} bytes`);
        return `${bytes} bytes (1 layer + config + manifest) of the image's ${total}`;
    }

    it("builds the runtime from the Python base with apt packages and the example's requirements from PyPI, and the application FROM the runtime by digest", async () => {
        const { runtime, application } = first;
        assert.ok(runtime.built && application.built, "both builds ran");
        // the runtime: FROM the base, apt packages, the example's requirements (numpy) from PyPI
        assert.equal(runtime.spec.image, `${t.registry}/${repos.runtime}`);
        // the base by tag, resolved on the engine: built here and never pushed, so its image id
        assert.equal(runtime.spec.base, t.pythonImage);
        assert.deepEqual(runtime.spec.buildArgs, {
            from: dockerOk(t, ["image", "inspect", "--format={{.Id}}", t.pythonImage]),
        });
        assert.match(runtime.spec.dockerfile, /apt-get install -y --no-install-recommends jq/);
        assert.match(runtime.spec.dockerfile, /pip install --no-cache-dir -r \/tmp\/requirements\.txt/);
        assert.deepEqual(runtime.spec.context, {
            kind: "files",
            files: [{ src: "example/requirements.txt", dest: "requirements.txt" }],
        });
        assert.deepEqual(runtime.spec.tags, [runtime.spec.tags[0], "latest"]);
        const runtimeTagged = `${runtime.spec.image}:${runtime.spec.tags[0]}`;
        const pinned = /^numpy==(\S+)$/m.exec(readFileSync(path.join(ROOT, "example/requirements.txt"), "utf8"));
        assert.ok(pinned, "example/requirements.txt pins numpy");
        const script = "import numpy; print(numpy.__version__, int(numpy.arange(7).sum() * 2))";
        assert.equal(
            dockerOk(t, ["run", "--rm", "--network", "none", runtimeTagged, "python3", "-c", script]),
            `${pinned[1]} 42`,
        );
        assert.match(dockerOk(t, ["run", "--rm", "--network", "none", runtimeTagged, "jq", "--version"]), /^jq-/);

        // pushed: the registry serves the runtime's content tag at the digest Docker reports
        const repoDigests = inspect<string[]>(t, runtimeTagged, ".RepoDigests");
        const pushed = repoDigests.find((d) => d.startsWith(`${runtime.spec.image}@sha256:`));
        assert.ok(pushed, `no RepoDigest for ${runtime.spec.image}: ${JSON.stringify(repoDigests)}`);
        assert.equal(
            (await registry.manifest(repos.runtime, runtime.spec.tags[0])).digest,
            pushed.slice(runtime.spec.image.length + 1),
        );
        assert.deepEqual(await registry.tags(repos.runtime), [...runtime.spec.tags].sort());
        assert.equal(runtime.result.reference, pushed);

        // the application: the executed command's `from` is the runtime's pushed digest
        const from = application.spec.buildArgs.from;
        assert.match(
            from,
            new RegExp(`^${t.registry.replace(/\./g, "\\.")}/fireworker/${names.runtime}@sha256:[0-9a-f]{64}$`),
        );
        assert.equal(from, pushed);
        assert.equal(JSON.parse(application.env.FW_BUILD_ARGS).from, pushed);
        assert.match(application.spec.dockerfile, /^FROM \$\{from\}$/m);
        assert.equal(first.outputs.runtimeReference, pushed);
        assert.equal(first.outputs.applicationReference, application.result.reference);

        // ... and its layers are the runtime's layers, then its own
        const appTagged = `${application.spec.image}:${application.spec.tags[0]}`;
        const runtimeLayers = inspect<{ Layers: string[] }>(t, pushed, ".RootFS").Layers;
        const appLayers = inspect<{ Layers: string[] }>(t, appTagged, ".RootFS").Layers;
        assert.deepEqual(appLayers.slice(0, runtimeLayers.length), runtimeLayers);
        assert.equal(
            appLayers.length,
            runtimeLayers.length + 1,
            "the application adds exactly one filesystem layer (COPY)",
        );
        assert.deepEqual(await registry.tags(repos.application), [...application.spec.tags].sort());
    });

    it("gives pip this machine's pip configuration, and keeps none of it in the image: no variable, history entry or file", async () => {
        const ref = first.runtime.result.reference;
        const config = readPipConfig(t.env);
        const log = Buffer.concat(executor.log).toString("utf8");
        const relay = /through a relay on (127\.\d+\.\d+\.\d+):\d+/.exec(log);
        assert.equal(Boolean(relay), Boolean(config), `relayed ${Boolean(relay)}, configuration ${Boolean(config)}`);
        if (relay) {
            assert.ok(log.includes(`Looking in indexes: ${PIP_RELAY_INDEX}`), "pip in the build did not use the relay");
        }
        notes.push(
            config
                ? `pip configuration relayed to the runtime build: ${describePipConfig(config)}`
                : "this machine has no pip configuration: pip reached its index alone",
        );
        const needles = {
            strings: [
                ...(relay ? [relay[1]] : []),
                ...(config && config.indexUrl !== PYPI_SIMPLE ? [config.indexUrl] : []),
                ...(config?.extraIndexUrls ?? []),
            ],
            history: [...(config?.cert ? [config.cert] : []), "PIP_CERT"],
            pems: config?.cert ? pemBodies(readFileSync(config.cert, "utf8")) : [],
        };
        assert.deepEqual(await pipTraces(t, ref, t.pythonImage, needles), []);
        assert.equal(dockerOk(t, ["run", "--rm", "--network", "none", ref, "pip", "config", "list"]), "");
    });

    it("finds pip configuration written into an image (the control: a build arg, a pip.conf with a certificate)", async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "fw-pip-control-"));
        const ref = `fireworker-it/${runId}-pip-control:1`;
        try {
            const config = readPipConfig(t.env);
            const pem = config?.cert ? (readFileSync(config.cert, "utf8").match(PEM)?.[0] ?? "") : "";
            const cert =
                pem || "-----BEGIN CERTIFICATE-----\nZmlyZXdvcmtlci1pbWFnZXMgY29udHJvbA==\n-----END CERTIFICATE-----";
            const url = "http://127.31.41.59:3141/simple/";
            writeFiles(dir, {
                Dockerfile: `FROM ${t.pythonImage}\nARG PIP_INDEX_URL\nCOPY pip.conf pip-ca.pem /etc/\nRUN test -n "$PIP_INDEX_URL"\n`,
                "pip.conf": "[global]\ncert = /etc/pip-ca.pem\n",
                "pip-ca.pem": `${cert}\n`,
            });
            dockerOk(t, ["build", "--quiet", "--network=host", `--build-arg=PIP_INDEX_URL=${url}`, "--tag", ref, dir]);
            const traces = await pipTraces(t, ref, t.pythonImage, { strings: [url], pems: pemBodies(cert) });
            assert.deepEqual(traces.sort(), [
                "file etc/pip-ca.pem has a certificate of pip's cert",
                "file etc/pip.conf",
                `history has ${url}`,
            ]);
        } finally {
            docker(t, ["rmi", "-f", ref]);
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("carries the payload's git facts as ENV and every label, from a real commit", () => {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const env = Object.fromEntries(
            inspect<string[]>(t, ref, ".Config.Env").map((kv) => [
                kv.slice(0, kv.indexOf("=")),
                kv.slice(kv.indexOf("=") + 1),
            ]),
        );
        // committed at 2024-03-05T06:07:08+02:00, i.e. 04:07:08 UTC
        assert.equal(env.IMAGE_GIT_HASH, firstCommit);
        assert.equal(env.IMAGE_GIT_BRANCH, "main");
        assert.equal(env.IMAGE_TIMESTAMP, "20240305.040708");
        const got = inspect<Record<string, string>>(t, ref, ".Config.Labels");
        assert.deepEqual(got, {
            application: labels.application,
            email: labels.email,
            license: labels.license,
            organization: labels.organization,
            website: labels.website,
            repository: labels.repository,
            "org.example.lab.team": labels["org.example.lab.team"],
            "org.opencontainers.image.revision": firstCommit,
            // a local stack has no trigger repository: the source is the repository label
            "org.opencontainers.image.source": labels.repository,
            "org.opencontainers.image.created": "2024-03-05T04:07:08Z",
            "org.opencontainers.image.title": labels.application,
            "org.opencontainers.image.licenses": labels.license,
            "org.opencontainers.image.url": labels.website,
            "org.opencontainers.image.vendor": labels.organization,
        });
        assert.deepEqual(inspect<string[]>(t, ref, ".Config.Cmd"), ["python3", "main.py"]);
        assert.equal(inspect<string>(t, ref, ".Config.WorkingDir"), "/app");
        assert.equal(
            dockerOk(t, ["run", "--rm", "--network", "none", "--user", "12345:12345", ref]),
            `payload ${runId} ${firstCommit}`,
        );
    });

    it("lets a task running as --user 12345:12345 write every runtime.writableDirs entry", () => {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const script = [
            "set -e",
            'for d in "$@"; do echo x > "$d/probe"; mkdir "$d/sub"; echo y > "$d/sub/probe"; done',
            // the control: the same user cannot write where nobody made it writable
            "if touch /usr/probe 2>/dev/null; then echo /usr is writable; exit 1; fi",
            "id -u",
        ].join("\n");
        const out = dockerOk(t, [
            "run",
            "--rm",
            "--network",
            "none",
            "--user",
            "12345:12345",
            ref,
            "sh",
            "-c",
            script,
            "sh",
            ...writableDirs,
        ]);
        assert.equal(out, "12345");
    });

    it("leaves out what .dockerignore and .gcloudignore exclude, keeps the ! exceptions", () => {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const listing = dockerOk(t, [
            "run",
            "--rm",
            "--network",
            "none",
            ref,
            "find",
            "/app",
            "-mindepth",
            "1",
            "-printf",
            "%P %y %m\\n",
        ])
            .split("\n")
            .sort();
        assert.deepEqual(listing, [
            "fixtures d 755",
            "fixtures/keep.json f 644",
            "lib d 755",
            "lib/util.py f 644",
            "main.py f 644",
            "run.sh f 755",
        ]);
        // absent: .git, .gcloudignore, __pycache__ (both levels), *.pyc, fixtures/skip.json,
        // fixtures/large/ (fixtures/*), notes/ and *.env (.gcloudignore only), the rendered
        // Dockerfile and the packed .dockerignore
        assert.equal(
            dockerOk(t, ["run", "--rm", "--network", "none", ref, "cat", "/app/fixtures/keep.json"]),
            '{"keep": true}',
        );
    });

    it("after a one-line change rebuilds and pushes only the application layer; unchanged, builds and pushes nothing", async () => {
        const store = blobStore();
        const old = first.application;
        const oldLayers = inspect<{ Layers: string[] }>(t, old.result.reference, ".RootFS").Layers;
        const runtimeTags = await registry.tags(repos.runtime);
        const runtimeManifest = await registry.manifest(repos.runtime, first.runtime.spec.tags[0]);

        const rebuild = async (label: string) => {
            const before = blobSet(store);
            const started = Date.now();
            const run = await executor.plan(config);
            const seconds = (Date.now() - started) / 1000;
            // the runtime: same inputs (its content hash included), so its command did not run and
            // nothing of it was pushed
            assert.equal(run.runtime.spec.tags[0], first.runtime.spec.tags[0]);
            assert.equal(run.runtime.built, false, `${label}: the runtime was rebuilt`);
            assert.deepEqual(await registry.tags(repos.runtime), runtimeTags);
            assert.equal(
                (await registry.manifest(repos.runtime, first.runtime.spec.tags[0])).digest,
                runtimeManifest.digest,
            );
            assert.equal(run.application.spec.buildArgs.from, first.runtime.result.reference);
            return { run, before, seconds };
        };

        // 1. a committed one-line change
        writeFileSync(path.join(payload, "lib/util.py"), "def answer():\n    return 43\n");
        const secondCommit = commitAll(payload, "one line", "2024-03-06T00:00:00Z");
        const second = await rebuild("committed change");
        assert.equal(second.run.application.built, true, "the application was not rebuilt");
        assert.notEqual(second.run.application.spec.tags[0], old.spec.tags[0]);
        const pushedTwo = await checkOneLayer(oldLayers, second, secondCommit);
        const secondLayers = inspect<{ Layers: string[] }>(
            t,
            second.run.application.result.reference,
            ".RootFS",
        ).Layers;
        notes.push(`committed one-line change: program run ${second.seconds.toFixed(1)}s, pushed ${pushedTwo}`);

        // 2. the same kind of change left uncommitted: the hash says so
        writeFileSync(path.join(payload, "lib/util.py"), "def answer():\n    return 44\n");
        const third = await rebuild("uncommitted change");
        assert.equal(third.run.application.built, true, "the application was not rebuilt");
        const pushedThree = await checkOneLayer(secondLayers, third, `${secondCommit}-dirty`);
        notes.push(`uncommitted one-line change: program run ${third.seconds.toFixed(1)}s, pushed ${pushedThree}`);

        // 3. nothing changed: the same content hashes, so nothing builds and nothing is pushed
        const appTags = await registry.tags(repos.application);
        const fourth = await rebuild("no change");
        assert.equal(fourth.run.application.built, false, "the unchanged application was rebuilt");
        assert.equal(fourth.run.application.spec.tags[0], third.run.application.spec.tags[0]);
        assert.deepEqual(fourth.run.outputs, third.run.outputs);
        assert.deepEqual(await registry.tags(repos.application), appTags);
        const appManifest = await registry.manifest(repos.application, third.run.application.spec.tags[0]);
        assert.deepEqual(newBlobs(appManifest, fourth.before), []);
        notes.push(`unchanged payload: program run ${fourth.seconds.toFixed(1)}s, nothing built or pushed`);
    });
});

describe("builders of one content tag race (integration: Docker and the test registry)", function () {
    this.timeout(600_000);
    let t: TestEnv;
    let work: string;
    let spec: BuildSpec;
    let proxy: ImmutableRegistry;
    const runId = randomBytes(4).toString("hex");
    const DOCKERFILE = (base: string) =>
        // not reproducible: every build of it is another image, so a second push would show
        `FROM ${base}\nRUN od -An -N16 -tx1 /dev/urandom > /build-id\n`;

    before(async function () {
        t = await requireDockerOrSkip(this);
        work = mkdtempSync(path.join(os.tmpdir(), "fw-race-test-"));
        writeFiles(work, { "ctx/main.py": `print("${runId}")\n` });
        const context = { kind: "directory" as const, dir: "ctx" };
        spec = {
            kind: "application",
            builder: "docker",
            image: `${t.registry}/fw-race-${runId}/app`,
            tags: [`${runId}0123456789ab`, "latest"],
            contextDigest: await hashContext(collectContext(context, work)),
            context,
            dockerfile: DOCKERFILE(t.baseImage),
            buildArgs: {},
            push: true,
        };
        proxy = await immutableRegistry(t.registry);
    });
    after(async () => {
        await proxy?.close();
        if (t && spec) {
            removeImages(t, spec.image);
            removeImages(t, `${proxy.host}/fw-race-${runId}/trigger`);
            await new Registry(t.registry).deleteRepository(`fw-race-${runId}/app`);
            await new Registry(t.registry).deleteRepository(`fw-race-${runId}/trigger`);
        }
        if (work) rmSync(work, { recursive: true, force: true });
    });

    const manifests = async (name: string, tag: string) => new Registry(t.registry).manifest(name, tag);

    it("local builders at once and one after another: one image, every builder its digest, latest on it", async () => {
        const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
        const build = () => runBuild(spec, { projectRoot: work, network: "host", env: t.env, log: quiet });
        const at = await Promise.all([build(), build(), build(), build()]);
        // the engine loses the image: the next builder finds the registry's and builds nothing
        removeImages(t, spec.image);
        const after = [await build(), await build()];
        const content = await manifests(`fw-race-${runId}/app`, spec.tags[0]);
        const latest = await manifests(`fw-race-${runId}/app`, "latest");
        for (const r of [...at, ...after]) {
            assert.deepEqual(r, { digest: content.digest, reference: `${spec.image}@${content.digest}` });
        }
        assert.equal(latest.digest, content.digest);
        assert.deepEqual(await new Registry(t.registry).tags(`fw-race-${runId}/app`), [spec.tags[0], "latest"].sort());
    });

    it("trigger builds at once on immutable tags: one image, the losers read the winner's digest back", async () => {
        const image = `${proxy.host}/fw-race-${runId}/trigger`;
        const triggerSpec = { ...spec, image, tags: [spec.tags[0], "nightly"] };
        const dirs = [0, 1, 2].map((i) => {
            const d = path.join(work, `trigger-${i}`);
            mkdirSync(path.join(d, ".fireworker", "trigger"), { recursive: true });
            return d;
        });
        for (const d of dirs) {
            await writeContextFile(
                collectContext(spec.context, work),
                spec.dockerfile,
                path.join(d, ".fireworker/trigger/context.tar"),
            );
            writeFileSync(path.join(d, "build.sh"), buildScript(triggerSpec, ".fireworker/trigger/context.tar"));
        }
        // the classic builder's --network=cloudbuild does not exist here: host, as the other tests;
        // and no layer cache, as on Cloud Build's fresh workers (each build is another image)
        const env = { ...t.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}` };
        mkdirSync(path.join(work, "bin"), { recursive: true });
        writeFileSync(
            path.join(work, "bin", "docker"),
            [
                "#!/usr/bin/env bash",
                'args=(); for a in "$@"; do [ "$a" = --network=cloudbuild ] && a=--network=host; args+=("$a"); done',
                '[ "$1" = build ] && args=(build --no-cache "${args[@]:1}")',
                `exec ${JSON.stringify(dockerPath())} "\${args[@]}"`,
                "",
            ].join("\n"),
        );
        chmodSync(path.join(work, "bin", "docker"), 0o755);
        const runs = await Promise.all(
            dirs.map(
                (d) =>
                    new Promise<{ code: number | null; out: string }>((resolve) => {
                        const child = spawn("bash", ["build.sh"], { cwd: d, env });
                        let out = "";
                        child.stdout.on("data", (c: Buffer) => (out += c));
                        child.stderr.on("data", (c: Buffer) => (out += c));
                        child.on("close", (code) => resolve({ code, out }));
                    }),
            ),
        );
        for (const r of runs) assert.equal(r.code, 0, r.out);
        const content = await manifests(`fw-race-${runId}/trigger`, spec.tags[0]);
        for (const [i, r] of runs.entries()) {
            assert.equal(r.code, 0, r.out);
            assert.equal(readFileSync(path.join(dirs[i], ".fireworker/trigger/digest"), "utf8").trim(), content.digest);
        }
        assert.equal((await manifests(`fw-race-${runId}/trigger`, "nightly")).digest, content.digest);
        // (on one shared engine the builders may also end up pushing the same last-tagged image;
        // on Cloud Build each has its own engine, and the loser's push is refused and read back,
        // which the unit test of the script covers)
    });
});

function dockerPath(): string {
    const r = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8" });
    return r.stdout.trim();
}
