/**
 * Runs one image build at `pulumi up` time (from `scripts/build-image.ts`) or in the
 * integration tests: re-collects the context, refuses if it changed since the plan, packs it,
 * then builds on the local Docker engine or submits it to Cloud Build with the rendered config.
 * The build is described entirely by its `BuildSpec` (lib/build/buildSpec.ts).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { exec } from "../commands/exec";
import { DIGEST } from "../patterns";
import { describePipConfig, type PipConfig, readPipConfig } from "../pip/pipConfig";
import { PIP_RELAY_HOST, type PipRelay, startPipRelay } from "../pip/pipRelay";
import type { BuildResult, BuildSpec } from "./buildSpec";
import { dockerBuildArgs } from "./cloudBuildConfig";
import { type ContextEntry, collectContext, hashContext } from "./context";
import { gitDiff } from "./gitFacts";
import { type GeneratedFile, packContext, writeContextFile } from "./pack";
import { GIT_DIFF_FILE } from "./prepareBuild";

export interface RunOptions {
    projectRoot: string;
    /** Extra environment for docker / gcloud (e.g. DOCKER_HOST). */
    env?: NodeJS.ProcessEnv;
    /** `docker build --network` (e.g. `host` where the engine has no bridge). */
    network?: string;
    /** Where build output goes (default: stderr, so stdout stays the result). */
    log?: NodeJS.WritableStream;
    /**
     * The pip configuration relayed to a local build whose Dockerfile uses the relay; null for
     * none. @default this machine's (`pip config list`), unless FW_PIP_RELAY=0
     */
    pipConfig?: PipConfig | null;
}

export async function runBuild(spec: BuildSpec, opts: RunOptions): Promise<BuildResult> {
    const entries = collectContext(spec.context, opts.projectRoot);
    const digest = await hashContext(entries);
    if (digest !== spec.contextDigest) {
        throw new Error(
            `build-image: the context of ${spec.image} changed since it was planned (${spec.contextDigest.slice(0, 12)} planned, ${digest.slice(0, 12)} now); run pulumi up again`,
        );
    }
    // The content tag names the content: when it exists, the image exists. Inputs outside
    // the hash (region, staging bucket, service account) then never rebuild an image,
    // nor fail on the team repository's immutable tags.
    const existing = await (spec.builder === "docker" ? existingLocal(spec, opts) : existingInRegistry(spec, opts));
    if (existing) {
        (opts.log ?? process.stderr).write(`build-image: ${spec.image}:${spec.tags[0]} exists already; not rebuilt\n`);
        return existing;
    }
    return spec.builder === "docker" ? dockerBuild(spec, entries, opts) : cloudBuild(spec, entries, opts);
}

async function existingLocal(spec: BuildSpec, opts: RunOptions): Promise<BuildResult | undefined> {
    const ref = `${spec.image}:${spec.tags[0]}`;
    const id = await run("docker", ["image", "inspect", "--format={{.Id}}", ref], { ...opts, log: SILENT }).catch(
        () => undefined,
    );
    if (id === undefined) {
        return undefined;
    }
    if (!spec.push) {
        return { digest: id.trim(), reference: id.trim() };
    }
    // re-pushing an image the registry has is cheap (every layer exists) and heals a wiped registry
    for (const t of spec.tags) {
        await run("docker", ["push", "--quiet", `${spec.image}:${t}`], opts);
    }
    return repoDigest(spec, ref, opts);
}

async function existingInRegistry(spec: BuildSpec, opts: RunOptions): Promise<BuildResult | undefined> {
    const ref = `${spec.image}:${spec.tags[0]}`;
    const args = [
        "artifacts",
        "docker",
        "images",
        "describe",
        ref,
        `--project=${spec.project}`,
        "--format=value(image_summary.digest)",
    ];
    const out = await run("gcloud", args, { ...opts, log: SILENT }).catch(() => undefined);
    const digest = out?.trim();
    return digest && DIGEST.test(digest) ? { digest, reference: `${spec.image}@${digest}` } : undefined;
}

/** Where the output of look-ups goes: nowhere (their failure is an answer, not an error). */
const SILENT = new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * The files the build writes into the context: the payload's git diff, made again and checked
 * against the plan's digest (the content tag names those bytes).
 */
export function generatedFiles(spec: BuildSpec, entries: ContextEntry[], projectRoot: string): GeneratedFile[] {
    if (!spec.gitDiff) {
        return [];
    }
    const uploaded = new Set(entries.map((e) => e.path));
    const dir = path.resolve(projectRoot, spec.gitDiff.dir);
    const text = gitDiff(dir, { exclude: spec.gitDiff.exclude, uploaded: (p) => uploaded.has(p) });
    const sha = createHash("sha256").update(text).digest("hex");
    if (sha !== spec.gitDiff.sha256) {
        throw new Error(
            `build-image: the git diff of ${spec.gitDiff.dir} changed since it was planned; run pulumi up again`,
        );
    }
    return [{ path: GIT_DIFF_FILE, text }];
}

async function dockerBuild(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions): Promise<BuildResult> {
    const refs = spec.tags.map((t) => `${spec.image}:${t}`);
    const generated = generatedFiles(spec, entries, opts.projectRoot);
    const relay = await pipRelayFor(spec, opts);
    try {
        const network = relay ? "host" : opts.network;
        const addHost = relay ? [`--add-host=${PIP_RELAY_HOST}:${relay.address}`] : [];
        const args = dockerBuildArgs({ refs, buildArgs: spec.buildArgs, labels: spec.labels, network });
        await run("docker", [...args, ...addHost, "-"], opts, packContext(entries, spec.dockerfile, generated));
    } finally {
        await relay?.close();
    }
    if (!spec.push) {
        const id = (await run("docker", ["image", "inspect", "--format={{.Id}}", refs[0]], opts)).trim();
        return { digest: id, reference: id };
    }
    for (const ref of refs) {
        await run("docker", ["push", "--quiet", ref], opts);
    }
    return repoDigest(spec, refs[0], opts);
}

/**
 * The pip relay of a local build whose Dockerfile reaches for it (the rendered runtime's pip
 * step), when this machine has a pip configuration to relay and the build can reach this
 * machine's loopback: an engine on this Linux host, not rootless, building with host networking.
 */
async function pipRelayFor(spec: BuildSpec, opts: RunOptions): Promise<PipRelay | undefined> {
    const env = { ...process.env, ...opts.env };
    if (!spec.dockerfile.includes(PIP_RELAY_HOST) || opts.pipConfig === null || env.FW_PIP_RELAY === "0") {
        return undefined;
    }
    const config = opts.pipConfig ?? readPipConfig(env);
    if (!config) {
        return undefined;
    }
    const log = opts.log ?? process.stderr;
    const notRelayed = (why: string) => {
        log.write(`build-image: this machine's pip configuration is not passed to the build: ${why}\n`);
        return undefined;
    };
    const host = env.DOCKER_HOST ?? "";
    if (process.platform !== "linux" || (host !== "" && !host.startsWith("unix://"))) {
        return notRelayed(`the Docker engine (${host || process.platform}) cannot reach this machine's loopback`);
    }
    if (opts.network !== undefined && opts.network !== "host") {
        return notRelayed(`the build's network is ${opts.network}; the relay needs host (FW_DOCKER_BUILD_NETWORK)`);
    }
    const security = await run("docker", ["info", "--format={{json .SecurityOptions}}"], {
        ...opts,
        log: SILENT,
    }).catch(() => "");
    if (security.includes("rootless")) {
        return notRelayed("a rootless Docker engine has its own loopback");
    }
    const relay = await startPipRelay(config, { log });
    log.write(
        `build-image: pip in this build uses this machine's pip configuration (${describePipConfig(config)}) through a relay on ${relay.address}:${relay.port}, known inside the build only, as ${PIP_RELAY_HOST}\n`,
    );
    if (config.notRelayed.length > 0) {
        log.write(`build-image: not passed to pip in the build: ${config.notRelayed.join("; ")}\n`);
    }
    return relay;
}

async function repoDigest(spec: BuildSpec, ref: string, opts: RunOptions): Promise<BuildResult> {
    const repoDigests = (
        await run("docker", ["image", "inspect", "--format={{range .RepoDigests}}{{println .}}{{end}}", ref], {
            ...opts,
            log: SILENT,
        })
    )
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith(`${spec.image}@`));
    if (repoDigests.length === 0) {
        throw new Error(`build-image: pushed ${ref} but Docker reports no digest for it`);
    }
    const reference = repoDigests[0];
    return { digest: reference.slice(spec.image.length + 1), reference };
}

async function cloudBuild(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions): Promise<BuildResult> {
    const dir = path.join(opts.projectRoot, ".fireworker", "builds");
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${spec.image.split("/").pop()}-${spec.tags[0]}`);
    await writeContextFile(entries, spec.dockerfile, `${base}.tgz`, generatedFiles(spec, entries, opts.projectRoot));
    fs.writeFileSync(`${base}.cloudbuild.yaml`, spec.cloudBuildConfig ?? "");
    const args = [
        "builds",
        "submit",
        `${base}.tgz`,
        `--config=${base}.cloudbuild.yaml`,
        `--project=${spec.project}`,
        "--format=value(results.images[0].digest)",
    ];
    if (spec.region) {
        args.push(`--region=${spec.region}`);
    }
    if (spec.stagingDir) {
        args.push(`--gcs-source-staging-dir=${spec.stagingDir}`);
    }
    const out = (await run("gcloud", args, opts)).trim().split("\n").pop() ?? "";
    if (!DIGEST.test(out)) {
        throw new Error(
            `build-image: Cloud Build finished without an image digest for ${spec.image} (got ${JSON.stringify(out)})`,
        );
    }
    return { digest: out, reference: `${spec.image}@${out}` };
}

function run(cmd: string, args: string[], opts: RunOptions, stdin?: NodeJS.ReadableStream): Promise<string> {
    return exec(cmd, args, { env: opts.env, log: opts.log, echoStdout: true, stdin, who: "build-image" });
}
