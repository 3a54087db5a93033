/**
 * Checks that no single setting's schema can make: settings a kind of stack does not use (they
 * would do nothing there, so they are refused), and settings that must agree with each other.
 * Each problem is one line. Pure.
 */

import { IMAGE_HASH_LENGTH, MAX_FAMILY_LENGTH, MIN_DISK_SIZE_GB } from "../bake/imageName";
import { MASK, show } from "../errors";
import { literalBranch } from "../triggers/triggerBuild";
import { NAMESPACE, type ParsedSettings } from "./schema";
import type { GcpSettings, StackKind } from "./types";

/** A setting only some kinds of stack use, and why. */
interface KindRule {
    key: string;
    kinds: readonly StackKind[];
    why: string;
}

const CLOUD: readonly StackKind[] = ["team", "developer"];

/** Settings that would do nothing in other kinds of stack. */
export const KIND_RULES: readonly KindRule[] = [
    { key: "developer", kinds: ["developer"], why: "it names a developer's own images" },
    { key: "teamStack", kinds: ["developer"], why: "it is the team stack a developer stack reads" },
    { key: "registry.location", kinds: CLOUD, why: "a local stack uses no Artifact Registry" },
    { key: "registry.teamRepository", kinds: CLOUD, why: "a local stack uses no Artifact Registry" },
    { key: "registry.developerRepository", kinds: CLOUD, why: "a local stack uses no Artifact Registry" },
    { key: "registry.developers", kinds: ["team"], why: "the team stack grants developers their access" },
    { key: "registry.cleanupPolicies", kinds: ["team"], why: "the team stack owns the developer repository" },
    { key: "registry.localHost", kinds: ["local"], why: "cloud stacks push to Artifact Registry" },
    { key: "runtime.experimental", kinds: ["developer"], why: "it gives a developer a runtime of their own" },
    {
        key: "application.friendlyTag",
        kinds: ["developer", "local"],
        why: "team images get only their content tag; the team repository's tags are immutable",
    },
    { key: "triggers", kinds: ["team"], why: "the team stack's triggers build the team images" },
    { key: "fireworker", kinds: CLOUD, why: "baking needs Google Compute Engine" },
    { key: "cloudBuild", kinds: CLOUD, why: "a local stack builds on the local Docker engine" },
];

function kindsText(kinds: readonly StackKind[]): string {
    return kinds.length === 1 ? kinds[0] : `${kinds.slice(0, -1).join(", ")} and ${kinds[kinds.length - 1]}`;
}

/** One line per setting present in the stack file that its kind of stack does not use. */
export function kindLines(input: Record<string, unknown>, mode: StackKind): string[] {
    const lines: string[] = [];
    for (const rule of KIND_RULES) {
        if (rule.kinds.includes(mode)) {
            continue;
        }
        const [top, nested] = rule.key.split(".");
        const parent = input[top];
        const value =
            nested === undefined
                ? parent
                : parent !== null && typeof parent === "object"
                  ? (parent as Record<string, unknown>)[nested]
                  : undefined;
        if (value !== undefined) {
            lines.push(
                `${NAMESPACE}:${rule.key}: ${show(value)} is only for ${kindsText(rule.kinds)} stacks; remove it from this ${mode} stack (${rule.why})`,
            );
        }
    }
    return lines;
}

/** Settings that must agree with each other (or with gcp:region, or the developer id). */
export function crossCheckLines(
    s: ParsedSettings,
    gcp: GcpSettings | undefined,
    developer?: string,
    isSecret: (top: string) => boolean = () => false,
): string[] {
    const lines: string[] = [];
    // a secret setting's value is never shown
    const shown = (top: string, value: unknown) => (isSecret(top) ? MASK : show(value));
    // (the branch is checked as RE2 by the schema)
    if (s.mode === "team") {
        if (s.triggers.nightlySchedule !== undefined && literalBranch(s.triggers.branch) === undefined) {
            lines.push(
                `${NAMESPACE}:triggers.branch: ${shown("triggers", s.triggers.branch)} matches more than one branch; the nightly build (triggers.nightlySchedule) builds the head of one branch, so use a literal one such as ^main$`,
            );
        }
    }
    if (
        gcp &&
        s.registry.location &&
        s.registry.location !== gcp.region &&
        !isMultiRegionOf(s.registry.location, gcp.region)
    ) {
        lines.push(
            `${NAMESPACE}:registry.location: ${shown("registry", s.registry.location)} does not contain gcp:region ${show(gcp.region)}; use the region itself or its multi-region (${gcp.region.split("-")[0]})`,
        );
    }
    if (s.mode === "local") {
        return lines; // nothing else a local stack uses depends on another setting
    }
    if (s.registry.teamRepository === s.registry.developerRepository) {
        lines.push(
            `${NAMESPACE}:registry.developerRepository: ${shown("registry", s.registry.developerRepository)} is also registry.teamRepository; use another id (the team repository's tags are immutable, developers' images need moving tags)`,
        );
    }
    if (gcp && s.fireworker.zone && !s.fireworker.zone.startsWith(`${gcp.region}-`)) {
        lines.push(
            `${NAMESPACE}:fireworker.zone: ${shown("fireworker", s.fireworker.zone)} is not in gcp:region ${show(gcp.region)}; use a zone such as ${gcp.region}-b`,
        );
    }
    if (s.mode === "developer" && s.fireworker.enabled && !s.runtime.experimental) {
        lines.push(
            `${NAMESPACE}:fireworker.enabled: true needs runtime.experimental: true in a developer stack (the team stack bakes the team runtime)`,
        );
    }
    if (s.fireworker.diskSizeGb < MIN_DISK_SIZE_GB) {
        lines.push(
            `${NAMESPACE}:fireworker.diskSizeGb: ${s.fireworker.diskSizeGb} is smaller than the images it must hold (the source disk image alone takes ${MIN_DISK_SIZE_GB} GB, the preloaded runtime comes on top); use at least ${MIN_DISK_SIZE_GB}`,
        );
    }
    // image names are <family>-<hash>; a developer's family is <family>-<id>
    const bakedFamily = developerFamily(s, developer) ?? s.fireworker.family;
    if (bakedFamily.length > MAX_FAMILY_LENGTH) {
        const what =
            bakedFamily === s.fireworker.family ? "" : ` gives the family ${shown("fireworker", bakedFamily)}, which`;
        lines.push(
            `${NAMESPACE}:fireworker.family: ${shown("fireworker", s.fireworker.family)}${what} is too long for image names (<family>-<${IMAGE_HASH_LENGTH} hex>, at most 63 characters); use at most ${MAX_FAMILY_LENGTH} characters in all`,
        );
    }
    return lines;
}

/** Settings a rendered Dockerfile uses, which do nothing with a brought one. */
const RENDERED_ONLY = {
    runtime: ["requirements", "aptPackages", "writableDirs", "env", "pipSteps", "wheelhouse"],
    application: ["workdir", "cmd", "env", "run"],
} as const;

/**
 * With a brought Dockerfile, settings that only shape the rendered one would do nothing: each
 * present in the stack file is one line. `runtime.context` is the reverse: only a brought
 * runtime Dockerfile has a context of its own.
 */
export function broughtDockerfileLines(input: Record<string, unknown>, s: ParsedSettings): string[] {
    const lines: string[] = [];
    for (const part of ["runtime", "application"] as const) {
        const raw = input[part];
        const given = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
        const dockerfile = s[part].dockerfile;
        if (dockerfile === undefined) {
            if (part === "runtime" && given.context !== undefined) {
                lines.push(
                    `${NAMESPACE}:runtime.context: ${show(given.context)} is only for a brought runtime.dockerfile; the rendered runtime's context is its requirements`,
                );
            }
            continue;
        }
        for (const key of RENDERED_ONLY[part]) {
            if (given[key] !== undefined) {
                lines.push(
                    `${NAMESPACE}:${part}.${key}: ${show(given[key])} does nothing with ${part}.dockerfile (${dockerfile} is used as it is); remove it, or do it in that Dockerfile`,
                );
            }
        }
    }
    return lines;
}

/** A developer's bake goes to its own family `<family>-<id>`. */
export function developerFamily(s: ParsedSettings, developer: string | undefined): string | undefined {
    return s.mode === "developer" && s.fireworker.enabled && developer
        ? `${s.fireworker.family}-${developer}`
        : undefined;
}

/** `us`, `europe` and `asia` multi-regions hold their regions (`us-central1` is in `us`). */
function isMultiRegionOf(location: string, region: string): boolean {
    const multi: Record<string, string[]> = { us: ["us", "northamerica"], europe: ["europe"], asia: ["asia"] };
    return (multi[location] ?? []).some((prefix) => region.startsWith(`${prefix}-`));
}
