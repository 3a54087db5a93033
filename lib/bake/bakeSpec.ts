/**
 * The hand-off of a bake from the FireworkerImage component to scripts/bake-image.ts: the spec
 * in the command's environment (what the plan shows) and the result line the script prints.
 */
import { z } from "zod";
import { need, validated } from "../commands/handoff";
import { BUILD_ID, GCE_NAME, PROJECT_ID, REGION } from "../patterns";

/** One bake, as the command runs it. */
export interface BakeSpec {
    /** `<family>-<hash>`: the image this bake makes (or finds made). */
    image: string;
    family: string;
    /** The rendered Cloud Build config (YAML). */
    config: string;
    project: string;
    /** Region the bake build runs in. */
    region: string;
}

const WHO = "bake-image";

const specSchema = z.object({
    image: z.string().regex(GCE_NAME, { error: "is not a GCE image name" }),
    family: z.string().regex(GCE_NAME, { error: "is not a GCE image family" }),
    config: z.string().min(1, { error: "is empty" }),
    project: z.string().regex(PROJECT_ID, { error: "is not a project id" }),
    region: z.string().regex(REGION, { error: "is not a region" }),
});

export function bakeSpecToEnvironment(spec: BakeSpec): Record<string, string> {
    return {
        FW_BAKE_IMAGE: spec.image,
        FW_BAKE_FAMILY: spec.family,
        FW_BAKE_CONFIG: spec.config,
        FW_GCP_PROJECT: spec.project,
        FW_CLOUDBUILD_REGION: spec.region,
    };
}

export function bakeSpecFromEnvironment(env: NodeJS.ProcessEnv): BakeSpec {
    const spec = {
        image: need(env, "FW_BAKE_IMAGE", WHO),
        family: need(env, "FW_BAKE_FAMILY", WHO),
        config: need(env, "FW_BAKE_CONFIG", WHO),
        project: need(env, "FW_GCP_PROJECT", WHO),
        region: need(env, "FW_CLOUDBUILD_REGION", WHO),
    };
    return validated(specSchema, spec, WHO, "spec");
}

/** What a bake prints when it ends well. */
export const bakeResultSchema = z.object({
    image: z.string().regex(GCE_NAME),
    family: z.string().regex(GCE_NAME),
    /** The Cloud Build build id. */
    build: z.string().regex(BUILD_ID),
});

export type BakeResult = z.output<typeof bakeResultSchema>;
