/**
 * Runs one image build at `pulumi up` time (from `scripts/build-image.ts`) or in the
 * integration tests: re-collects the context, refuses if it changed since the plan, packs it,
 * then builds on the local Docker engine or submits it to Cloud Build with the rendered config.
 * The build is described entirely by its `BuildSpec` (lib/build/buildSpec.ts).
 *
 * One invariant holds for any number of builders of the same content tag, at once or one after
 * another (pulumi up, the triggers, a second pulumi up): they end with exactly one image, all
 * report its digest, and none fails.
 * - A content tag that exists is adopted, never rebuilt.
 * - Cloud Build: a builder that finds an ongoing build of the same content (its build tag,
 *   `contentBuildTag`) waits for it and adopts its result; of two submitted at once, the younger
 *   cancels itself. A build that fails while the content tag appeared meanwhile (its push lost
 *   on the team repository's immutable tags) is a success with the tag's digest.
 * - Local engine: builders on this machine take turns (`lockContent`).
 * - Moving tags (`latest`) are then moved to the content tag's digest, even when it existed.
 * Permission errors are retried for `iamSettleSeconds` (new grants propagate for minutes).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { lockContent } from "../commands/contentLock";
import { exec, SILENT } from "../commands/exec";
import { deadline, iamSettleSeconds, isPermissionError, sleep } from "../commands/permissionRetry";
import { BUILD_ID, DIGEST } from "../patterns";
import { describePipConfig, type PipConfig, readPipConfig } from "../pip/pipConfig";
import { PIP_RELAY_HOST, type PipRelay, startPipRelay } from "../pip/pipRelay";
import type { BuildResult, BuildSpec } from "./buildSpec";
import { gcloudLookupArgs, resolveCacheFrom } from "./cacheFrom";
import { CACHE_FROM_SUBSTITUTION, contentBuildTag, dockerBuildArgs } from "./cloudBuildConfig";
import { type ContextEntry, collectContext, hashContext } from "./context";
import { gitDiff } from "./gitFacts";
import { type LocalWheelhouse, startLocalWheelhouse } from "./localWheelhouse";
import { type GeneratedFile, packContext, writeContextFile } from "./pack";
import { GIT_DIFF_FILE } from "./prepareBuild";
import { WHEELHOUSE_HOST } from "./wheelhouse";

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
    /** Seconds between Cloud Build status reads. @default 10 (FW_BUILD_POLL_SECONDS) */
    pollSeconds?: number;
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
    return spec.builder === "docker" ? dockerPublish(spec, entries, opts) : cloudPublish(spec, entries, opts);
}

const contentRef = (spec: BuildSpec) => `${spec.image}:${spec.tags[0]}`;
const note = (opts: RunOptions, text: string) => (opts.log ?? process.stderr).write(`build-image: ${text}\n`);

// ------------------------------------------------------------------------- local engine ----

async function dockerPublish(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions): Promise<BuildResult> {
    const ref = contentRef(spec);
    const release = await lockContent(ref, {
        onWait: (owner) => note(opts, `waiting for ${owner.trim()} to finish ${ref}`),
    });
    try {
        if (!spec.push) {
            let id = await localId(ref, opts);
            if (id) {
                note(opts, `${ref} exists already; not rebuilt`);
            } else {
                await dockerBuild(spec, entries, opts);
                id = (await run("docker", ["image", "inspect", "--format={{.Id}}", ref], opts)).trim();
            }
            for (const t of spec.tags.slice(1)) {
                await run("docker", ["tag", ref, `${spec.image}:${t}`], opts);
            }
            return { digest: id, reference: id };
        }
        let digest = await registryDigest(ref, opts);
        if (digest) {
            note(opts, `${ref} exists already (${digest}); not rebuilt`);
        } else {
            if (!(await localId(ref, opts))) {
                await dockerBuild(spec, entries, opts);
            }
            let lost: string | undefined;
            try {
                await run("docker", ["push", "--quiet", ref], opts);
            } catch (err) {
                // another builder's push won (an immutable tag, or one on another machine)
                lost = await registryDigest(ref, opts);
                if (!lost) throw err;
                note(opts, `the push of ${ref} lost to another builder; adopting ${lost}`);
            }
            digest = lost ?? (await pushedDigest(spec, ref, opts));
        }
        for (const t of spec.tags.slice(1)) {
            await moveDockerTag(spec, digest, t, opts);
        }
        return { digest, reference: `${spec.image}@${digest}` };
    } finally {
        release();
    }
}

async function localId(ref: string, opts: RunOptions): Promise<string | undefined> {
    const id = await run("docker", ["image", "inspect", "--format={{.Id}}", ref], { ...opts, log: SILENT }).catch(
        () => undefined,
    );
    return id?.trim() || undefined;
}

/** The digest the registry has for `ref`, or undefined when it has no such tag. */
async function registryDigest(ref: string, opts: RunOptions): Promise<string | undefined> {
    const out = await run("docker", ["manifest", "inspect", ...manifestFlags(ref), ref], {
        ...opts,
        log: SILENT,
    }).catch(() => undefined);
    if (!out) return undefined;
    try {
        const m = JSON.parse(out) as { Descriptor?: { digest?: string } } | unknown[];
        const digest = Array.isArray(m) ? undefined : m.Descriptor?.digest;
        return digest && DIGEST.test(digest) ? digest : undefined;
    } catch {
        return undefined;
    }
}

/**
 * `docker manifest` does not use the engine's insecure-registry list: a plain-HTTP registry on
 * the loopback (a local stack's, the tests') needs `--insecure`; any other must speak HTTPS.
 */
export function manifestFlags(ref: string): string[] {
    return /^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?\//.test(ref) ? ["--verbose", "--insecure"] : ["--verbose"];
}

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

async function dockerBuild(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions): Promise<void> {
    const generated = generatedFiles(spec, entries, opts.projectRoot);
    let checked: Promise<string | undefined> | undefined;
    const unreachable = () => {
        checked ??= loopbackUnreachable(opts);
        return checked;
    };
    const relay = await pipRelayFor(spec, opts, unreachable);
    const wheelhouse = await wheelhouseFor(spec, opts, unreachable);
    try {
        const network = relay || wheelhouse ? "host" : opts.network;
        const addHost = [
            ...(relay ? [`--add-host=${PIP_RELAY_HOST}:${relay.address}`] : []),
            ...(wheelhouse ? [`--add-host=${WHEELHOUSE_HOST}:${wheelhouse.address}`] : []),
        ];
        const args = dockerBuildArgs({
            refs: [contentRef(spec)],
            buildArgs: spec.buildArgs,
            labels: spec.labels,
            network,
            noCache: opts.noCache,
        });
        await run("docker", [...args, ...addHost, "-"], opts, packContext(entries, spec.dockerfile, generated));
    } finally {
        await relay?.close();
        await wheelhouse?.close();
    }
}

/**
 * Why a build on this engine cannot reach this machine's loopback (the relay's and the
 * wheelhouse's addresses), or undefined when it can: an engine on this Linux host, not
 * rootless, building with host networking.
 */
async function loopbackUnreachable(opts: RunOptions): Promise<string | undefined> {
    const env = { ...process.env, ...opts.env };
    const host = env.DOCKER_HOST ?? "";
    if (process.platform !== "linux" || (host !== "" && !host.startsWith("unix://"))) {
        return `the Docker engine (${host || process.platform}) cannot reach this machine's loopback`;
    }
    if (opts.network !== undefined && opts.network !== "host") {
        return `the build's network is ${opts.network}; it needs host (FW_DOCKER_BUILD_NETWORK)`;
    }
    const security = await run("docker", ["info", "--format={{json .SecurityOptions}}"], {
        ...opts,
        log: SILENT,
    }).catch(() => "");
    return security.includes("rootless") ? "a rootless Docker engine has its own loopback" : undefined;
}

/** The wheelhouse of a local build whose Dockerfile reaches for it (a runtime with `runtime.wheelhouse`). */
async function wheelhouseFor(
    spec: BuildSpec,
    opts: RunOptions,
    unreachable: () => Promise<string | undefined>,
): Promise<LocalWheelhouse | undefined> {
    if (!spec.wheelhouse || !spec.dockerfile.includes(WHEELHOUSE_HOST)) {
        return undefined;
    }
    const log = opts.log ?? process.stderr;
    const why = await unreachable();
    if (why) {
        log.write(`build-image: the wheelhouse is not used: ${why}; pip builds what it needs\n`);
        return undefined;
    }
    const image = spec.buildArgs.from ?? spec.base;
    if (!image) {
        log.write("build-image: the wheelhouse is not used: the runtime names no base to serve it from\n");
        return undefined;
    }
    return startLocalWheelhouse({ key: spec.wheelhouse, image, env: opts.env, log });
}

/**
 * The pip relay of a local build whose Dockerfile reaches for it (the rendered runtime's pip
 * step), when this machine has a pip configuration to relay and the build can reach this
 * machine's loopback: an engine on this Linux host, not rootless, building with host networking.
 */
async function pipRelayFor(
    spec: BuildSpec,
    opts: RunOptions,
    unreachable: () => Promise<string | undefined>,
): Promise<PipRelay | undefined> {
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
    const why = await unreachable();
    if (why) {
        return notRelayed(why);
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

/** The registry digest of a pushed `ref`, as Docker recorded it. */
async function pushedDigest(spec: BuildSpec, ref: string, opts: RunOptions): Promise<string> {
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
    return repoDigests[0].slice(spec.image.length + 1);
}

/** Points `image:tag` at `digest` in the registry (pulling that image first when the engine lacks it). */
async function moveDockerTag(spec: BuildSpec, digest: string, tag: string, opts: RunOptions): Promise<void> {
    const pinned = `${spec.image}@${digest}`;
    if (!(await localId(pinned, opts))) {
        await run("docker", ["pull", "--quiet", pinned], opts);
    }
    const moving = `${spec.image}:${tag}`;
    await run("docker", ["tag", pinned, moving], opts);
    await run("docker", ["push", "--quiet", moving], opts);
    const now = await registryDigest(moving, opts);
    if (now !== digest) {
        throw new Error(`build-image: ${moving} names ${now ?? "nothing"} after the push, not ${digest}`);
    }
}

// ------------------------------------------------------------------------- Cloud Build ----

interface CloudBuildState {
    id: string;
    status: string;
    createTime: string;
    results?: { images?: { name?: string; digest?: string }[] };
    failureInfo?: { type?: string; detail?: string };
    statusDetail?: string;
}

const ONGOING = ["PENDING", "QUEUED", "WORKING"];

async function cloudPublish(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions): Promise<BuildResult> {
    const ref = contentRef(spec);
    const env = { ...process.env, ...opts.env };
    const settle = deadline(iamSettleSeconds(env));
    const poll = (opts.pollSeconds ?? Number(env.FW_BUILD_POLL_SECONDS || 10)) * 1000;
    const where = [`--project=${spec.project}`, ...(spec.region ? [`--region=${spec.region}`] : [])];
    const buildTag = contentBuildTag(spec.tags[0]);
    let files: { tgz: string; config: string } | undefined;
    const retryable = async (what: string, err: Error): Promise<void> => {
        if (!isPermissionError(err.message) || settle.passed()) throw err;
        note(
            opts,
            `${what}: permission denied; new grants take minutes to propagate, retrying (${Math.ceil(settle.left() / 1000)} s left)`,
        );
        await sleep(Math.min(poll * 3, settle.left()));
    };
    for (;;) {
        const existing = await describeTag(spec, opts);
        if (existing) {
            note(opts, `${ref} exists already (${existing}); not rebuilt`);
            return moveCloudTags(spec, existing, opts, retryable);
        }
        const ongoing = await ongoingBuilds(buildTag, where, opts);
        if (ongoing.length > 0) {
            note(opts, `Cloud Build ${ongoing[0].id} is building ${ref} already; waiting for it`);
            await waitForEnd(ongoing[0].id, where, poll, opts);
            continue;
        }
        files ??= await writeFiles(spec, entries, opts);
        let id: string;
        try {
            id = await submit(spec, files, where, opts);
        } catch (err) {
            await retryable("submitting the build", err as Error);
            continue;
        }
        // of builds submitted at once, the oldest goes on; the others cancel themselves and wait for
        // it (or adopt its image, when it ended meanwhile). A build of ours that ended already is followed.
        const now = await ongoingBuilds(buildTag, where, opts);
        const mine = now.find((b) => b.id === id);
        if (mine && (await describeTag(spec, opts))) {
            note(opts, `${ref} was pushed by another builder meanwhile; cancelling ${id}`);
            await run("gcloud", ["builds", "cancel", id, ...where], { ...opts, log: SILENT }).catch(() => undefined);
            continue;
        }
        const older = mine && now.find((b) => b.id !== id && olderThan(b, mine));
        if (older) {
            note(opts, `Cloud Build ${older.id} started ${ref} first; cancelling ${id} and waiting for it`);
            await run("gcloud", ["builds", "cancel", id, ...where], { ...opts, log: SILENT }).catch(() => undefined);
            await waitForEnd(older.id, where, poll, opts);
            continue;
        }
        note(opts, `building ${ref} in Cloud Build ${id} (gcloud builds log ${id} ${where.join(" ")})`);
        await run("gcloud", ["builds", "log", id, "--stream", ...where], opts).catch(() => undefined);
        const end = await waitForEnd(id, where, poll, opts);
        const built = end.results?.images?.find((i) => i.name === ref || i.name === spec.image)?.digest;
        if (end.status === "SUCCESS" && built && DIGEST.test(built)) {
            return moveCloudTags(spec, built, opts, retryable);
        }
        const adopted = await describeTag(spec, opts);
        if (adopted) {
            note(
                opts,
                `Cloud Build ${id} ended ${end.status}, but ${ref} exists (another builder pushed it first); adopting ${adopted}`,
            );
            return moveCloudTags(spec, adopted, opts, retryable);
        }
        const why = [end.failureInfo?.detail, end.statusDetail].filter(Boolean).join("; ");
        const failure = new Error(
            `build-image: Cloud Build ${id} ended ${end.status} without an image digest for ${spec.image}${why ? `: ${why}` : ""}`,
        );
        await retryable(`Cloud Build ${id}`, failure);
    }
}

/** `a` was created before `b` (ties: the smaller id), the same order for every builder. */
function olderThan(a: CloudBuildState, b: CloudBuildState): boolean {
    const [ta, tb] = [Date.parse(a.createTime), Date.parse(b.createTime)];
    return ta < tb || (ta === tb && a.id < b.id);
}

async function writeFiles(spec: BuildSpec, entries: ContextEntry[], opts: RunOptions) {
    const dir = path.join(opts.projectRoot, ".fireworker", "builds");
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${spec.image.split("/").pop()}-${spec.tags[0]}`);
    await writeContextFile(entries, spec.dockerfile, `${base}.tgz`, generatedFiles(spec, entries, opts.projectRoot));
    fs.writeFileSync(`${base}.cloudbuild.yaml`, spec.cloudBuildConfig ?? "");
    return { tgz: `${base}.tgz`, config: `${base}.cloudbuild.yaml` };
}

async function submit(
    spec: BuildSpec,
    files: { tgz: string; config: string },
    where: string[],
    opts: RunOptions,
): Promise<string> {
    const args = ["builds", "submit", files.tgz, `--config=${files.config}`, ...where];
    if (spec.stagingDir) args.push(`--gcs-source-staging-dir=${spec.stagingDir}`);
    const previous = await cacheFromOf(spec, opts);
    if (previous) {
        note(opts, `reusing the layers of ${previous}`);
        args.push(`--substitutions=${CACHE_FROM_SUBSTITUTION}=${previous}`);
    }
    args.push("--async", "--format=value(id)");
    const out = (await run("gcloud", args, opts)).trim().split("\n").pop()?.trim() ?? "";
    if (!BUILD_ID.test(out)) {
        throw new Error(
            `build-image: gcloud builds submit gave no build id for ${spec.image} (got ${JSON.stringify(out)})`,
        );
    }
    return out;
}

/** The digest the registry has for the content tag, or undefined. */
async function describeTag(spec: BuildSpec, opts: RunOptions): Promise<string | undefined> {
    const args = [
        "artifacts",
        "docker",
        "images",
        "describe",
        contentRef(spec),
        `--project=${spec.project}`,
        "--format=value(image_summary.digest)",
    ];
    const out = await run("gcloud", args, { ...opts, log: SILENT }).catch(() => undefined);
    const digest = out?.trim();
    return digest && DIGEST.test(digest) ? digest : undefined;
}

/** Ongoing builds carrying `tag`, oldest first. */
async function ongoingBuilds(tag: string, where: string[], opts: RunOptions): Promise<CloudBuildState[]> {
    const out = await run(
        "gcloud",
        ["builds", "list", ...where, "--ongoing", `--filter=tags=${tag}`, "--format=json(id,status,createTime)"],
        { ...opts, log: SILENT },
    ).catch(() => "[]");
    let list: CloudBuildState[];
    try {
        list = JSON.parse(out || "[]") as CloudBuildState[];
    } catch {
        list = [];
    }
    return list
        .filter((b) => ONGOING.includes(b.status) && BUILD_ID.test(b.id))
        .sort((a, b) => (olderThan(a, b) ? -1 : 1));
}

/** Polls a build until it is no longer ongoing; a few failed reads in a row are tolerated. */
async function waitForEnd(id: string, where: string[], poll: number, opts: RunOptions): Promise<CloudBuildState> {
    let failures = 0;
    for (;;) {
        try {
            const out = await run("gcloud", ["builds", "describe", id, ...where, "--format=json"], {
                ...opts,
                log: SILENT,
            });
            const state = JSON.parse(out) as CloudBuildState;
            failures = 0;
            if (!ONGOING.includes(state.status)) return state;
        } catch (err) {
            if (++failures >= 5) {
                throw new Error(`build-image: cannot read the status of Cloud Build ${id}: ${(err as Error).message}`);
            }
        }
        await sleep(poll);
    }
}

/** Moves every moving tag to `digest` (`gcloud artifacts docker tags add`), the content tag's. */
async function moveCloudTags(
    spec: BuildSpec,
    digest: string,
    opts: RunOptions,
    retryable: (what: string, err: Error) => Promise<void>,
): Promise<BuildResult> {
    for (const t of spec.tags.slice(1)) {
        for (;;) {
            try {
                await run(
                    "gcloud",
                    ["artifacts", "docker", "tags", "add", `${spec.image}@${digest}`, `${spec.image}:${t}`],
                    opts,
                );
                break;
            } catch (err) {
                await retryable(`moving ${spec.image}:${t}`, err as Error);
            }
        }
    }
    return { digest, reference: `${spec.image}@${digest}` };
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

/** Where the output of look-ups goes: nowhere (their failure is an answer, not an error). */

function run(cmd: string, args: string[], opts: RunOptions, stdin?: NodeJS.ReadableStream): Promise<string> {
    return exec(cmd, args, { env: opts.env, log: opts.log, echoStdout: true, stdin, who: "build-image" });
}
