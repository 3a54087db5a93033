/**
 * Runs one image build at `pulumi up` time (from `scripts/build-image.ts`) or in the
 * integration tests: re-collects the context, refuses if it changed since the plan, packs it,
 * then builds on the local Docker engine or submits it to Cloud Build with the rendered config.
 * The build is described entirely by the command's environment (`BuildSpec`), which is what
 * the plan shows.
 */
import * as fs from "fs";
import * as path from "path";
import { Writable } from "stream";
import { dockerBuildArgs } from "./cloudbuild";
import { exec } from "./exec";
import { collectContext, ContextSpec, hashContext } from "./context";
import { packContext, writeContextFile } from "./pack";

export interface BuildSpec {
    builder: "docker" | "cloudbuild";
    image: string;
    tags: string[];
    contextDigest: string;
    context: ContextSpec;
    dockerfile: string;
    buildArgs: Record<string, string>;
    /** Push to the registry in `image` (docker builder; always true for Cloud Build). */
    push: boolean;
    /** Cloud Build only. */
    cloudBuildConfig?: string;
    project?: string;
    region?: string;
    /** `gs://BUCKET/source`: where gcloud uploads the packed context. */
    stagingDir?: string;
}

export interface BuildResult {
    /** `sha256:...`: the registry digest when pushed, else the local image id. */
    digest: string;
    /** What a later build uses as `FROM`: `image@digest` when pushed, else the image id. */
    reference: string;
}

/** The command environment carrying a spec (what the plan shows, one readable key each). */
export function specToEnvironment(spec: BuildSpec): Record<string, string> {
    const env: Record<string, string> = {
        FW_BUILDER: spec.builder,
        FW_IMAGE: spec.image,
        FW_TAGS: spec.tags.join(","),
        FW_CONTEXT_DIGEST: spec.contextDigest,
        FW_CONTEXT: JSON.stringify(spec.context),
        FW_DOCKERFILE: spec.dockerfile,
        FW_BUILD_ARGS: JSON.stringify(spec.buildArgs),
        FW_PUSH: String(spec.push),
    };
    if (spec.cloudBuildConfig !== undefined) {
        env.FW_CLOUDBUILD_CONFIG = spec.cloudBuildConfig;
        env.FW_GCP_PROJECT = spec.project ?? "";
        env.FW_CLOUDBUILD_REGION = spec.region ?? "";
        env.FW_SOURCE_STAGING_DIR = spec.stagingDir ?? "";
    }
    return env;
}

export function specFromEnvironment(env: NodeJS.ProcessEnv): BuildSpec {
    const need = (k: string): string => {
        const v = env[k];
        if (v === undefined) {
            throw new Error(`build-image: ${k} is not set (this script runs from the image build commands)`);
        }
        return v;
    };
    const builder = need("FW_BUILDER");
    if (builder !== "docker" && builder !== "cloudbuild") {
        throw new Error(`build-image: FW_BUILDER: ${JSON.stringify(builder)} is not docker or cloudbuild`);
    }
    return {
        builder,
        image: need("FW_IMAGE"),
        tags: need("FW_TAGS").split(","),
        contextDigest: need("FW_CONTEXT_DIGEST"),
        context: JSON.parse(need("FW_CONTEXT")) as ContextSpec,
        dockerfile: need("FW_DOCKERFILE"),
        buildArgs: JSON.parse(need("FW_BUILD_ARGS")) as Record<string, string>,
        push: need("FW_PUSH") === "true",
        cloudBuildConfig: env.FW_CLOUDBUILD_CONFIG,
        project: env.FW_GCP_PROJECT || undefined,
        region: env.FW_CLOUDBUILD_REGION || undefined,
        stagingDir: env.FW_SOURCE_STAGING_DIR || undefined,
    };
}

export interface RunOptions {
    projectRoot: string;
    /** Extra environment for docker / gcloud (e.g. DOCKER_HOST). */
    env?: NodeJS.ProcessEnv;
    /** `docker build --network` (e.g. `host` where the engine has no bridge). */
    network?: string;
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
    return digest && /^sha256:[0-9a-f]{64}$/.test(digest)
        ? { digest, reference: `${spec.image}@${digest}` }
        : undefined;
}

/** Where the output of look-ups goes: nowhere (their failure is an answer, not an error). */
const SILENT = new Writable({ write: (_chunk, _encoding, done) => done() });

async function dockerBuild(
    spec: BuildSpec,
    entries: ReturnType<typeof collectContext>,
    opts: RunOptions,
): Promise<BuildResult> {
    const refs = spec.tags.map((t) => `${spec.image}:${t}`);
    await run(
        "docker",
        [...dockerBuildArgs(refs, spec.buildArgs, opts.network), "-"],
        opts,
        packContext(entries, spec.dockerfile),
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

async function cloudBuild(
    spec: BuildSpec,
    entries: ReturnType<typeof collectContext>,
    opts: RunOptions,
): Promise<BuildResult> {
    const dir = path.join(opts.projectRoot, ".fireworker", "builds");
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${spec.image.split("/").pop()}-${spec.tags[0]}`);
    await writeContextFile(entries, spec.dockerfile, `${base}.tgz`);
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
    if (!/^sha256:[0-9a-f]{64}$/.test(out)) {
        throw new Error(
            `build-image: Cloud Build finished without an image digest for ${spec.image} (got ${JSON.stringify(out)})`,
        );
    }
    return { digest: out, reference: `${spec.image}@${out}` };
}

function run(cmd: string, args: string[], opts: RunOptions, stdin?: NodeJS.ReadableStream): Promise<string> {
    return exec(cmd, args, { env: opts.env, log: opts.log, echoStdout: true, stdin, who: "build-image" });
}
