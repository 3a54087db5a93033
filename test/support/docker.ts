/**
 * Docker, the test registry and the program's real image builds, for the integration tests and
 * the benchmarks (both on the environment of scripts/test-env).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { type Readable, Writable } from "node:stream";
import * as tar from "tar-stream";
import { type BuildResult, type BuildSpec, buildSpecFromEnvironment } from "../../lib/build/buildSpec";
import { resolveWithEngine } from "../../lib/build/resolveBase";
import { runBuild } from "../../lib/build/runBuild";
import { planStack } from "../../lib/plan/offlinePlan";
import { ROOT } from "./plan";
import type { TestEnv } from "./testEnv";

// ---------------------------------------------------------------------------- docker ----

export function docker(t: TestEnv, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("docker", args, { env: t.env, encoding: "utf8", timeout: 300_000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** docker that must succeed: its trimmed stdout. */
export function dockerOk(t: TestEnv, args: string[]): string {
    const r = docker(t, args);
    assert.equal(r.status, 0, `docker ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/**
 * Removes every tag and digest reference of a repository (best effort), never by image id, so an
 * image that another repository shares (others use the same engine) only loses this repository's.
 */
export function removeImages(t: TestEnv, repository: string): void {
    // by tag, and by digest: an image pulled by its digest has no tag, and would stay behind
    const listed = docker(t, [
        "image",
        "ls",
        "--digests",
        "--format",
        "{{.Repository}}:{{.Tag}}\n{{.Repository}}@{{.Digest}}",
        repository,
    ]).stdout;
    const refs = [...new Set(listed.split("\n").filter((r) => r && !r.endsWith(":<none>") && !r.endsWith("@<none>")))];
    if (refs.length > 0) {
        docker(t, ["rmi", ...refs]);
    }
}

/**
 * Keeps the newest image of `repository` as `fireworker-test/build-cache:<key>`, replacing (and
 * removing) the one kept there before, ahead of a test's removeImages. Docker's classic builder
 * finds its cache among the images in the engine, so a warm test machine keeps its build cache
 * as it keeps its test environment: the next run of the same Dockerfile (a lab's apt-get
 * layer) is a cache hit. Nothing depends on it: without it, the build runs every step.
 */
export function keepBuildCache(t: TestEnv, repository: string, key: string): void {
    const kept = `fireworker-test/build-cache:${key}`;
    const newest = docker(t, ["image", "ls", "--quiet", repository]).stdout.split("\n")[0]?.trim();
    if (!newest) return;
    const before = docker(t, ["image", "inspect", "--format", "{{.Id}}", kept]).stdout.trim();
    docker(t, ["tag", newest, kept]);
    const now = docker(t, ["image", "inspect", "--format", "{{.Id}}", kept]).stdout.trim();
    // the image kept before, now without a name (best effort: another test may use it as a base)
    if (before && before !== now) docker(t, ["rmi", before]);
}

/** An entry of an image layer: its path, its tar type (`file`, `symlink`, `link`, `directory`, ...) and bytes. */
export interface LayerFile {
    path: string;
    type: string;
    body: Buffer;
}

/** The diff ids of an image's layers, base first. */
export function layerIds(t: TestEnv, ref: string): string[] {
    return JSON.parse(dockerOk(t, ["image", "inspect", "--format", "{{json .RootFS.Layers}}", ref])) as string[];
}

/**
 * Every entry of the image's layers whose diff ids `own` lists (e.g. the layers a build added
 * to its base), read from `docker save`; `visit` sees each one. A layer is found by its content,
 * in either layout `docker save` writes: `<id>/layer.tar` (Docker before 25) or an OCI blob.
 * Returns how many of the layers it read.
 */
export async function scanLayers(
    t: TestEnv,
    ref: string,
    own: string[],
    visit: (f: LayerFile) => void,
): Promise<number> {
    const child = spawn("docker", ["save", ref], { env: t.env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const outer = tar.extract();
    let scanned = 0;
    const done = new Promise<void>((resolve, reject) => {
        outer.on("entry", (header, stream, next) => {
            if (!header.name.endsWith("/layer.tar") && !/^blobs\/sha256\/[0-9a-f]{64}$/.test(header.name)) {
                stream.resume();
                stream.on("end", next);
                return;
            }
            // the layer's diff id is the sha256 of its uncompressed tar: buffer it, check, scan
            const chunks: Buffer[] = [];
            const hash = createHash("sha256");
            stream.on("data", (c: Buffer) => {
                chunks.push(c);
                hash.update(c);
            });
            stream.on("end", () => {
                if (!own.includes(`sha256:${hash.digest("hex")}`)) {
                    next();
                    return;
                }
                scanned++;
                const inner = tar.extract();
                inner.on("entry", (h, s, n) => {
                    const body: Buffer[] = [];
                    s.on("data", (c: Buffer) => body.push(c));
                    s.on("end", () => {
                        visit({ path: h.name, type: h.type ?? "file", body: Buffer.concat(body) });
                        n();
                    });
                });
                inner.on("finish", () => next());
                inner.on("error", reject);
                inner.end(Buffer.concat(chunks));
            });
        });
        outer.on("finish", resolve);
        outer.on("error", reject);
    });
    (child.stdout as Readable).pipe(outer);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, `docker save ${ref} failed: ${stderr}`);
    await done;
    return scanned;
}

// -------------------------------------------------------------------------- registry ----

export interface Manifest {
    digest: string;
    size: number;
    config: { digest: string; size: number };
    layers: { digest: string; size: number }[];
}

const MANIFEST_TYPES =
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

/** The test registry's HTTP API (plain HTTP, no auth). */
export class Registry {
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
            headers: { Accept: MANIFEST_TYPES },
        });
        assert.equal(res.status, 200, `GET manifest ${name}:${ref}: ${res.status}`);
        const body = await res.text();
        const m = JSON.parse(body) as Omit<Manifest, "digest" | "size">;
        return {
            digest: res.headers.get("docker-content-digest") ?? "",
            size: Buffer.byteLength(body),
            config: m.config,
            layers: m.layers,
        };
    }

    async deleteManifest(name: string, digest: string): Promise<void> {
        try {
            await fetch(`http://${this.host}/v2/${name}/manifests/${digest}`, { method: "DELETE" });
        } catch {
            // the registry is the test environment's; leftovers are harmless
        }
    }

    /** Deletes every tagged manifest of a repository (best effort; the blobs stay until a registry GC). */
    async deleteRepository(name: string): Promise<void> {
        // leftovers in the test registry are harmless
        for (const tag of await this.tags(name).catch(() => [] as string[])) {
            const head = await fetch(`http://${this.host}/v2/${name}/manifests/${tag}`, {
                method: "HEAD",
                headers: { Accept: MANIFEST_TYPES },
            }).catch(() => undefined);
            const digest = head?.headers.get("docker-content-digest");
            if (digest) {
                await this.deleteManifest(name, digest);
            }
        }
    }
}

/**
 * The blobs the registry stores (layers, configs and manifests alike), from its storage
 * directory: scripts/test-env writes it in registry.yml under its state directory.
 */
export function blobStore(): string {
    const conf = path.join(process.env.FW_TEST_ENV_DIR || "/var/tmp/fireworker-test-env", "registry.yml");
    assert.ok(existsSync(conf), `no ${conf}: the blob checks need the registry started by scripts/test-env`);
    const m = /^\s*rootdirectory:\s*(\S+)\s*$/m.exec(readFileSync(conf, "utf8"));
    assert.ok(m, `no storage.filesystem.rootdirectory in ${conf}`);
    return path.join(m[1], "docker", "registry", "v2", "blobs", "sha256");
}

export function blobSet(store: string): Set<string> {
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
export function newBlobs(
    m: Manifest,
    before: Set<string>,
): { kind: "manifest" | "config" | "layer"; digest: string; size: number }[] {
    const all = [
        { kind: "manifest" as const, digest: m.digest, size: m.size },
        { kind: "config" as const, ...m.config },
        ...m.layers.map((l) => ({ kind: "layer" as const, ...l })),
    ];
    return all.filter((b) => !before.has(b.digest));
}

/** Bytes an image's push uploaded (its new blobs) and how many of them are layers. */
export function uploaded(m: Manifest, before: Set<string>): { bytes: number; layers: number } {
    const fresh = newBlobs(m, before);
    return { bytes: fresh.reduce((n, b) => n + b.size, 0), layers: fresh.filter((b) => b.kind === "layer").length };
}

// -------------------------------------------------------------------------- executor ----

export interface Execution {
    kind: "runtime" | "application";
    env: Record<string, string>;
    spec: BuildSpec;
    /** false: its inputs equal those of its last run, so, as under Pulumi, nothing ran. */
    built: boolean;
    result: BuildResult;
}

/**
 * The offline plan's `execute` seam with Pulumi's semantics for a `command:local:Command` without
 * `update`: it runs (again) when its inputs changed, i.e. its trigger (the content hash, the first
 * tag) or any other variable of its environment; else the previous result comes back and nothing
 * builds. The builds really run (lib/build/runBuild.ts) on the test engine and push to its registry.
 */
export class Executor {
    readonly log: Buffer[] = [];
    /** Per build command (resource): the inputs and result of its last run, as in the stack state. */
    private readonly state = new Map<Execution["kind"], { key: string; result: BuildResult }>();
    private current: Execution[] = [];

    constructor(private readonly t: TestEnv) {}

    /** Runs the program once for `config`: the plan and the build commands it executed. */
    async plan(
        config: Record<string, string>,
    ): Promise<{ outputs: Record<string, unknown>; runtime: Execution; application: Execution }> {
        this.current = [];
        const plan = await planStack("local", config, {
            execute: (env) => this.execute(env),
            // as `pulumi up` does: each base by tag resolved on the engine (pulled when absent)
            resolveBase: (reference) => resolveWithEngine(reference, { env: this.t.env }),
        });
        const one = (kind: Execution["kind"]) => {
            const found = this.current.filter((e) => e.kind === kind);
            assert.equal(found.length, 1, `${kind} build commands executed: ${found.length}`);
            return found[0];
        };
        return { outputs: plan.outputs, runtime: one("runtime"), application: one("application") };
    }

    private async execute(env: Record<string, string>): Promise<BuildResult> {
        const spec = buildSpecFromEnvironment(env);
        const kind = spec.kind;
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
