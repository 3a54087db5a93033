/**
 * Image builds, described once and used everywhere: the plan (content hash, tags, Cloud Build
 * config), `scripts/build-image.ts` (which packs and builds them), the triggers and the
 * integration tests. Reads the contexts and git; no Pulumi.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SettingsError } from "../errors";
import { contentTag, developerImage, localImage, repositoryPath, teamImage } from "../names";
import type { ApplicationSettings, RuntimeSettings, Settings } from "../settings/types";
import { type CloudBuildConfig, renderCloudBuildConfig } from "./cloudBuildConfig";
import { buildHash } from "./contentHash";
import { type ContextEntry, type ContextSpec, collectContext, hashContext } from "./context";
import { contextSources, formatFinding, lintDockerfile } from "./dockerfileLint";
import { gitFacts } from "./gitFacts";
import { hasRequirements, LABEL_ARGS, renderApplicationDockerfile, renderRuntimeDockerfile } from "./renderDockerfile";

export type BuildKind = "runtime" | "application";

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
    timeoutSeconds: number;
    machineType?: string;
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

/** A prepared build from its Dockerfile, its hashed context and its build settings. */
function prepared(
    kind: BuildKind,
    source: Pick<PreparedBuild, "dockerfile" | "dockerfileSource" | "context">,
    d: { digest: string; files: number; bytes: number },
    buildArgs: Record<string, string>,
    settings: { timeout: number; machineType?: string },
): PreparedBuild {
    return {
        kind,
        ...source,
        contextDigest: d.digest,
        fileCount: d.files,
        byteCount: d.bytes,
        buildArgs,
        timeoutSeconds: settings.timeout,
        machineType: settings.machineType,
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
 * The runtime's build, read, linted and hashed. `local`: it runs on this machine's Docker engine
 * (the local stack), so its pip step takes the machine's pip configuration through the relay.
 */
export async function prepareRuntime(runtime: RuntimeSettings, root: string, local = false): Promise<PreparedBuild> {
    let dockerfile: string;
    let dockerfileSource: string;
    let context: ContextSpec;
    if (runtime.dockerfile) {
        dockerfileSource = runtime.dockerfile;
        dockerfile = fs.readFileSync(path.resolve(root, dockerfileSource), "utf8");
        context = broughtRuntimeContext(dockerfile, dockerfileSource, root);
    } else {
        dockerfileSource = "(rendered runtime Dockerfile)";
        const requirements = fs.readFileSync(path.resolve(root, runtime.requirements), "utf8");
        const withPip = hasRequirements(requirements);
        dockerfile = renderRuntimeDockerfile({
            base: runtime.base,
            aptPackages: runtime.aptPackages,
            hasRequirements: withPip,
            writableDirs: runtime.writableDirs,
            pipRelay: local,
        });
        context = { kind: "files", files: withPip ? [{ src: runtime.requirements, dest: "requirements.txt" }] : [] };
    }
    const buildArgs = { from: runtime.base };
    lintOrThrow(dockerfileSource, dockerfile, buildArgs);
    return prepared("runtime", { dockerfile, dockerfileSource, context }, await digestOf(context, root), {}, runtime);
}

/** A brought runtime Dockerfile uploads only what it COPYs or ADDs (and never the rest of its folder). */
function broughtRuntimeContext(dockerfile: string, dockerfileSource: string, root: string): ContextSpec {
    const dir = path.posix.dirname(dockerfileSource);
    const sources = contextSources(dockerfile);
    if (sources.some((src) => /[*?[]/.test(src) || path.posix.normalize(src) === ".")) {
        return { kind: "directory", dir };
    }
    const files = sources.map((src) => {
        const rel = path.posix.normalize(src.replace(/^\/+/, ""));
        const full = path.posix.join(dir, rel);
        if (!fs.existsSync(path.resolve(root, full))) {
            throw new SettingsError(`${dockerfileSource}: COPY source ${JSON.stringify(src)} does not exist in ${dir}`);
        }
        return { src: full, dest: rel };
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

/** What an application build needs besides its settings. */
export interface ApplicationSources {
    /** Default of the rendered Dockerfile's `ARG from`: the runtime repository (the build
     *  always overrides it with the runtime's digest reference). */
    runtimeRepository: string;
    /** `org.opencontainers.image.source`: the repository's URL, or "". */
    sourceUrl: string;
}

export async function prepareApplication(
    application: ApplicationSettings,
    sources: ApplicationSources,
    root: string,
): Promise<PreparedBuild> {
    const runtimeName = sources.runtimeRepository;
    const contextDir = application.context;
    let dockerfile: string;
    let dockerfileSource: string;
    if (application.dockerfile) {
        dockerfileSource = application.dockerfile;
        dockerfile = fs.readFileSync(path.resolve(root, dockerfileSource), "utf8");
    } else {
        dockerfileSource = "(rendered application Dockerfile)";
        dockerfile = renderApplicationDockerfile({
            runtimeRepository: runtimeName,
            workdir: application.workdir,
            cmd: application.cmd,
        });
    }
    const context: ContextSpec = { kind: "directory", dir: contextDir };
    const entries = collectContext(context, root);
    const uploaded = new Set(entries.map((e) => e.path));
    const git = gitFacts(path.resolve(root, contextDir), (p) => uploaded.has(p));
    const labels = application.labels;
    const values: Record<string, string> = {
        git_hash: git.hash,
        git_branch: git.branch,
        timestamp: git.timestamp,
        created: git.created,
        source: sources.sourceUrl,
        label_application: labels.application ?? application.name,
        label_email: labels.email ?? "",
        label_license: labels.license ?? "",
        label_organization: labels.organization ?? "",
        label_website: labels.website ?? "",
    };
    const argNames = new Set(["git_hash", "git_branch", "timestamp", ...Object.values(LABEL_ARGS)]);
    const buildArgs = Object.fromEntries([...argNames].sort().map((n) => [n, values[n]]));
    lintOrThrow(dockerfileSource, dockerfile, { ...buildArgs, from: `${runtimeName}@${LINT_DIGEST}` });
    return prepared(
        "application",
        { dockerfile, dockerfileSource, context },
        await digestOf(context, root, entries),
        buildArgs,
        application,
    );
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
 * Reads, lints and hashes both builds of a stack: its runtime and its application, which
 * builds FROM the runtime repository its settings name.
 */
export async function prepareBuilds(
    s: Settings,
    root: string,
): Promise<{ runtime: PreparedBuild; application: PreparedBuild }> {
    const runtime = await prepareRuntime(s.runtime, root, s.mode === "local");
    const repository = s.mode === "team" ? s.triggers.repository : undefined;
    const application = await prepareApplication(
        s.application,
        {
            runtimeRepository: runtimeRepositoryHint(s),
            sourceUrl: repository ? `https://github.com/${repository}` : (s.application.labels.website ?? ""),
        },
        root,
    );
    return { runtime, application };
}

/** Where a prepared build goes, and what it builds FROM. */
export interface BuildTarget {
    /** Repository without tag. */
    image: string;
    /** The base image, or the runtime's `repository@sha256:...`. */
    from: string;
    /** Tags pushed besides the content tag (never in the team repository, whose tags are immutable). */
    movingTags: readonly string[];
    /** `projects/P/serviceAccounts/EMAIL` the Cloud Build build runs as. */
    serviceAccount?: string;
}

/**
 * Completes a build with its `from` reference (the runtime's `repository@sha256:...` for the
 * application, the base image for the runtime): the content hash covers the context, the
 * Dockerfile, every build arg and the build settings, and names the content tag.
 */
export function finalizeBuild(p: PreparedBuild, target: BuildTarget): FinalBuild {
    const { image, from, serviceAccount } = target;
    const buildArgs = Object.fromEntries(Object.entries({ ...p.buildArgs, from }).sort(([a], [b]) => (a < b ? -1 : 1)));
    const contentHash = buildHash({
        context: p.contextDigest,
        dockerfile: p.dockerfile,
        buildArgs,
        config: { image, timeoutSeconds: p.timeoutSeconds, machineType: p.machineType ?? null },
    });
    const tags = [contentTag(contentHash), ...target.movingTags];
    const cloudBuild = renderCloudBuildConfig({
        image,
        tags,
        buildArgs,
        timeoutSeconds: p.timeoutSeconds,
        machineType: p.machineType,
        serviceAccount,
    });
    return { contentHash, tags, buildArgs, cloudBuild };
}
