// Integration tests of the image builds: the whole program (settings -> components -> command
// environment -> lib/runBuild.ts) runs under the offline plan's mocks, and every build command
// really builds on the test engine and pushes to the test registry (scripts/test-env). Nothing
// here copies a Dockerfile: what is built is exactly what the components render.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { planStack, stackConfig } from "../lib/offlinePlan";
import { BuildResult, BuildSpec, runBuild, specFromEnvironment } from "../lib/runBuild";
import { patchSetting, ROOT } from "./support/plan";
import { requireDockerOrSkip, TestEnv } from "./support/testEnv";

// ------------------------------------------------------------------------------ helpers ----

function docker(t: TestEnv, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("docker", args, { env: t.env, encoding: "utf8", timeout: 300_000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function dockerOk(t: TestEnv, args: string[]): string {
    const r = docker(t, args);
    assert.equal(r.status, 0, `docker ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

function inspect<T>(t: TestEnv, ref: string, field: string): T {
    return JSON.parse(dockerOk(t, ["image", "inspect", "--format", `{{json ${field}}}`, ref])) as T;
}

/** git with a clean environment (no inherited GIT_DIR, no user config). */
function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_")));
    const r = spawnSync("git", ["-c", "user.name=Fireworker Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { ...clean, GIT_CONFIG_NOSYSTEM: "1", HOME: dir, ...env },
    });
    assert.equal(r.status, 0, `git ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/** Commits everything at a fixed committer date (and another author date, so the two are told apart). */
function commitAll(dir: string, message: string, committerDate: string): string {
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", message], { GIT_COMMITTER_DATE: committerDate, GIT_AUTHOR_DATE: "2001-02-03T04:05:06Z" });
    return git(dir, ["rev-parse", "HEAD"]);
}

function writeFiles(root: string, files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), text);
    }
}

interface Manifest {
    digest: string;
    size: number;
    config: { digest: string; size: number };
    layers: { digest: string; size: number }[];
}

/** The test registry's HTTP API (plain HTTP, no auth). */
class Registry {
    constructor(readonly host: string) {}

    async tags(name: string): Promise<string[]> {
        const res = await fetch(`http://${this.host}/v2/${name}/tags/list`);
        if (res.status === 404) {
            return [];
        }
        assert.equal(res.status, 200, `GET tags of ${name}: ${res.status}`);
        return (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
    }

    async manifest(name: string, ref: string): Promise<Manifest> {
        const res = await fetch(`http://${this.host}/v2/${name}/manifests/${ref}`, {
            headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
        });
        assert.equal(res.status, 200, `GET manifest ${name}:${ref}: ${res.status}`);
        const body = await res.text();
        const m = JSON.parse(body) as Omit<Manifest, "digest" | "size">;
        return { digest: res.headers.get("docker-content-digest") ?? "", size: Buffer.byteLength(body), config: m.config, layers: m.layers };
    }

    async deleteManifest(name: string, digest: string): Promise<void> {
        try {
            await fetch(`http://${this.host}/v2/${name}/manifests/${digest}`, { method: "DELETE" });
        } catch {
            // the registry is the test environment's; leftovers are harmless
        }
    }
}

/**
 * The blobs the registry stores (layers, configs and manifests alike), from its storage
 * directory: scripts/test-env writes it in registry.yml under its state directory.
 */
function blobStore(): string {
    const conf = path.join(process.env.FW_TEST_ENV_DIR || "/var/tmp/fireworker-test-env", "registry.yml");
    assert.ok(existsSync(conf), `no ${conf}: the blob checks need the registry started by scripts/test-env`);
    const m = /^\s*rootdirectory:\s*(\S+)\s*$/m.exec(readFileSync(conf, "utf8"));
    assert.ok(m, `no storage.filesystem.rootdirectory in ${conf}`);
    return path.join(m[1], "docker", "registry", "v2", "blobs", "sha256");
}

function blobSet(store: string): Set<string> {
    const out = new Set<string>();
    if (!existsSync(store)) {
        return out;
    }
    for (const prefix of readdirSync(store)) {
        for (const hex of readdirSync(path.join(store, prefix))) {
            if (existsSync(path.join(store, prefix, hex, "data"))) {
                out.add(`sha256:${hex}`);
            }
        }
    }
    return out;
}

/** The blobs of an image that the registry did not have before: what its push uploaded. */
function newBlobs(m: Manifest, before: Set<string>): { kind: "manifest" | "config" | "layer"; digest: string; size: number }[] {
    const all = [
        { kind: "manifest" as const, digest: m.digest, size: m.size },
        { kind: "config" as const, ...m.config },
        ...m.layers.map((l) => ({ kind: "layer" as const, ...l })),
    ];
    return all.filter((b) => !before.has(b.digest));
}

interface Execution {
    kind: "runtime" | "application";
    env: Record<string, string>;
    spec: BuildSpec;
    /** false: its inputs equal those of its last run, so, as under Pulumi, nothing ran. */
    built: boolean;
    result: BuildResult;
}

/**
 * The `execute` seam with Pulumi's semantics for a `command:local:Command` without `update`: it
 * runs (again) when its inputs changed, i.e. its trigger (the content hash, the first tag) or any
 * other variable of its environment; else the previous result comes back and nothing builds.
 */
class Executor {
    readonly log: Buffer[] = [];
    /** Per build command (resource): the inputs and result of its last run, as in the stack state. */
    private readonly state = new Map<Execution["kind"], { key: string; result: BuildResult }>();
    private current: Execution[] = [];

    constructor(private readonly t: TestEnv) {}

    /** Runs the program once for `config`: the plan and the build commands it executed. */
    async plan(config: Record<string, string>): Promise<{ outputs: Record<string, unknown>; runtime: Execution; application: Execution }> {
        this.current = [];
        const plan = await planStack("local", config, { execute: (env) => this.execute(env) });
        const one = (kind: Execution["kind"]) => {
            const found = this.current.filter((e) => e.kind === kind);
            assert.equal(found.length, 1, `${kind} build commands executed: ${found.length}`);
            return found[0];
        };
        return { outputs: plan.outputs, runtime: one("runtime"), application: one("application") };
    }

    private async execute(env: Record<string, string>): Promise<BuildResult> {
        const spec = specFromEnvironment(env);
        const kind = "git_hash" in spec.buildArgs ? "application" : "runtime";
        // Pulumi diffs the command's inputs against its state (the last run of this resource) and
        // runs `create` again when any differs: the trigger (the content hash, first tag) or any
        // other variable of the environment
        const key = JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1)));
        const previous = this.state.get(kind)?.key === key ? this.state.get(kind)!.result : undefined;
        if (previous) {
            this.current.push({ kind, env, spec, built: false, result: previous });
            return previous;
        }
        const sink = new Writable({
            write: (chunk: Buffer, _enc, cb) => {
                this.log.push(Buffer.from(chunk));
                cb();
            },
        });
        let result: BuildResult;
        try {
            result = await runBuild(spec, { projectRoot: ROOT, network: "host", env: this.t.env, log: sink });
        } catch (err) {
            const tail = Buffer.concat(this.log).toString("utf8").split("\n").slice(-40).join("\n");
            throw new Error(`${(err as Error).message}\n--- build log (tail)\n${tail}`);
        }
        this.state.set(kind, { key, result });
        this.current.push({ kind, env, spec, built: true, result });
        return result;
    }
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
    };
    const sourceRepository = "example-lab/fireworker-payload";
    let repos: { runtime: string; application: string };
    let first: Awaited<ReturnType<Executor["plan"]>>;
    let firstCommit: string;
    const notes: string[] = [];

    before(async function () {
        t = await requireDockerOrSkip(this);
        this.timeout(600_000);
        registry = new Registry(t.registry);
        executor = new Executor(t);
        work = mkdtempSync(path.join(os.tmpdir(), "fw-images-test-"));
        const requirements = path.join(work, "requirements.txt");
        writeFileSync(requirements, "# nothing: the runtime needs no pip\n");
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
            ".dockerignore": [".git", ".gcloudignore", "**/__pycache__", "**/*.pyc", "fixtures/*", "!fixtures/keep.json", ""].join("\n"),
            // gitignore syntax: the Docker rules plus rules of its own
            ".gcloudignore": ["#!include:.dockerignore", "notes/", "*.env", ""].join("\n"),
        });
        chmodSync(path.join(payload, "run.sh"), 0o755);
        firstCommit = commitAll(payload, "payload", "2024-03-05T06:07:08+02:00");

        repos = { runtime: `fireworker/${names.runtime}`, application: `fireworker/${names.application}` };
        const base = stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml"));
        config = {
            ...base,
            "fireworker-images:registry": JSON.stringify({ localHost: t.registry }),
            "fireworker-images:triggers": JSON.stringify({ repository: sourceRepository }),
            ...patchSetting("local", "runtime", {
                name: names.runtime,
                base: t.baseImage,
                requirements: path.relative(ROOT, requirements),
                aptPackages: ["python3-minimal"],
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
        notes.push(`first program run (runtime + application built and pushed) ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    after(async function () {
        if (!t) {
            return;
        }
        for (const repo of [repos?.application, repos?.runtime]) {
            if (!repo) {
                continue;
            }
            const full = `${t.registry}/${repo}`;
            const ids = docker(t, ["image", "ls", "-q", "--no-trunc", full]).stdout.split("\n").filter(Boolean);
            for (const id of new Set(ids)) {
                docker(t, ["rmi", "-f", id]);
            }
            for (const tag of await registry.tags(repo).catch(() => [] as string[])) {
                const res = await fetch(`http://${t.registry}/v2/${repo}/manifests/${tag}`, {
                    method: "HEAD",
                    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
                }).catch(() => undefined);
                const digest = res?.headers.get("docker-content-digest");
                if (digest) {
                    await registry.deleteManifest(repo, digest);
                }
            }
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
        assert.equal(inspect<Record<string, string>>(t, app.result.reference, ".Config.Labels")["org.opencontainers.image.revision"], expectedHash);

        const manifest = await registry.manifest(repos.application, app.spec.tags[0]);
        assert.equal(`${app.spec.image}@${manifest.digest}`, app.result.reference);
        const uploaded = newBlobs(manifest, next.before);
        assert.deepEqual(uploaded.map((b) => b.kind).sort(), ["config", "layer", "manifest"], `new blobs: ${JSON.stringify(uploaded)}`);
        assert.equal(uploaded.find((b) => b.kind === "layer")!.digest, manifest.layers[manifest.layers.length - 1].digest);
        const bytes = uploaded.reduce((n, b) => n + b.size, 0);
        const total = manifest.layers.reduce((n, l) => n + l.size, 0) + manifest.config.size + manifest.size;
        assert.ok(bytes * 20 < total, `pushed ${bytes} of ${total} bytes`);
        return `${bytes} bytes (1 layer + config + manifest) of the image's ${total}`;
    }

    it("builds the runtime from the local base with apt packages and no pip, and the application FROM the runtime by digest", async function () {
        const { runtime, application } = first;
        assert.ok(runtime.built && application.built, "both builds ran");
        // the runtime: FROM the base, apt packages, no pip (requirements.txt lists nothing)
        assert.equal(runtime.spec.image, `${t.registry}/${repos.runtime}`);
        assert.deepEqual(runtime.spec.buildArgs, { from: t.baseImage });
        assert.match(runtime.spec.dockerfile, /apt-get install -y --no-install-recommends python3-minimal/);
        assert.doesNotMatch(runtime.spec.dockerfile, /pip/);
        assert.deepEqual(runtime.spec.context, { kind: "files", files: [] });
        assert.deepEqual(runtime.spec.tags, [runtime.spec.tags[0], "latest"]);
        const runtimeTagged = `${runtime.spec.image}:${runtime.spec.tags[0]}`;
        assert.equal(dockerOk(t, ["run", "--rm", "--network", "none", runtimeTagged, "python3", "-c", "print(6 * 7)"]), "42");

        // pushed: the registry serves the runtime's content tag at the digest Docker reports
        const repoDigests = inspect<string[]>(t, runtimeTagged, ".RepoDigests");
        const pushed = repoDigests.find((d) => d.startsWith(`${runtime.spec.image}@sha256:`));
        assert.ok(pushed, `no RepoDigest for ${runtime.spec.image}: ${JSON.stringify(repoDigests)}`);
        assert.equal((await registry.manifest(repos.runtime, runtime.spec.tags[0])).digest, pushed.slice(runtime.spec.image.length + 1));
        assert.deepEqual(await registry.tags(repos.runtime), [...runtime.spec.tags].sort());
        assert.equal(runtime.result.reference, pushed);

        // the application: the executed command's `from` is the runtime's pushed digest
        const from = application.spec.buildArgs.from;
        assert.match(from, new RegExp(`^${t.registry.replace(/\./g, "\\.")}/fireworker/${names.runtime}@sha256:[0-9a-f]{64}$`));
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
        assert.equal(appLayers.length, runtimeLayers.length + 1, "the application adds exactly one filesystem layer (COPY)");
        assert.deepEqual(await registry.tags(repos.application), [...application.spec.tags].sort());
    });

    it("carries the payload's git facts as ENV and every label, from a real commit", function () {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const env = Object.fromEntries(
            inspect<string[]>(t, ref, ".Config.Env").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
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
            "org.opencontainers.image.revision": firstCommit,
            "org.opencontainers.image.source": `https://github.com/${sourceRepository}`,
            "org.opencontainers.image.created": "2024-03-05T04:07:08Z",
            "org.opencontainers.image.title": labels.application,
            "org.opencontainers.image.licenses": labels.license,
            "org.opencontainers.image.url": labels.website,
            "org.opencontainers.image.vendor": labels.organization,
        });
        assert.deepEqual(inspect<string[]>(t, ref, ".Config.Cmd"), ["python3", "main.py"]);
        assert.equal(inspect<string>(t, ref, ".Config.WorkingDir"), "/app");
        assert.equal(dockerOk(t, ["run", "--rm", "--network", "none", "--user", "12345:12345", ref]), `payload ${runId} ${firstCommit}`);
    });

    it("lets a task running as --user 12345:12345 write every runtime.writableDirs entry", function () {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const script = [
            "set -e",
            'for d in "$@"; do echo x > "$d/probe"; mkdir "$d/sub"; echo y > "$d/sub/probe"; done',
            // the control: the same user cannot write where nobody made it writable
            "if touch /usr/probe 2>/dev/null; then echo /usr is writable; exit 1; fi",
            "id -u",
        ].join("\n");
        const out = dockerOk(t, ["run", "--rm", "--network", "none", "--user", "12345:12345", ref, "sh", "-c", script, "sh", ...writableDirs]);
        assert.equal(out, "12345");
    });

    it("leaves out what .dockerignore and .gcloudignore exclude, keeps the ! exceptions", function () {
        const app = first.application;
        const ref = `${app.spec.image}:${app.spec.tags[0]}`;
        const listing = dockerOk(t, ["run", "--rm", "--network", "none", ref, "find", "/app", "-mindepth", "1", "-printf", "%P %y %m\\n"])
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
        assert.equal(dockerOk(t, ["run", "--rm", "--network", "none", ref, "cat", "/app/fixtures/keep.json"]), '{"keep": true}');
    });

    it("after a one-line change rebuilds and pushes only the application layer; unchanged, builds and pushes nothing", async function () {
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
            assert.equal((await registry.manifest(repos.runtime, first.runtime.spec.tags[0])).digest, runtimeManifest.digest);
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
        const secondLayers = inspect<{ Layers: string[] }>(t, second.run.application.result.reference, ".RootFS").Layers;
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
