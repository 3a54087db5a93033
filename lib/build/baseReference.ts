/**
 * The runtime's base image as a digest: which reference the runtime builds FROM (`runtime.base`,
 * or a brought Dockerfile's own `ARG from=` default), whether it must be resolved to a digest at
 * plan time or is used as it is, where it is resolved (a registry, or the local Docker engine),
 * the `repository@sha256:...` it resolves to, and the one line a failure becomes. Pure.
 */
import { DockerfileParser } from "dockerfile-ast";
import { SettingsError, show } from "../errors";
import { isDigest, parseImageRef } from "../imageRef";
import { DIGEST } from "../patterns";
import { NAMESPACE } from "../settings/schema";
import type { RuntimeSettings } from "../settings/types";

/** Where a base is resolved: the registry that serves it (team, developer stacks) or the local Docker engine. */
export type BaseResolver = "registry" | "engine";

/** The base a runtime builds FROM, as its settings or Dockerfile name it. */
export interface RuntimeBase {
    /** The reference as written, e.g. `python:3.11-slim-bookworm` or `python@sha256:...`. */
    reference: string;
    /** What names it, for messages: `runtime.base`, or `runtime.dockerfile` (its `ARG from=` default). */
    setting: "runtime.base" | "runtime.dockerfile";
    /** Whether it must be resolved to a digest at plan time (a tag); false for a digest, used as it is. */
    resolve: boolean;
    /**
     * Whether the build must pass it as `from`: always for `runtime.base`; for the Dockerfile's own
     * default only once resolved (a digest default is left to the Dockerfile, as before).
     */
    passAsFrom: boolean;
}

/** The default of a Dockerfile's global `ARG name=...` (before its first FROM), or undefined. */
export function globalArgDefault(dockerfile: string, name: string): string | undefined {
    let value: string | undefined;
    for (const ins of DockerfileParser.parse(dockerfile).getInstructions()) {
        const keyword = ins.getKeyword();
        if (keyword === "FROM") {
            break;
        }
        if (keyword === "ARG") {
            // one ARG may declare several names: ARG a=1 from=x
            for (const arg of ins.getArguments()) {
                const text = arg.getValue();
                const eq = text.indexOf("=");
                if ((eq < 0 ? text : text.slice(0, eq)) === name) {
                    value = eq < 0 ? undefined : text.slice(eq + 1).replace(/^(["'])(.*)\1$/, "$2");
                }
            }
        }
    }
    return value === "" ? undefined : value;
}

/** Whether a reference names its image by digest (`name@sha256:...`, or an image id `sha256:...`). */
export function isPinned(reference: string): boolean {
    return isDigest(reference) || parseImageRef(reference).digest !== undefined;
}

/**
 * The base a runtime builds FROM: `runtime.base`, else a brought Dockerfile's `ARG from=` default
 * (undefined when it has none: its FROM lines are its own). With `runtime.baseUpdates: pinned`, a
 * tag is refused with one line: the lab freezes the base at a digest it chose.
 */
export function runtimeBase(runtime: RuntimeSettings, dockerfile: string): RuntimeBase | undefined {
    const fromSetting = runtime.base;
    const reference =
        fromSetting ?? (runtime.dockerfile !== undefined ? globalArgDefault(dockerfile, "from") : undefined);
    if (reference === undefined) {
        return undefined;
    }
    const setting = fromSetting !== undefined ? "runtime.base" : "runtime.dockerfile";
    const resolve = !isPinned(reference);
    if (resolve && runtime.baseUpdates === "pinned") {
        throw new SettingsError(
            setting === "runtime.base"
                ? `${NAMESPACE}:runtime.base: ${show(reference)} is a tag, but runtime.baseUpdates is pinned; pin the base by digest (${reference}@sha256:<64 hex>, the digest pulumi preview shows for the tag), or set runtime.baseUpdates: track`
                : `${NAMESPACE}:runtime.dockerfile: ${show(runtime.dockerfile)} has ARG from=${reference}, a tag, but runtime.baseUpdates is pinned; pin the base by digest in runtime.base or in that ARG (e.g. ${reference}@sha256:<64 hex>), or set runtime.baseUpdates: track`,
        );
    }
    return { reference, setting, resolve, passAsFrom: setting === "runtime.base" || resolve };
}

/** The registry host of a reference: its first path component when that is a host, else Docker Hub. */
export function registryHostOf(reference: string): string {
    const { repository } = parseImageRef(reference);
    const slash = repository.indexOf("/");
    const first = slash < 0 ? "" : repository.slice(0, slash);
    return first !== "" && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** Whether a registry host is Artifact Registry's (`LOCATION-docker.pkg.dev`), which takes a Google access token. */
export function isArtifactRegistryHost(host: string): boolean {
    return /^[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev$/.test(host);
}

/** `repository@digest` of a reference resolved to `digest` (its tag left out: the digest names the image). */
export function digestReference(reference: string, digest: string): string {
    return `${parseImageRef(reference).repository}@${digest}`;
}

/** What a resolution reports: the digest, and the reference to build FROM (`repository@digest`, or a local image id). */
export interface ResolvedBase {
    digest: string;
    reference: string;
}

/** Why a resolution's answer is unusable, or undefined when it is a digest and a reference. */
export function resolvedProblem(answer: unknown): string | undefined {
    if (answer === null || typeof answer !== "object") {
        return "the resolver answered no JSON object";
    }
    const { digest, reference } = answer as Record<string, unknown>;
    if (typeof digest !== "string" || !DIGEST.test(digest)) {
        return `the resolver answered no digest (${show(digest)})`;
    }
    if (typeof reference !== "string" || !(reference === digest || reference.endsWith(`@${digest}`))) {
        return `the resolver answered a reference that does not name its digest (${show(reference)})`;
    }
    return undefined;
}

/** The Pulumi SDK's wrapping of an invoke's failure, left out of the line. */
const INVOKE_PREFIX = /^(?:Error: )?Invoke of '[^']*' failed: /;

/** An answer (a registry's, Docker's) as one line: the invoke's wrapping and the whitespace runs left out. */
export function oneLine(answer: string): string {
    const text = answer.replace(INVOKE_PREFIX, "").replace(/\s+/g, " ").trim();
    return text.length > 400 ? `${text.slice(0, 397)}...` : text || "no answer";
}

/**
 * The one line a failed resolution stops the plan with: the setting, the reference and the
 * registry's (or Docker's) answer, never a stack trace.
 */
export function resolutionFailure(
    base: Pick<RuntimeBase, "reference" | "setting">,
    resolver: BaseResolver,
    answer: string,
): string {
    const where = resolver === "engine" ? "the local Docker engine" : registryHostOf(base.reference);
    const what = base.setting === "runtime.base" ? show(base.reference) : `ARG from=${base.reference}`;
    return `${NAMESPACE}:${base.setting}: ${what} cannot be resolved to a digest by ${where}: ${oneLine(answer)}; check that the image exists and that you may pull it, or pin it by digest`;
}
