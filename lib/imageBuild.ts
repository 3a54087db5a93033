/**
 * One image build, described once and used everywhere: the plan (content hash, tags, Cloud
 * Build config), `scripts/build-image.ts` (which packs and builds it), the triggers and the
 * integration tests. Pure apart from reading the context and git.
 */
import * as fs from "fs";
import * as path from "path";
import { CloudBuildConfig, renderCloudBuildConfig } from "./cloudbuild";
import { buildHash, collectContext, ContextEntry, ContextSpec, hashContext } from "./context";
import { hasRequirements, LABEL_ARGS, renderApplicationDockerfile, renderRuntimeDockerfile } from "./dockerfile";
import { SettingsError } from "./errors";
import { gitFacts } from "./git";
import { contextSources, formatFinding, lintDockerfile } from "./lint";
import { imageTags } from "./naming";
import type { Settings } from "./settings";

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

function lintOrThrow(name: string, text: string, buildArgs: Record<string, string>): void {
    const findings = lintDockerfile(name, text, buildArgs);
    if (findings.length > 0) {
        throw new SettingsError(findings.map(formatFinding));
    }
}

/** A digest placeholder for linting: our build always passes `from` as `repository@sha256:...`. */
const LINT_DIGEST = `sha256:${"0".repeat(64)}`;

export async function prepareRuntime(s: Settings, root: string): Promise<PreparedBuild> {
    let dockerfile: string;
    let dockerfileSource: string;
    let context: ContextSpec;
    if (s.runtime.dockerfile) {
        dockerfileSource = s.runtime.dockerfile;
        dockerfile = fs.readFileSync(path.resolve(root, dockerfileSource), "utf8");
        context = broughtRuntimeContext(dockerfile, dockerfileSource, root);
    } else {
        dockerfileSource = "(rendered runtime Dockerfile)";
        const requirements = fs.readFileSync(path.resolve(root, s.runtime.requirements), "utf8");
        const withPip = hasRequirements(requirements);
        dockerfile = renderRuntimeDockerfile({
            base: s.runtime.base,
            aptPackages: s.runtime.aptPackages,
            hasRequirements: withPip,
            writableDirs: s.runtime.writableDirs,
        });
        context = { kind: "files", files: withPip ? [{ src: s.runtime.requirements, dest: "requirements.txt" }] : [] };
    }
    const buildArgs = { from: s.runtime.base };
    lintOrThrow(dockerfileSource, dockerfile, buildArgs);
    const d = await digestOf(context, root);
    return {
        kind: "runtime",
        dockerfile,
        dockerfileSource,
        context,
        contextDigest: d.digest,
        fileCount: d.files,
        byteCount: d.bytes,
        buildArgs: {},
        timeoutSeconds: s.runtime.timeout,
        machineType: s.runtime.machineType,
    };
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
    items.forEach((i) => seen.set(i.dest, i));
    return [...seen.values()];
}

/**
 * @param runtimeName default of the rendered Dockerfile's `ARG from`, the runtime repository
 *                    (the build always overrides it with the runtime's digest reference).
 */
export async function prepareApplication(s: Settings, root: string, runtimeName: string): Promise<PreparedBuild> {
    const contextDir = s.application.context;
    let dockerfile: string;
    let dockerfileSource: string;
    if (s.application.dockerfile) {
        dockerfileSource = s.application.dockerfile;
        dockerfile = fs.readFileSync(path.resolve(root, dockerfileSource), "utf8");
    } else {
        dockerfileSource = "(rendered application Dockerfile)";
        dockerfile = renderApplicationDockerfile({
            runtimeRepository: runtimeName,
            workdir: s.application.workdir,
            cmd: s.application.cmd,
        });
    }
    const context: ContextSpec = { kind: "directory", dir: contextDir };
    const entries = collectContext(context, root);
    const uploaded = new Set(entries.map((e) => e.path));
    const git = gitFacts(path.resolve(root, contextDir), (p) => uploaded.has(p));
    const labels = s.application.labels;
    const source = s.triggers.repository ? `https://github.com/${s.triggers.repository}` : (labels.website ?? "");
    const values: Record<string, string> = {
        git_hash: git.hash,
        git_branch: git.branch,
        timestamp: git.timestamp,
        created: git.created,
        source,
        label_application: labels.application ?? s.application.name,
        label_email: labels.email ?? "",
        label_license: labels.license ?? "",
        label_organization: labels.organization ?? "",
        label_website: labels.website ?? "",
    };
    const argNames = new Set(["git_hash", "git_branch", "timestamp", ...Object.values(LABEL_ARGS)]);
    const buildArgs = Object.fromEntries([...argNames].sort().map((n) => [n, values[n]]));
    lintOrThrow(dockerfileSource, dockerfile, { ...buildArgs, from: `${runtimeName}@${LINT_DIGEST}` });
    const d = await digestOf(context, root, entries);
    return {
        kind: "application",
        dockerfile,
        dockerfileSource,
        context,
        contextDigest: d.digest,
        fileCount: d.files,
        byteCount: d.bytes,
        buildArgs,
        timeoutSeconds: s.application.timeout,
        machineType: s.application.machineType,
    };
}

/**
 * Completes a build with its `from` reference (the runtime's `repository@sha256:...` for the
 * application, the base image for the runtime): the content hash covers the context, the
 * Dockerfile, every build arg and the build settings, and names the content tag.
 */
export function finalizeBuild(
    p: PreparedBuild,
    s: Settings,
    image: string,
    from: string,
    serviceAccount?: string,
): FinalBuild {
    const buildArgs = Object.fromEntries(Object.entries({ ...p.buildArgs, from }).sort(([a], [b]) => (a < b ? -1 : 1)));
    const contentHash = buildHash({
        context: p.contextDigest,
        dockerfile: p.dockerfile,
        buildArgs,
        config: { image, timeoutSeconds: p.timeoutSeconds, machineType: p.machineType ?? null },
    });
    const tags = imageTags(s, contentHash);
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
