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
import type { BuildResult, BuildSpec } from "./buildSpec";
import { gcloudLookupArgs, resolveCacheFrom } from "./cacheFrom";
import { CACHE_FROM_SUBSTITUTION, dockerBuildArgs } from "./cloudBuildConfig";
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
    /** Build without the engine's layer cache (a cold build). @default false */
    noCache?: boolean;
    /** Where build output goes (default: stderr, so stdout stays the result). */
    log?: NodeJS.WritableStream;
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
    const args = dockerBuildArgs({
        refs,
        buildArgs: spec.buildArgs,
        labels: spec.labels,
        network: opts.network,
        noCache: opts.noCache,
    });
    await run(
        "docker",
        [...args, "-"],
        opts,
        packContext(entries, spec.dockerfile, generatedFiles(spec, entries, opts.projectRoot)),
    );
    if (!spec.push) {
        const id = (await run("docker", ["image", "inspect", "--format={{.Id}}", refs[0]], opts)).trim();
        return { digest: id, reference: id };
    }
    for (const ref of refs) {
        await run("docker", ["push", "--quiet", ref], opts);
    }
    return repoDigest(spec, refs[0], opts);
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
    const previous = await cacheFromOf(spec, opts);
    if (previous) {
        (opts.log ?? process.stderr).write(`build-image: reusing the layers of ${previous}\n`);
        args.push(`--substitutions=${CACHE_FROM_SUBSTITUTION}=${previous}`);
    }
    const out = (await run("gcloud", args, opts)).trim().split("\n").pop() ?? "";
    if (!DIGEST.test(out)) {
        throw new Error(
            `build-image: Cloud Build finished without an image digest for ${spec.image} (got ${JSON.stringify(out)})`,
        );
    }
    return { digest: out, reference: `${spec.image}@${out}` };
}

/** The previous image a Cloud Build build reuses, resolved from the plan's candidates. */
function cacheFromOf(spec: BuildSpec, opts: RunOptions): Promise<string | undefined> {
    if (!spec.cacheFrom || spec.cacheFrom.length === 0 || !spec.project) {
        return Promise.resolve(undefined);
    }
    const project = spec.project;
    return resolveCacheFrom(spec.cacheFrom, async (ref, kind) =>
        (await run("gcloud", gcloudLookupArgs(ref, kind, project), { ...opts, log: SILENT })).trim(),
    );
}

function run(cmd: string, args: string[], opts: RunOptions, stdin?: NodeJS.ReadableStream): Promise<string> {
    return exec(cmd, args, { env: opts.env, log: opts.log, echoStdout: true, stdin, who: "build-image" });
}
