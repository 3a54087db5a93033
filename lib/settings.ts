/**
 * Loads every setting of a stack from Pulumi's flat config map, applies defaults, validates
 * everything before any resource is declared, and reports each problem as one line:
 * `<full key>: <value> <what is wrong and what is allowed>`.
 */
import { closest } from "fastest-levenshtein";
import { z } from "zod";
import { IMAGE_HASH_LENGTH, MAX_FAMILY_LENGTH, MIN_DISK_SIZE_GB } from "./bake";
import { SettingsError, show } from "./errors";
import { makeSchema, NAME_PATTERN, NAMESPACE, OBJECT_KEYS, ParsedSettings, SIMPLE_KEYS } from "./schema";

export type Mode = "team" | "developer" | "local";

export interface GcpSettings {
    project: string;
    region: string;
}

export interface CleanupPolicy {
    id: string;
    action: "DELETE" | "KEEP";
    tagState?: "TAGGED" | "UNTAGGED" | "ANY";
    tagPrefixes?: string[];
    packageNamePrefixes?: string[];
    olderThanDays?: number;
    keepCount?: number;
}

/** Every setting of a stack, validated, with defaults applied. */
export interface Settings extends Omit<ParsedSettings, "registry" | "developer" | "fireworker" | "cloudBuild"> {
    stack: string;
    /** The developer id (developer stacks only). */
    developer?: string;
    /** Google settings; undefined in `local` stacks. */
    gcp?: GcpSettings;
    registry: Omit<ParsedSettings["registry"], "location" | "cleanupPolicies"> & {
        location?: string;
        cleanupPolicies: CleanupPolicy[];
    };
    fireworker: Omit<ParsedSettings["fireworker"], "enabled" | "zone"> & { enabled: boolean; zone?: string };
    cloudBuild: { region?: string };
}

/** Input of `loadSettings`: Pulumi's config map (`ns:key` to string) and where we run. */
export interface LoadContext {
    stack: string;
    projectRoot: string;
}

export const DEFAULT_CLEANUP_POLICIES: CleanupPolicy[] = [
    { id: "delete-untagged", action: "DELETE", tagState: "UNTAGGED", olderThanDays: 7 },
    { id: "delete-old", action: "DELETE", tagState: "ANY", olderThanDays: 30 },
    { id: "keep-recent", action: "KEEP", keepCount: 5 },
];

const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z]+-[a-z]+\d+$/;

export function loadSettings(config: Record<string, string>, ctx: LoadContext): Settings {
    const lines: string[] = [];
    const input: Record<string, unknown> = {};
    const schema = makeSchema({ projectRoot: ctx.projectRoot });
    const topKeys = Object.keys(schema.shape);

    for (const [fullKey, raw] of Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== NAMESPACE) {
            continue;
        }
        if (!topKeys.includes(key)) {
            lines.push(unknownKeyLine([key], parseOrRaw(raw), topKeys));
            continue;
        }
        if ((OBJECT_KEYS as readonly string[]).includes(key)) {
            try {
                input[key] = JSON.parse(raw);
            } catch {
                lines.push(
                    `${NAMESPACE}:${key}: ${show(raw)} is not an object; write it as a YAML mapping in the stack file`,
                );
            }
        } else if ((SIMPLE_KEYS as readonly string[]).includes(key)) {
            input[key] = raw;
        }
    }
    if (input.mode === undefined) {
        lines.push(`${NAMESPACE}:mode: unset; allowed: team, developer, local`);
    }
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            if (input.mode === undefined && issue.path.length === 1 && issue.path[0] === "mode") {
                continue; // reported above with what is allowed
            }
            lines.push(issueLine(issue, input, schema));
        }
    }
    if (lines.length > 0 || !parsed.success) {
        throw new SettingsError(unique(lines));
    }
    const s = parsed.data;
    const gcp = s.mode === "local" ? undefined : gcpSettings(config, lines);
    const developer = s.mode === "developer" ? developerId(s.developer, ctx.stack, lines) : undefined;
    crossChecks(s, gcp, lines, developer);
    if (lines.length > 0) {
        throw new SettingsError(lines);
    }
    return {
        ...s,
        stack: ctx.stack,
        developer,
        gcp,
        registry: {
            ...s.registry,
            location: s.registry.location ?? gcp?.region,
            cleanupPolicies: s.registry.cleanupPolicies ?? DEFAULT_CLEANUP_POLICIES,
        },
        fireworker: {
            ...s.fireworker,
            enabled: s.fireworker.enabled ?? s.mode === "team",
            zone: s.fireworker.zone ?? (gcp ? `${gcp.region}-b` : undefined),
        },
        cloudBuild: { region: s.cloudBuild.region ?? gcp?.region },
    };
}

function parseOrRaw(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

function gcpSettings(config: Record<string, string>, lines: string[]): GcpSettings | undefined {
    const project = config["gcp:project"];
    const region = config["gcp:region"];
    if (project === undefined) {
        lines.push(
            `gcp:project: unset; team and developer stacks need a Google Cloud project id (pulumi config set gcp:project PROJECT_ID)`,
        );
    } else if (!PROJECT_PATTERN.test(project)) {
        lines.push(
            `gcp:project: ${show(project)} is not a project id; allowed: 6 to 30 lowercase letters, digits and dashes, starting with a letter`,
        );
    }
    if (region === undefined) {
        lines.push(
            `gcp:region: unset; team and developer stacks need a region such as us-central1 (pulumi config set gcp:region REGION)`,
        );
    } else if (!REGION_PATTERN.test(region)) {
        lines.push(`gcp:region: ${show(region)} is not a region; use one such as us-central1 or europe-west4`);
    }
    return project !== undefined && region !== undefined ? { project, region } : undefined;
}

function developerId(configured: string | undefined, stack: string, lines: string[]): string | undefined {
    if (configured !== undefined) {
        return configured;
    }
    const m = /^dev-(.+)$/.exec(stack);
    if (m && NAME_PATTERN.test(m[1]) && m[1].length <= 30) {
        return m[1];
    }
    lines.push(
        `${NAMESPACE}:developer: unset and the stack name ${show(stack)} is not dev-<id> with a valid id; set it to lowercase letters, digits and single dashes`,
    );
    return undefined;
}

function crossChecks(s: ParsedSettings, gcp: GcpSettings | undefined, lines: string[], developer?: string): void {
    try {
        new RegExp(s.triggers.branch);
    } catch {
        lines.push(`${NAMESPACE}:triggers.branch: ${show(s.triggers.branch)} is not a valid regular expression`);
    }
    if (
        gcp &&
        s.registry.location &&
        s.registry.location !== gcp.region &&
        !isMultiRegionOf(s.registry.location, gcp.region)
    ) {
        lines.push(
            `${NAMESPACE}:registry.location: ${show(s.registry.location)} does not contain gcp:region ${show(gcp.region)}; use the region itself or its multi-region (${gcp.region.split("-")[0]})`,
        );
    }
    if (gcp && s.fireworker.zone && !s.fireworker.zone.startsWith(`${gcp.region}-`)) {
        lines.push(
            `${NAMESPACE}:fireworker.zone: ${show(s.fireworker.zone)} is not in gcp:region ${show(gcp.region)}; use a zone such as ${gcp.region}-b`,
        );
    }
    if (s.registry.localHost !== undefined && s.mode !== "local") {
        lines.push(
            `${NAMESPACE}:registry.localHost: ${show(s.registry.localHost)} is only for local stacks; remove it (cloud stacks push to Artifact Registry)`,
        );
    }
    if (s.mode === "developer" && s.fireworker.enabled && !s.runtime.experimental) {
        lines.push(
            `${NAMESPACE}:fireworker.enabled: true needs runtime.experimental: true in a developer stack (the team stack bakes the team runtime)`,
        );
    }
    if (s.mode === "local" && s.fireworker.enabled) {
        lines.push(
            `${NAMESPACE}:fireworker.enabled: true is not possible in a local stack (baking needs Google Compute Engine)`,
        );
    }
    if (s.fireworker.diskSizeGb < MIN_DISK_SIZE_GB) {
        lines.push(
            `${NAMESPACE}:fireworker.diskSizeGb: ${s.fireworker.diskSizeGb} is smaller than the images it must hold (the source disk image alone takes ${MIN_DISK_SIZE_GB} GB, the preloaded runtime comes on top); use at least ${MIN_DISK_SIZE_GB}`,
        );
    }
    // image names are <family>-<hash>; a developer's family is <family>-<id>
    const bakedFamily =
        s.mode === "developer" && s.fireworker.enabled && developer
            ? `${s.fireworker.family}-${developer}`
            : s.fireworker.family;
    if (bakedFamily.length > MAX_FAMILY_LENGTH) {
        const what = bakedFamily === s.fireworker.family ? "" : ` gives the family ${show(bakedFamily)}, which`;
        lines.push(
            `${NAMESPACE}:fireworker.family: ${show(s.fireworker.family)}${what} is too long for image names (<family>-<${IMAGE_HASH_LENGTH} hex>, at most 63 characters); use at most ${MAX_FAMILY_LENGTH} characters in all`,
        );
    }
}

/** `us`, `europe` and `asia` multi-regions hold their regions (`us-central1` is in `us`). */
function isMultiRegionOf(location: string, region: string): boolean {
    const multi: Record<string, string[]> = { us: ["us", "northamerica"], europe: ["europe"], asia: ["asia"] };
    return (multi[location] ?? []).some((prefix) => region.startsWith(`${prefix}-`));
}

type Issue = z.core.$ZodIssue;

function issueLine(issue: Issue, input: Record<string, unknown>, schema: ReturnType<typeof makeSchema>): string {
    const pathParts = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)));
    if (issue.code === "unrecognized_keys") {
        const keys = issue.keys;
        const parent = issue.path as (string | number)[];
        const allowed = allowedKeysAt(schema, parent);
        return keys.map((k) => unknownKeyLine([...pathParts, k], valueAt(input, [...parent, k]), allowed)).join("\n");
    }
    const key = `${NAMESPACE}:${joinPath(pathParts)}`;
    const value = valueAt(input, issue.path as (string | number)[]);
    return `${key}: ${show(value)} ${describe(issue)}`;
}

function describe(issue: Issue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.message.startsWith("Invalid") ? `must be of type ${issue.expected}` : issue.message;
        case "too_big":
            return issue.message.startsWith("Too big") ? `is too large; at most ${issue.maximum}` : issue.message;
        case "too_small":
            return issue.message.startsWith("Too small") ? `is too small; at least ${issue.minimum}` : issue.message;
        default:
            return issue.message;
    }
}

function unknownKeyLine(pathParts: string[], value: unknown, allowed: string[]): string {
    const last = pathParts[pathParts.length - 1];
    const prefix = pathParts.slice(0, -1);
    const guess = allowed.length > 0 ? closest(last, allowed) : undefined;
    const where = prefix.length > 0 ? ` under ${NAMESPACE}:${joinPath(prefix)}` : "";
    const hint = guess ? `did you mean ${NAMESPACE}:${joinPath([...prefix, guess])}? ` : "";
    return `${NAMESPACE}:${joinPath(pathParts)}: ${show(value)} is not a known setting; ${hint}known${where}: ${allowed.join(", ")}`;
}

function joinPath(parts: string[]): string {
    return parts.map((p, i) => (p.startsWith("[") || i === 0 ? p : `.${p}`)).join("");
}

function valueAt(root: unknown, p: (string | number)[]): unknown {
    let cur: unknown = root;
    for (const k of p) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string | number, unknown>)[k];
    }
    return cur;
}

/** The keys an object in the schema accepts at `p`, for "did you mean" hints. */
function allowedKeysAt(schema: z.ZodType, p: (string | number)[]): string[] {
    let cur: z.ZodType | undefined = schema;
    for (const k of [...p, undefined]) {
        cur = unwrap(cur);
        if (k === undefined) {
            break;
        }
        if (cur instanceof z.ZodObject) {
            cur = (cur.shape as Record<string, z.ZodType>)[String(k)];
        } else if (cur instanceof z.ZodArray) {
            cur = cur.element as z.ZodType;
        } else {
            return [];
        }
    }
    return cur instanceof z.ZodObject ? Object.keys(cur.shape) : [];
}

function unwrap(t: z.ZodType | undefined): z.ZodType | undefined {
    let cur = t;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault || cur instanceof z.ZodOptional) {
        cur = cur.unwrap() as z.ZodType;
    }
    return cur;
}

function unique(lines: string[]): string[] {
    return [...new Set(lines.flatMap((l) => l.split("\n")))];
}
