/**
 * Placeholders: values the offline plan cannot know (the digest of an image not built yet, the
 * team stack's outputs in a developer stack, and what follows from them), made recognisable in a
 * plan and its diff while staying valid where the program or the policy pack parses them. Pure.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** A value of a plan that stands in for one known only at `pulumi up`, and what it stands for. */
export interface Placeholder {
    value: string;
    meaning: string;
}

/** The shape of a plan's `placeholders` entry, for reading a plan file back. */
export const placeholderSchema = z.object({ value: z.string(), meaning: z.string() }) satisfies z.ZodType<Placeholder>;

/**
 * A placeholder digest: `sha256:`, 32 zeros, then 32 hex digits of a hash of what it stands for.
 * It is a valid `sha256:<64 hex>`, so every check that parses digests accepts it, and no real
 * digest starts with 32 zeros (a chance of 2^-128). Distinct seeds give distinct placeholders, so
 * a changed build still changes what is built FROM it.
 */
export const PLACEHOLDER_DIGEST = /sha256:0{32}[0-9a-f]{32}/;

/** The placeholder digest for `seed` (any JSON value). */
export function placeholderDigest(seed: unknown): string {
    const hex = createHash("sha256").update(JSON.stringify(seed)).digest("hex");
    return `sha256:${"0".repeat(32)}${hex.slice(0, 32)}`;
}

/** Whether `text` holds a placeholder digest anywhere. */
export function hasPlaceholderDigest(text: string): boolean {
    return PLACEHOLDER_DIGEST.test(text);
}

/**
 * The placeholder `text` holds, if any: the longest listed value it contains as a whole name
 * (not inside a longer name: `fireworker` is not in `fireworker-images`), so an image reference
 * names its repository's placeholder rather than the registry host's; else a placeholder digest,
 * which means "known after the build" wherever it appears.
 */
export function placeholderIn(text: string, listed: readonly Placeholder[]): Placeholder | undefined {
    let best: Placeholder | undefined;
    for (const p of listed) {
        if (containsName(text, p.value) && (!best || p.value.length > best.value.length)) {
            best = p;
        }
    }
    if (best) return best;
    const digest = PLACEHOLDER_DIGEST.exec(text)?.[0];
    return digest ? { value: digest, meaning: "digest of an image not built yet, known after the build" } : undefined;
}

const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** Whether `name` occurs in `text` with no name character right before or after it. */
function containsName(text: string, name: string): boolean {
    if (name === "") return false;
    for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
        const before = at === 0 ? "" : text[at - 1];
        const after = text[at + name.length] ?? "";
        if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return true;
    }
    return false;
}
