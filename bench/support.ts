/** Helpers of the benchmarks: Docker, the test registry and its blob store, git, timing, units. */
import { spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { Writable } from "stream";
import { planStack } from "../lib/offlinePlan";
import { BuildResult, BuildSpec, runBuild, specFromEnvironment } from "../lib/runBuild";
import type { TestEnv } from "../test/support/testEnv";

export const ROOT = path.resolve(__dirname, "..");

export function progress(line: string): void {
    process.stderr.write(`bench: ${line}\n`);
}

export function seconds(ms: number): string {
    return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

/** Decimal units, as registries and `docker pull` show sizes. */
export function bytes(n: number): string {
    const units = ["B", "kB", "MB", "GB"];
    let v = n;
    let u = 0;
    while (v >= 1000 && u < units.length - 1) {
        v /= 1000;
        u++;
    }
    return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function ratio(x: number): string {
    return x >= 100 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function sh(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
    const r = spawnSync(file, args, { encoding: "utf8", env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 256 << 20 });
    if (r.status !== 0) {
        throw new Error(`${file} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stdout ?? "").slice(-2000)}${(r.stderr ?? "").slice(-2000)}`);
    }
    return r.stdout;
}

/** Runs a command without blocking, its output kept; resolves with stdout, rejects on failure. */
export function shAsync(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(" ")} failed (exit ${code}):\n${out.slice(-2000)}${err.slice(-2000)}`)),
        );
    });
}

export function docker(t: TestEnv, args: string[]): string {
    return sh("docker", args, { env: t.env }).trim();
}

// ------------------------------------------------------------------------------- git ----

export function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_")));
    return sh("git", ["-c", "user.name=Fireworker Bench", "-c", "user.email=bench@example.org", "-c", "commit.gpgsign=false", ...args], {
        cwd: dir,
        env: { ...clean, GIT_CONFIG_NOSYSTEM: "1", HOME: dir, ...env },
    }).trim();
}

export function commitAll(dir: string, message: string, date: string): string {
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", message], { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date });
    return git(dir, ["rev-parse", "HEAD"]);
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
    for (const [rel, body] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), body);
    }
}

// -------------------------------------------------------------------------- registry ----

export interface Manifest {
    digest: string;
    size: number;
    config: { digest: string; size: number };
    layers: { digest: string; size: number }[];
}

const MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

export async function manifest(registry: string, name: string, ref: string): Promise<Manifest> {
    const res = await fetch(`http://${registry}/v2/${name}/manifests/${ref}`, { headers: { Accept: MANIFEST_TYPES } });
    if (res.status !== 200) {
        throw new Error(`GET manifest ${name}:${ref}: HTTP ${res.status}`);
    }
    const body = await res.text();
    const m = JSON.parse(body) as Omit<Manifest, "digest" | "size">;
    return { digest: res.headers.get("docker-content-digest") ?? "", size: Buffer.byteLength(body), config: m.config, layers: m.layers };
}

/** Deletes every manifest of a repository (best effort; the blobs stay until a registry GC). */
export async function deleteRepository(registry: string, name: string): Promise<void> {
    try {
        const res = await fetch(`http://${registry}/v2/${name}/tags/list`);
        if (res.status !== 200) {
            return;
        }
        const tags = ((await res.json()) as { tags: string[] | null }).tags ?? [];
        for (const tag of tags) {
            const head = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } });
            const digest = head.headers.get("docker-content-digest");
            if (digest) {
                await fetch(`http://${registry}/v2/${name}/manifests/${digest}`, { method: "DELETE" });
            }
        }
    } catch {
        // leftovers in the test registry are harmless
    }
}

/** Removes every local image of a repository (only that repository's). */
export function removeImages(t: TestEnv, repository: string): void {
    const ids = spawnSync("docker", ["image", "ls", "-q", "--no-trunc", repository], { env: t.env, encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean);
    for (const id of new Set(ids)) {
        spawnSync("docker", ["rmi", "-f", id], { env: t.env, encoding: "utf8" });
    }
}

/** The registry's blob directory (layers, configs and manifests), from scripts/test-env's registry.yml. */
export function blobStore(): string {
    const conf = path.join(process.env.FW_TEST_ENV_DIR || "/var/tmp/fireworker-test-env", "registry.yml");
    if (!existsSync(conf)) {
        throw new Error(`no ${conf}: the byte counts need the registry started by scripts/test-env`);
    }
    const m = /^\s*rootdirectory:\s*(\S+)\s*$/m.exec(readFileSync(conf, "utf8"));
    if (!m) {
        throw new Error(`no storage.filesystem.rootdirectory in ${conf}`);
    }
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

/** Bytes an image's push uploaded: its blobs (manifest, config, layers) the registry lacked before. */
export function uploaded(m: Manifest, before: Set<string>): { bytes: number; layers: number } {
    const blobs = [{ digest: m.digest, size: m.size }, m.config, ...m.layers];
    const fresh = blobs.filter((b) => !before.has(b.digest));
    return { bytes: fresh.reduce((n, b) => n + b.size, 0), layers: m.layers.filter((l) => !before.has(l.digest)).length };
}

// -------------------------------------------------------------------------- executor ----

export interface Execution {
    kind: "runtime" | "application";
    spec: BuildSpec;
    built: boolean;
    result: BuildResult;
}

/**
 * The offline plan's `execute` seam with Pulumi's semantics for a `command:local:Command` without
 * `update`: a build runs when its inputs (the environment, whose first tag is the content hash)
 * were not run before in this session; otherwise the previous result comes back.
 */
export class Executor {
    /** Per build command (resource): the inputs and result of its last run, as in the stack state. */
    private readonly state = new Map<Execution["kind"], { key: string; result: BuildResult }>();
    private readonly log: Buffer[] = [];
    private current: Execution[] = [];

    constructor(private readonly t: TestEnv) {}

    async plan(config: Record<string, string>): Promise<Record<Execution["kind"], Execution>> {
        this.current = [];
        await planStack("local", config, { execute: (env) => this.execute(env) });
        const one = (kind: Execution["kind"]) => {
            const found = this.current.filter((e) => e.kind === kind);
            if (found.length !== 1) {
                throw new Error(`${found.length} ${kind} build commands executed`);
            }
            return found[0];
        };
        return { runtime: one("runtime"), application: one("application") };
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
            this.current.push({ kind, spec, built: false, result: previous });
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
        this.current.push({ kind, spec, built: true, result });
        return result;
    }
}
