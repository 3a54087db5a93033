/**
 * Image builds, described once and used everywhere: the plan (content hash, tags, Cloud Build
 * config), `scripts/build-image.ts` (which packs and builds them), the triggers and the
 * integration tests. Reads the Dockerfiles, contexts and git of the repository; no Pulumi.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { SettingsError, show } from "../errors";
import { contentTag, developerImage, localImage, repositoryPath, teamImage } from "../names";
import {
    InputProblem,
    programExclusions,
    type Repository,
    readTextFile,
    relativeFrom,
    resolveInside,
} from "../repository";
import { NAMESPACE } from "../settings/schema";
import type { ApplicationSettings, RenderedRuntime, RuntimeSettings, Settings } from "../settings/types";
import { type RuntimeBase, runtimeBase } from "./baseReference";
import { type CloudBuildConfig, renderCloudBuildConfig } from "./cloudBuildConfig";
import { buildHash } from "./contentHash";
import { type ContextEntry, ContextProblem, type ContextSpec, collectContext, hashContext } from "./context";
import { contextSources, declaredArgs, formatFinding, lintDockerfile } from "./dockerfileLint";
import { GitProblem, gitDiff, gitFacts } from "./gitFacts";
import { GIT_ARGS, renderApplicationDockerfile, renderRuntimeDockerfile } from "./renderDockerfile";
import { type Requirements, RequirementsProblem, readRequirements, requirementsUpload } from "./requirements";
import { wheelhouseKey, wheelhouseUri, withoutBuildIsolation } from "./wheelhouse";

export type BuildKind = "runtime" | "application";

/** One layer of a runtime's requirements: its folder in the context and its main file there. */
export interface RequirementLayer {
    dir: string;
    main: string;
}

/** Where the payload's git diff lands in the context (and so in the image, under a `COPY .`). */
export const GIT_DIFF_FILE = "source-info/git_diff.txt";

/** The payload's uncommitted changes, written into the context by the build. */
export interface GitDiffInput {
    /** The payload folder (project-relative) and what is left out of it. */
    dir: string;
    exclude: string[];
    /** sha256 of the diff's text, checked again when the build packs it. */
    sha256: string;
}

/** A build whose inputs are read and hashed, except the application's `from` (the runtime digest). */
export interface PreparedBuild {
    kind: BuildKind;
    dockerfile: string;
    /** Where the Dockerfile comes from, for messages: a project path or `(rendered)`. */
    dockerfileSource: string;
    context: ContextSpec;
    /** Digest of the context files (paths, contents, exec bits). */
    contextDigest: string;
    fileCount: number;
    byteCount: number;
    /** Build args other than `from`. */
    buildArgs: Record<string, string>;
    /** Labels the build sets (`--label`), whatever the Dockerfile says. */
    labels: Record<string, string>;
    /** Whether the Dockerfile declares `ARG from`, so the build can pass it. */
    takesFrom: boolean;
    /** A runtime's base image as its settings or Dockerfile name it (lib/build/baseReference.ts). */
    base?: RuntimeBase;
    /** The payload's git diff, when it is dirty and `application.gitDiff` is on. */
    gitDiff?: GitDiffInput;
    /**
     * A runtime whose requirements are several files: each layer's folder in the context and its
     * main file there (relative to the folder), in install order. For the plan.
     */
    requirementLayers?: RequirementLayer[];
    /**
     * A runtime that keeps the wheels pip builds in the wheelhouse: the folder of its build
     * environment (lib/build/wheelhouse.ts). Not part of the content hash. @default none
     */
    wheelhouse?: string;
    timeoutSeconds: number;
    machineType?: string;
    /** What the plan should say about how it read the inputs (e.g. the CI variable naming a branch). */
    notes: string[];
}

/** A build ready to run: its content hash, tags, complete args and Cloud Build config. */
export interface FinalBuild {
    contentHash: string;
    tags: string[];
    buildArgs: Record<string, string>;
    cloudBuild: CloudBuildConfig;
}

async function digestOf(
    context: ContextSpec,
    root: string,
    collected?: ContextEntry[],
): Promise<{ digest: string; files: number; bytes: number }> {
    const entries = collected ?? collectContext(context, root);
    return {
        digest: await hashContext(entries),
        files: entries.length,
        bytes: entries.reduce((n, e) => n + e.size, 0),
    };
}

function lintOrThrow(name: string, text: string, buildArgs: Record<string, string>): void {
    const findings = lintDockerfile(name, text, buildArgs);
    if (findings.length > 0) {
        throw new SettingsError(findings.map(formatFinding));
    }
}

/** A digest placeholder for linting: our build always passes `from` as `repository@sha256:...`. */
const LINT_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * Runs `read`, turning an input problem into one settings line; an async `read` fails later,
 * so its rejection is turned the same way.
 */
function reading<T>(setting: string, value: string | string[], read: () => T): T {
    const lineOf = (err: unknown): unknown => {
        if (err instanceof InputProblem) {
            return new SettingsError(`${NAMESPACE}:${setting}: ${show(value)} ${err.message}`);
        }
        if (err instanceof ContextProblem || err instanceof GitProblem) {
            return new SettingsError(`${NAMESPACE}:${setting}: ${err.message}`);
        }
        if (err instanceof RequirementsProblem) {
            return new SettingsError(err.message);
        }
        return err;
    };
    let result: T;
    try {
        result = read();
    } catch (err) {
        throw lineOf(err);
    }
    if (result instanceof Promise) {
        return result.catch((err: unknown) => {
            throw lineOf(err);
        }) as T;
    }
    return result;
}

/** A Dockerfile the stack brings: read safely, from inside the repository. */
function readDockerfile(repo: Repository, setting: string, file: string): string {
    return reading(setting, file, () => readTextFile(resolveInside(repo, file)));
}

/** Build args a brought Dockerfile must declare, or the one line that says it does not. */
function checkDeclared(file: string, declared: Set<string>, setting: string, args: Record<string, string>): void {
    const lines = Object.keys(args)
        .filter((name) => !declared.has(name))
        .sort()
        .map(
            (name) =>
                `${NAMESPACE}:${setting}.${name}: ${show(args[name])} is not declared in ${file} (no ARG ${name}), so the build would ignore it; declare it or remove it`,
        );
    if (lines.length > 0) {
        throw new SettingsError(lines);
    }
}

/**
 * The runtime's build, read, linted and hashed. `local`: it runs on this machine's Docker engine
 * (the local stack), so its pip steps take the machine's pip configuration through the relay.
 */
export async function prepareRuntime(
    runtime: RuntimeSettings,
    repo: Repository,
    local = false,
): Promise<PreparedBuild> {
    const root = repo.projectRoot;
    const common = { timeoutSeconds: runtime.timeout, machineType: runtime.machineType, labels: {}, notes: [] };
    if (runtime.dockerfile !== undefined) {
        const file = runtime.dockerfile;
        const dockerfile = readDockerfile(repo, "runtime.dockerfile", file);
        const declared = declaredArgs(dockerfile);
        if (runtime.base !== undefined && !declared.has("from")) {
            throw new SettingsError(
                `${NAMESPACE}:runtime.base: ${show(runtime.base)} is set, but ${file} declares no ARG from to take it; start it with ARG from=<image> and FROM \${from}, or leave runtime.base unset`,
            );
        }
        checkDeclared(file, declared, "runtime.buildArgs", runtime.buildArgs);
        lintOrThrow(file, dockerfile, { ...runtime.buildArgs, ...(runtime.base ? { from: runtime.base } : {}) });
        const context = broughtRuntimeContext(repo, dockerfile, file, runtime.context);
        return {
            kind: "runtime",
            dockerfile,
            dockerfileSource: file,
            context,
            ...(await countedDigest(context, root, "runtime.context", runtime.context)),
            buildArgs: runtime.buildArgs,
            takesFrom: declared.has("from"),
            ...optionalBase(runtimeBase(runtime, dockerfile)),
            ...common,
        };
    }
    // one file, or a list of them installed in order, each in its own layer
    const listed = typeof runtime.requirements !== "string";
    const files = typeof runtime.requirements === "string" ? [runtime.requirements] : runtime.requirements;
    const read = files.map((file, i) =>
        reading(`runtime.requirements${listed ? `[${i}]` : ""}`, file, () => readRequirements(repo, file)),
    );
    const upload = requirementsUpload(read);
    const dockerfile = renderRuntimeDockerfile({
        base: runtime.base,
        buildArgs: Object.keys(runtime.buildArgs),
        env: runtime.env,
        aptPackages: runtime.aptPackages,
        pipSteps: runtime.pipSteps,
        requirements: upload.layout,
        writableDirs: runtime.writableDirs,
        pipRelay: local,
        wheelhouse: runtime.wheelhouse,
    });
    const context: ContextSpec = { kind: "files", files: upload.files };
    const dockerfileSource = "(rendered runtime Dockerfile)";
    lintOrThrow(dockerfileSource, dockerfile, { ...runtime.buildArgs, from: runtime.base });
    const counted = await countedDigest(context, root, "runtime.requirements", runtime.requirements);
    const pips = runtime.pipSteps.length > 0 || read.some((r) => r.hasRequirements);
    return {
        kind: "runtime",
        dockerfile,
        dockerfileSource,
        context,
        ...counted,
        buildArgs: runtime.buildArgs,
        takesFrom: true,
        ...(upload.layout?.layout === "layers" ? { requirementLayers: upload.layout.layers } : {}),
        ...(runtime.wheelhouse && pips
            ? { wheelhouse: runtimeWheelhouseKey(runtime, read, counted.contextDigest) }
            : {}),
        ...optionalBase(runtimeBase(runtime, dockerfile)),
        ...common,
    };
}

/**
 * The wheelhouse folder of a rendered runtime: its build environment, and its requirements too
 * when pip builds without isolation (against what earlier layers installed).
 */
function runtimeWheelhouseKey(runtime: RenderedRuntime, read: Requirements[], requirementsDigest: string): string {
    const isolated = !withoutBuildIsolation(
        runtime.pipSteps,
        runtime.env,
        read.flatMap((r) => r.lines),
    );
    return wheelhouseKey({
        base: runtime.base,
        aptPackages: runtime.aptPackages,
        pipSteps: runtime.pipSteps,
        env: runtime.env,
        buildArgs: runtime.buildArgs,
        ...(isolated ? {} : { requirementsDigest }),
    });
}

/** `{ base }` when there is one, so that a build without one has no such key. */
function optionalBase(base: RuntimeBase | undefined): { base?: RuntimeBase } {
    return base ? { base } : {};
}

async function countedDigest(context: ContextSpec, root: string, setting: string, value: string | string[]) {
    const d = await reading(setting, value, () => digestOf(context, root));
    return { contextDigest: d.digest, fileCount: d.files, byteCount: d.bytes };
}

/**
 * A brought runtime Dockerfile uploads only what it COPYs or ADDs from its context (and never the
 * rest of it); a wildcard or the whole context (`.`) takes the context folder, filtered by its
 * ignore files. Every source must stay inside the context, as Docker requires.
 */
function broughtRuntimeContext(repo: Repository, dockerfile: string, file: string, contextDir: string): ContextSpec {
    const sources = contextSources(dockerfile);
    const contextAbs = path.resolve(repo.projectRoot, contextDir);
    if (
        sources.some(
            ({ source }) => /[*?[]/.test(source) || path.posix.normalize(source.replace(/^\/+/, "") || ".") === ".",
        )
    ) {
        return directoryContext(repo, contextDir);
    }
    const files = sources.map(({ source, line }) => {
        const rel = path.posix.normalize(source.replace(/^\/+/, ""));
        const where = `${file}:${line}`;
        if (rel === ".." || rel.startsWith("../")) {
            throw new SettingsError(
                `${where}: COPY source ${JSON.stringify(source)} is outside the build context ${contextDir}, which Docker does not allow`,
            );
        }
        const full = path.resolve(contextAbs, rel);
        let real: string;
        try {
            real = resolveInside(repo, full);
        } catch (err) {
            if (err instanceof InputProblem) {
                const what = err.message === "does not exist" ? `does not exist in ${contextDir}` : err.message;
                throw new SettingsError(`${where}: COPY source ${JSON.stringify(source)} ${what}`);
            }
            throw err;
        }
        return { src: relativeFrom(repo.projectRoot, real), dest: rel };
    });
    return { kind: "files", files: dedupe(files) };
}

function dedupe<T extends { dest: string }>(items: T[]): T[] {
    const seen = new Map<string, T>();
    for (const i of items) {
        seen.set(i.dest, i);
    }
    return [...seen.values()];
}

/** A directory context, with the program's own folder left out (`exclude` only when there is one). */
function directoryContext(repo: Repository, dir: string): ContextSpec {
    const exclude = programExclusions(repo, path.resolve(repo.projectRoot, dir));
    return { kind: "directory", dir, ...(exclude.length > 0 ? { exclude } : {}) };
}

/** What an application build needs besides its settings. */
export interface ApplicationSources {
    /**
     * Default of the rendered Dockerfile's `ARG from`: the runtime repository (the build always
     * overrides it with the runtime's digest reference).
     */
    runtimeRepository: string;
    /** `org.opencontainers.image.source`: the repository's URL, or "". */
    sourceUrl: string;
}

export async function prepareApplication(
    application: ApplicationSettings,
    sources: ApplicationSources,
    repo: Repository,
): Promise<PreparedBuild> {
    const root = repo.projectRoot;
    const contextDir = application.context;
    const context = directoryContext(repo, contextDir);
    const entries = reading("application.context", contextDir, () => collectContext(context, root));
    const uploaded = new Set(entries.map((e) => e.path));
    const exclude = context.kind === "directory" ? (context.exclude ?? []) : [];
    const gitOptions = { uploaded: (p: string) => uploaded.has(p), exclude };
    const contextAbs = path.resolve(root, contextDir);
    const git = reading("application.context", contextDir, () => gitFacts(contextAbs, gitOptions));
    const notes = git.branchFrom
        ? [`application: the branch ${git.branch} comes from ${git.branchFrom} (HEAD is detached)`]
        : [];

    let dockerfile: string;
    let dockerfileSource: string;
    let declared: Set<string>;
    if (application.dockerfile !== undefined) {
        dockerfileSource = application.dockerfile;
        dockerfile = readDockerfile(repo, "application.dockerfile", dockerfileSource);
        declared = declaredArgs(dockerfile);
        if (!declared.has("from")) {
            throw new SettingsError(
                `${NAMESPACE}:application.dockerfile: ${show(dockerfileSource)} declares no ARG from, so it cannot build FROM the runtime; start it with ARG from=<runtime image> and FROM \${from}`,
            );
        }
        checkDeclared(dockerfileSource, declared, "application.buildArgs", application.buildArgs);
    } else {
        dockerfileSource = "(rendered application Dockerfile)";
        dockerfile = renderApplicationDockerfile({
            runtimeRepository: sources.runtimeRepository,
            buildArgs: Object.keys(application.buildArgs),
            env: application.env,
            workdir: application.workdir,
            run: application.run,
            cmd: application.cmd,
        });
        declared = declaredArgs(dockerfile);
    }
    // the git facts go where the Dockerfile takes them (a brought one may not declare them all)
    const facts: Record<string, string> = { git_hash: git.hash, git_branch: git.branch, timestamp: git.timestamp };
    const gitArgs = Object.fromEntries(GIT_ARGS.filter((n) => declared.has(n)).map((n) => [n, facts[n]]));
    const buildArgs = sortedRecord({ ...gitArgs, ...application.buildArgs });
    lintOrThrow(dockerfileSource, dockerfile, { ...buildArgs, from: `${sources.runtimeRepository}@${LINT_DIGEST}` });

    let diff: GitDiffInput | undefined;
    if (application.gitDiff && git.dirty) {
        if (uploaded.has(GIT_DIFF_FILE)) {
            throw new SettingsError(
                `${NAMESPACE}:application.gitDiff: true, but the payload has its own ${GIT_DIFF_FILE}, where the build writes the payload's git diff; remove that file, or set application.gitDiff: false`,
            );
        }
        const text = reading("application.context", contextDir, () => gitDiff(contextAbs, gitOptions));
        diff = { dir: contextDir, exclude, sha256: createHash("sha256").update(text).digest("hex") };
    }
    const d = await reading("application.context", contextDir, () => digestOf(context, root, entries));
    return {
        kind: "application",
        dockerfile,
        dockerfileSource,
        context,
        contextDigest: d.digest,
        fileCount: d.files,
        byteCount: d.bytes,
        buildArgs,
        labels: applicationLabels(application, sources.sourceUrl, git),
        takesFrom: true,
        ...(diff ? { gitDiff: diff } : {}),
        timeoutSeconds: application.timeout,
        machineType: application.machineType,
        notes,
    };
}

/**
 * The application's labels: the stack's own, `application` defaulting to the image name, and the
 * OCI annotations the known ones map to (title, licenses, url, vendor), plus the source, the
 * revision and the commit time. Empty values are left out.
 */
function applicationLabels(
    application: ApplicationSettings,
    sourceUrl: string,
    git: { hash: string; created: string },
): Record<string, string> {
    const l: Record<string, string> = { application: application.name, ...application.labels };
    const all: Record<string, string | undefined> = {
        ...l,
        "org.opencontainers.image.title": l.application,
        "org.opencontainers.image.licenses": l.license,
        "org.opencontainers.image.url": l.website,
        "org.opencontainers.image.vendor": l.organization,
        "org.opencontainers.image.source": sourceUrl,
        "org.opencontainers.image.revision": git.hash === "none" ? undefined : git.hash,
        "org.opencontainers.image.created": git.created,
    };
    return sortedRecord(Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => !!e[1])));
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The longest environment variable Linux passes to a command (MAX_ARG_STRLEN: 32 pages). */
export const MAX_ENV_VALUE = 131072;
/** What a command's whole environment may take here (Linux allows 2 MiB with its arguments). */
export const MAX_ENV_TOTAL = 1 << 20;

/**
 * The build command carries the build in its environment: a value past MAX_ARG_STRLEN, or a
 * whole past the budget, would fail only at `pulumi up` (E2BIG), so it is refused here.
 */
export function checkCommandSize(p: PreparedBuild): void {
    const bytes = (v: unknown) => Buffer.byteLength(typeof v === "string" ? v : JSON.stringify(v));
    const values: [string, number][] = [
        ["FW_DOCKERFILE", bytes(p.dockerfile)],
        ["FW_BUILD_ARGS", bytes(p.buildArgs)],
        ["FW_LABELS", bytes(p.labels)],
        ["FW_CONTEXT", bytes(p.context)],
        // the Cloud Build config repeats every build arg and label as a docker flag
        ["FW_CLOUDBUILD_CONFIG", 2 * (bytes(p.buildArgs) + bytes(p.labels)) + 4096],
    ];
    const setting = `${NAMESPACE}:${p.kind}`;
    const [key, size] = values.reduce((a, b) => (b[1] > a[1] ? b : a));
    if (size + key.length + 1 > MAX_ENV_VALUE) {
        throw new SettingsError(
            `${setting}: the build's command would carry ${key} of ${size} bytes; a command's environment variable holds at most ${MAX_ENV_VALUE} bytes (Linux's MAX_ARG_STRLEN); make the Dockerfile, build args or labels smaller`,
        );
    }
    const total = values.reduce((n, [k, v]) => n + k.length + v + 2, 0);
    if (total > MAX_ENV_TOTAL) {
        throw new SettingsError(
            `${setting}: the build's command environment would take ${total} bytes; at most ${MAX_ENV_TOTAL}; make the Dockerfile, build args or labels smaller`,
        );
    }
}

/**
 * The runtime repository as far as settings alone tell (a developer stack learns the real
 * one from the team stack): the default of the application Dockerfile's `ARG from`, which
 * our builds always override with a digest reference, so a hand build pulls the right image.
 */
export function runtimeRepositoryHint(s: Settings): string {
    if (s.mode === "local") {
        return localImage(s.localRegistryHost, s.runtime.name);
    }
    const team = repositoryPath(s.registry.location, s.gcp.project, s.registry.teamRepository);
    if (s.mode === "developer" && s.experimentalRuntime) {
        const developer = repositoryPath(s.registry.location, s.gcp.project, s.registry.developerRepository);
        return developerImage(developer, s.developer, s.runtime.name);
    }
    return teamImage(team, s.runtime.name); // the team's runtime
}

/**
 * `org.opencontainers.image.source`: the team's trigger repository, or the `repository` label;
 * never the website.
 */
export function sourceUrl(s: Settings): string {
    if (s.mode === "team" && s.triggers.repository) {
        return `https://github.com/${s.triggers.repository}`;
    }
    return s.application.labels.repository ?? "";
}

/**
 * Reads, lints and hashes both builds of a stack: its runtime and its application, which
 * builds FROM the runtime repository its settings name.
 */
export async function prepareBuilds(
    s: Settings,
    repo: Repository,
): Promise<{ runtime: PreparedBuild; application: PreparedBuild }> {
    const runtime = await prepareRuntime(s.runtime, repo, s.mode === "local");
    checkCommandSize(runtime);
    const application = await prepareApplication(
        s.application,
        { runtimeRepository: runtimeRepositoryHint(s), sourceUrl: sourceUrl(s) },
        repo,
    );
    checkCommandSize(application);
    return { runtime, application };
}

/** Where a prepared build goes, and what it builds FROM. */
export interface BuildTarget {
    /** Repository without tag. */
    image: string;
    /** The base image, or the runtime's `repository@sha256:...`; unset keeps the Dockerfile's default. */
    from?: string;
    /** Tags pushed besides the content tag (never in the team repository, whose tags are immutable). */
    movingTags: readonly string[];
    /** `projects/P/serviceAccounts/EMAIL` the Cloud Build build runs as. */
    serviceAccount?: string;
    /**
     * Cloud Build: the bucket of the team's wheelhouse, and whether this build stores into it
     * (team builds) or only reads (developers'). Used by a runtime with `runtime.wheelhouse`.
     */
    wheelhouse?: { bucket: string; store: boolean };
}

/**
 * Completes a build with its `from` reference (the runtime's `repository@sha256:...` for the
 * application, the base image for the runtime): the content hash covers the context, the
 * Dockerfile, every build arg and label, the git diff and the build settings, and names the
 * content tag.
 */
export function finalizeBuild(p: PreparedBuild, target: BuildTarget): FinalBuild {
    const { image, from, serviceAccount } = target;
    const buildArgs = sortedRecord({ ...p.buildArgs, ...(from !== undefined && p.takesFrom ? { from } : {}) });
    const hasLabels = Object.keys(p.labels).length > 0;
    const contentHash = buildHash({
        context: p.contextDigest,
        dockerfile: p.dockerfile,
        buildArgs,
        config: { image, timeoutSeconds: p.timeoutSeconds, machineType: p.machineType ?? null },
        // only when present, so that builds without them keep their content tags
        ...(hasLabels ? { labels: p.labels } : {}),
        ...(p.gitDiff ? { gitDiff: p.gitDiff.sha256 } : {}),
    });
    const tags = [contentTag(contentHash), ...target.movingTags];
    const cloudBuild = renderCloudBuildConfig({
        image,
        tags,
        buildArgs,
        labels: p.labels,
        timeoutSeconds: p.timeoutSeconds,
        machineType: p.machineType,
        serviceAccount,
        // a runtime reuses the layers of the previous one (never part of the hash above)
        cacheFrom: p.kind === "runtime",
        // nor is where pip's built wheels are kept
        ...(p.wheelhouse && target.wheelhouse && buildArgs.from
            ? {
                  wheelhouse: {
                      uri: wheelhouseUri(target.wheelhouse.bucket, p.wheelhouse),
                      image: buildArgs.from,
                      store: target.wheelhouse.store,
                  },
              }
            : {}),
    });
    return { contentHash, tags, buildArgs, cloudBuild };
}
