/**
 * The hand-off of an image build from the ImageBuild component to scripts/build-image.ts: the
 * spec in the command's environment (what the plan shows, one readable key each) and the result
 * line the script prints.
 */
import { z } from "zod";
import { HandoffError, need, needJson, validated } from "../commands/handoff";
import { DIGEST, PROJECT_ID, REGION } from "../patterns";
import { CACHE_CANDIDATE } from "./cacheFrom";
import type { ContextSpec } from "./context";
import type { BuildKind, FinalBuild, GitDiffInput, PreparedBuild, RequirementLayer } from "./prepareBuild";

export type Builder = "docker" | "cloudbuild";

/** One image build, as the command runs it. */
export interface BuildSpec {
    /** Which image of the stack this is. */
    kind: BuildKind;
    builder: Builder;
    image: string;
    /** The content tag first, then any moving tags. */
    tags: string[];
    contextDigest: string;
    context: ContextSpec;
    dockerfile: string;
    buildArgs: Record<string, string>;
    /**
     * The base by tag, as the settings name it, when `buildArgs.from` is the digest it was
     * resolved to at plan time: shown in the plan beside it. @default none
     */
    base?: string;
    /** Labels the build sets. @default none */
    labels?: Record<string, string>;
    /** The payload's git diff to write into the context. @default none */
    gitDiff?: GitDiffInput;
    /** A runtime's requirement layers, in install order (for the plan). @default one layer or none */
    requirementLayers?: RequirementLayer[];
    /** A runtime's wheelhouse folder (lib/build/wheelhouse.ts); not in the content hash. @default none */
    wheelhouse?: string;
    /**
     * Cloud Build only: where the previous image may be, in order of preference; the first that
     * exists is pulled by digest and its layers reused (lib/build/cacheFrom.ts). @default none
     */
    cacheFrom?: string[];
    /** Push to the registry in `image` (docker builder; always true for Cloud Build). */
    push: boolean;
    /** Cloud Build only: the rendered config (YAML), project, region and staging folder. */
    cloudBuildConfig?: string;
    project?: string;
    region?: string;
    /** `gs://BUCKET/source`: where gcloud uploads the packed context. */
    stagingDir?: string;
}

/**
 * The hand-off of a prepared build, finalized for `image`: what every builder reads. Cloud
 * Build's own fields (its config, project, region, staging folder, the layers to reuse) are the
 * caller's to add.
 */
export function buildSpecOf(
    p: PreparedBuild,
    f: FinalBuild,
    o: { builder: Builder; image: string; push: boolean; base?: string },
): BuildSpec {
    return {
        kind: p.kind,
        builder: o.builder,
        image: o.image,
        tags: f.tags,
        contextDigest: p.contextDigest,
        context: p.context,
        dockerfile: p.dockerfile,
        buildArgs: f.buildArgs,
        base: o.base,
        labels: p.labels,
        gitDiff: p.gitDiff,
        requirementLayers: p.requirementLayers,
        wheelhouse: p.wheelhouse,
        push: o.push,
    };
}

const WHO = "build-image";

const contextSchema = z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("directory"), dir: z.string(), exclude: z.array(z.string()).optional() }),
    z.object({ kind: z.literal("files"), files: z.array(z.object({ src: z.string(), dest: z.string() })) }),
]);

const specSchema = z
    .object({
        kind: z.enum(["runtime", "application"], { error: "is not runtime or application" }),
        builder: z.enum(["docker", "cloudbuild"], { error: "is not docker or cloudbuild" }),
        image: z.string().min(1),
        tags: z.array(z.string().min(1)).min(1),
        contextDigest: z.string().regex(/^[0-9a-f]{64}$/, { error: "is not a sha256" }),
        context: contextSchema,
        dockerfile: z.string().min(1, { error: "is empty" }),
        buildArgs: z.record(z.string(), z.string()),
        base: z.string().min(1).optional(),
        labels: z.record(z.string(), z.string()).optional(),
        gitDiff: z
            .object({ dir: z.string(), exclude: z.array(z.string()), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
            .optional(),
        requirementLayers: z.array(z.object({ dir: z.string().min(1), main: z.string().min(1) })).optional(),
        wheelhouse: z
            .string()
            .regex(/^[0-9a-f]{20}$/, { error: "is not a wheelhouse key (20 hex)" })
            .optional(),
        cacheFrom: z
            .array(
                z
                    .string()
                    .regex(CACHE_CANDIDATE, { error: "is not repository, repository:tag or repository@sha256:..." }),
            )
            .optional(),
        push: z.boolean(),
        cloudBuildConfig: z.string().min(1).optional(),
        project: z.string().regex(PROJECT_ID, { error: "is not a project id" }).optional(),
        region: z.string().regex(REGION, { error: "is not a region" }).optional(),
        stagingDir: z
            .string()
            .regex(/^gs:\/\/[^/]+\/\S+$/, { error: "is not gs://BUCKET/FOLDER" })
            .optional(),
    })
    // a Cloud Build build needs its config, project, region and staging folder
    .refine((s) => s.builder !== "cloudbuild" || (s.cloudBuildConfig && s.project && s.region && s.stagingDir), {
        error: "a cloudbuild spec needs FW_CLOUDBUILD_CONFIG, FW_GCP_PROJECT, FW_CLOUDBUILD_REGION and FW_SOURCE_STAGING_DIR",
    });

/** The command environment carrying a spec. */
export function buildSpecToEnvironment(spec: BuildSpec): Record<string, string> {
    const env: Record<string, string> = {
        FW_KIND: spec.kind,
        FW_BUILDER: spec.builder,
        FW_IMAGE: spec.image,
        FW_TAGS: spec.tags.join(","),
        FW_CONTEXT_DIGEST: spec.contextDigest,
        FW_CONTEXT: JSON.stringify(spec.context),
        FW_DOCKERFILE: spec.dockerfile,
        FW_BUILD_ARGS: JSON.stringify(spec.buildArgs),
        FW_PUSH: String(spec.push),
    };
    if (spec.base !== undefined) {
        env.FW_BASE = spec.base;
    }
    // only when there are some, so that builds without them keep their plans
    if (spec.labels && Object.keys(spec.labels).length > 0) {
        env.FW_LABELS = JSON.stringify(spec.labels);
    }
    if (spec.gitDiff) {
        env.FW_GIT_DIFF = JSON.stringify(spec.gitDiff);
    }
    if (spec.requirementLayers && spec.requirementLayers.length > 0) {
        env.FW_REQUIREMENT_LAYERS = JSON.stringify(spec.requirementLayers);
    }
    if (spec.wheelhouse !== undefined) {
        env.FW_WHEELHOUSE = spec.wheelhouse;
    }
    if (spec.cacheFrom && spec.cacheFrom.length > 0) {
        env.FW_CACHE_FROM = JSON.stringify(spec.cacheFrom);
    }
    if (spec.cloudBuildConfig !== undefined) {
        env.FW_CLOUDBUILD_CONFIG = spec.cloudBuildConfig;
        env.FW_GCP_PROJECT = spec.project ?? "";
        env.FW_CLOUDBUILD_REGION = spec.region ?? "";
        env.FW_SOURCE_STAGING_DIR = spec.stagingDir ?? "";
    }
    return env;
}

export function buildSpecFromEnvironment(env: NodeJS.ProcessEnv): BuildSpec {
    const spec = {
        kind: need(env, "FW_KIND", WHO),
        builder: need(env, "FW_BUILDER", WHO),
        image: need(env, "FW_IMAGE", WHO),
        tags: need(env, "FW_TAGS", WHO).split(","),
        contextDigest: need(env, "FW_CONTEXT_DIGEST", WHO),
        context: needJson(env, "FW_CONTEXT", WHO),
        dockerfile: need(env, "FW_DOCKERFILE", WHO),
        buildArgs: needJson(env, "FW_BUILD_ARGS", WHO),
        base: env.FW_BASE === undefined ? undefined : need(env, "FW_BASE", WHO),
        labels: env.FW_LABELS === undefined ? undefined : needJson(env, "FW_LABELS", WHO),
        gitDiff: env.FW_GIT_DIFF === undefined ? undefined : needJson(env, "FW_GIT_DIFF", WHO),
        requirementLayers:
            env.FW_REQUIREMENT_LAYERS === undefined ? undefined : needJson(env, "FW_REQUIREMENT_LAYERS", WHO),
        wheelhouse: env.FW_WHEELHOUSE === undefined ? undefined : need(env, "FW_WHEELHOUSE", WHO),
        cacheFrom: env.FW_CACHE_FROM === undefined ? undefined : needJson(env, "FW_CACHE_FROM", WHO),
        push: flag(need(env, "FW_PUSH", WHO), "FW_PUSH"),
        cloudBuildConfig: env.FW_CLOUDBUILD_CONFIG || undefined,
        project: env.FW_GCP_PROJECT || undefined,
        region: env.FW_CLOUDBUILD_REGION || undefined,
        stagingDir: env.FW_SOURCE_STAGING_DIR || undefined,
    };
    return validated(specSchema, spec, WHO, "spec");
}

/** What a build prints: `sha256:...` (the registry digest when pushed, else the local image id). */
export const buildResultSchema = z.object({
    digest: z.string().regex(DIGEST, { error: "is not sha256:<64 hex>" }),
    /** What a later build uses as `FROM`: `image@digest` when pushed, else the image id. */
    reference: z.string().min(1),
});

export type BuildResult = z.output<typeof buildResultSchema>;

/** `true` or `false`, nothing else. */
function flag(value: string, key: string): boolean {
    if (value !== "true" && value !== "false") {
        throw new HandoffError(`${WHO}: ${key}: ${JSON.stringify(value)} is not true or false`);
    }
    return value === "true";
}
