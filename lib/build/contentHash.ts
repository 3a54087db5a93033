/**
 * The content hash of a build: the context digest plus everything else that shapes the image
 * (Dockerfile, build args, build settings). It names the content tag, so the same inputs give the
 * same tag on every machine and a changed input gives a new one. Pure.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../canonical";

export interface BuildHashInputs {
    /** Digest of the context files (context.ts `hashContext`). */
    context: string;
    dockerfile: string;
    buildArgs: Record<string, string>;
    /** Build settings that shape the image or where it goes. */
    config: unknown;
    /** Labels the build sets (left out when there are none). */
    labels?: Record<string, string>;
    /** sha256 of the git diff written into the context (left out when there is none). */
    gitDiff?: string;
}

export function buildHash(parts: BuildHashInputs): string {
    return createHash("sha256")
        .update(canonicalJson({ v: 1, ...parts }))
        .digest("hex");
}
