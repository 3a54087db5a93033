/**
 * What a reviewer reads first about a change to one stack: per image whether it rebuilds and
 * why (files added, removed or changed with their size change; requirement lines; settings by
 * their names; the base image), what will run in what order and what each build uploads, and
 * the other resources whose change is more than a hash that follows from the builds. Computed
 * from two plans (their `builds` and `settings` sections) and their resource diff. Pure.
 */
import { compareOrdinal } from "../canonical";
import { type BuildKind, type FileFact, manifestFiles, type PlannedBuild } from "./buildInputs";
import type { Plan, PlannedResource } from "./offlinePlan";
import type { ChangedResource, PlanDiff, ResourceKey, ValueChange } from "./planDiff";

export type Change<T> = { kind: "added"; new: T } | { kind: "removed"; old: T } | { kind: "changed"; old: T; new: T };

/** A context file that differs between the plans, by its path in the context. */
export type FileChange = { path: string } & Change<FileFact>;

/** A requirement line that differs, in one requirements file; `changed` pairs lines of one package. */
export type RequirementChange = { file: string } & Change<string>;

/** A setting whose effective value differs, by its key (`runtime.aptPackages`, `application.labels.email`). */
export type SettingChange = { key: string } & Change<unknown>;

export type ImageStatus = "builds" | "rebuilds" | "unchanged" | "removed";

/** One image build of the stack and why it runs. */
export interface ImageSummary {
    /** The build command. */
    resource: ResourceKey;
    kind: BuildKind;
    image: string;
    status: ImageStatus;
    /** The new plan's record of the build (none when the build is removed). */
    build?: PlannedBuild;
    files: FileChange[];
    requirements: RequirementChange[];
    settings: SettingChange[];
    /**
     * The base image changed (not the runtime this stack builds: that is `fromNewRuntime`): what the
     * build goes FROM (a digest reference), and the tag each was resolved from, when it was.
     */
    base?: { old: string; new: string; oldTag?: string; newTag?: string };
    /** An application built FROM a runtime this stack rebuilds. */
    fromNewRuntime: boolean;
    /** Lines of the Dockerfile removed and added. */
    dockerfile?: { removed: number; added: number };
    /** Build args other than `from` that changed (git facts). */
    buildArgs: string[];
    /** Labels whose value changed (a new revision or creation time, a setting's label). */
    labels: string[];
    /** Anything else that explains a rebuild, as text. */
    other: string[];
    /** The old plan has no record of what the build read (a plan from before `builds`). */
    unrecorded: boolean;
}

export type BakeStatus = "bakes" | "re-bakes" | "unchanged" | "removed";

/** The Fireworker disk image bake. */
export interface BakeSummary {
    resource: ResourceKey;
    family: string;
    status: BakeStatus;
    /** It bakes a runtime this stack rebuilds. */
    newRuntime: boolean;
    settings: SettingChange[];
    /** Its config changed beyond the runtime it preloads (scripts, image settings). */
    configChanged: boolean;
}

/** A resource that is neither a build nor a bake, changed beyond hashes that follow the builds. */
export interface OtherChange {
    resource: ResourceKey;
    /** Paths of its changed inputs and options. */
    paths: string[];
}

export interface StackSummary {
    stack: string;
    status: PlanDiff["status"];
    images: ImageSummary[];
    bakes: BakeSummary[];
    /** Changed settings no image or bake of the stack takes. */
    settings: SettingChange[];
    /** False when either plan has no `settings` section. */
    settingsRecorded: boolean;
    added: ResourceKey[];
    removed: ResourceKey[];
    changed: OtherChange[];
    /** Changed resources whose every change is a hash that follows the builds (content tags, digests). */
    followers: ResourceKey[];
}

const COMMAND = "command:local:Command";

function env(r: PlannedResource | undefined): Record<string, unknown> {
    const e = r?.inputs?.environment;
    return e !== null && typeof e === "object" ? (e as Record<string, unknown>) : {};
}

const isBuild = (r: PlannedResource) => r.type === COMMAND && env(r).FW_BUILDER !== undefined;
const isBake = (r: PlannedResource) => r.type === COMMAND && env(r).FW_BAKE_IMAGE !== undefined;

function keyOf(r: ResourceKey): string {
    return JSON.stringify([r.type, r.name, r.parent ?? null]);
}

function sameKey(a: ResourceKey, b: ResourceKey): boolean {
    return keyOf(a) === keyOf(b);
}

/** Runs of 12 or more hex digits: content tags, digests, hashes. */
const HEX_RUN = /[0-9a-f]{12,}/g;

/** Whether a change only swaps hashes (content tags, digests, hashed names): it follows from what they hash. */
export function isHashOnly(c: ValueChange): boolean {
    if (c.kind !== "changed") return false;
    const norm = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v)).replace(HEX_RUN, "#");
    return norm(c.old) === norm(c.new);
}

/** The files added, removed or changed between two build records, sorted by path. */
export function fileChanges(old: PlannedBuild, next: PlannedBuild): FileChange[] {
    const a = manifestFiles(old.context);
    const b = manifestFiles(next.context);
    const out: FileChange[] = [];
    for (const path of [...new Set([...a.keys(), ...b.keys()])].sort(compareOrdinal)) {
        const before = a.get(path);
        const after = b.get(path);
        if (!before && after) out.push({ path, kind: "added", new: after });
        else if (before && !after) out.push({ path, kind: "removed", old: before });
        else if (before && after && (before.hash !== after.hash || before.flag !== after.flag))
            out.push({ path, kind: "changed", old: before, new: after });
    }
    return out;
}

/** The package a requirement line names (PEP 503 normalized), or undefined for options and URLs. */
export function requirementName(line: string): string | undefined {
    if (line.startsWith("-") || /^[a-z][a-z0-9+.-]*:\/\//i.test(line)) return undefined;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
    return m ? m[1].toLowerCase().replace(/[-_.]+/g, "-") : undefined;
}

/** Requirement lines added, removed or changed (same package, another line), per file. */
export function requirementChanges(
    old: PlannedBuild["requirements"] = [],
    next: PlannedBuild["requirements"] = [],
): RequirementChange[] {
    const out: RequirementChange[] = [];
    const files = [...new Set([...old.map((r) => r.file), ...next.map((r) => r.file)])].sort(compareOrdinal);
    for (const file of files) {
        const a = old.find((r) => r.file === file)?.lines ?? [];
        const b = next.find((r) => r.file === file)?.lines ?? [];
        const gone = a.filter((l) => !b.includes(l));
        const come = b.filter((l) => !a.includes(l));
        const changed = new Map<string, string>();
        for (const l of gone) {
            const name = requirementName(l);
            const match = name
                ? come.find((n) => requirementName(n) === name && ![...changed.values()].includes(n))
                : undefined;
            if (match) changed.set(l, match);
        }
        // in the new file's order, then what was removed in the old file's order
        for (const l of come) {
            const from = [...changed].find(([, to]) => to === l)?.[0];
            out.push(
                from === undefined ? { file, kind: "added", new: l } : { file, kind: "changed", old: from, new: l },
            );
        }
        for (const l of gone) if (!changed.has(l)) out.push({ file, kind: "removed", old: l });
    }
    return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Settings that differ, by key; an object-valued setting (labels) by each of its keys. */
export function settingChanges(old: Record<string, unknown>, next: Record<string, unknown>): SettingChange[] {
    const out: SettingChange[] = [];
    const walk = (key: string, a: unknown, b: unknown, depth: number) => {
        if (JSON.stringify(a) === JSON.stringify(b)) return;
        if (depth === 0 && isPlainObject(a) && isPlainObject(b)) {
            for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareOrdinal)) {
                walk(`${key}.${k}`, a[k], b[k], depth + 1);
            }
        } else if (a === undefined) out.push({ key, kind: "added", new: b });
        else if (b === undefined) out.push({ key, kind: "removed", old: a });
        else out.push({ key, kind: "changed", old: a, new: b });
    };
    for (const k of [...new Set([...Object.keys(old), ...Object.keys(next)])].sort(compareOrdinal)) {
        walk(k, old[k], next[k], 0);
    }
    return out;
}

function buildOf(plan: Plan | null, r: ResourceKey): PlannedBuild | undefined {
    return plan?.builds?.find((b) => b.name === r.name && (b.parent ?? null) === (r.parent ?? null));
}

/** A label's name from the rest of its path: `.name` or `["a.b"]`. */
function labelName(rest: string): string {
    if (rest === "") return "all labels";
    if (rest.startsWith(".")) return rest.slice(1);
    try {
        const parsed: unknown = JSON.parse(rest.replace(/^\[(.*)\]$/, "$1"));
        return typeof parsed === "string" ? parsed : rest;
    } catch {
        return rest;
    }
}

/** An old plan's build kind when it has no record: the component's name. */
function guessKind(r: ResourceKey): BuildKind {
    return r.parent === "runtime" ? "runtime" : r.parent === "application" ? "application" : "image";
}

/** The tag a build's `from` was resolved from (its record's `base`, or the command's FW_BASE). */
function buildBaseTag(r: PlannedResource | undefined, b: PlannedBuild | undefined): string | undefined {
    if (b) return b.base;
    const tag = env(r).FW_BASE;
    return typeof tag === "string" ? tag : undefined;
}

function buildFrom(r: PlannedResource | undefined, b: PlannedBuild | undefined): string | undefined {
    if (b) return b.from;
    const raw = env(r).FW_BUILD_ARGS;
    if (typeof raw !== "string") return undefined;
    try {
        return (JSON.parse(raw) as Record<string, string>).from;
    } catch {
        return undefined;
    }
}

const KIND_ORDER: Record<BuildKind, number> = { runtime: 0, application: 1, image: 2 };

/** The summary of one stack's change, from its two plans (either may be null) and their diff. */
export function summarizePlans(old: Plan | null, next: Plan | null, diff: PlanDiff): StackSummary {
    const before = old?.resources ?? [];
    const after = next?.resources ?? [];
    const find = (list: PlannedResource[], k: ResourceKey) => list.find((r) => sameKey(r, k));
    const changedOf = (k: ResourceKey): ChangedResource | undefined => diff.changed.find((c) => sameKey(c, k));
    const keys = (pick: (r: PlannedResource) => boolean): ResourceKey[] => {
        const seen = new Map<string, ResourceKey>();
        for (const r of [...after, ...before].filter(pick)) {
            seen.set(keyOf(r), { type: r.type, name: r.name, parent: r.parent ?? null });
        }
        return [...seen.values()];
    };
    const statusOf = (k: ResourceKey) => {
        if (!find(before, k)) return "new";
        if (!find(after, k)) return "removed";
        return changedOf(k)?.inputs.some((c) => c.path.startsWith("triggers")) ? "changed" : "unchanged";
    };
    const settingsRecorded = old?.settings !== undefined && next?.settings !== undefined;
    const settings = settingsRecorded ? settingChanges(old?.settings ?? {}, next?.settings ?? {}) : [];
    const claimed = new Set<string>();
    const take = (prefix: string) =>
        settings.filter((s) => {
            if (!s.key.startsWith(prefix)) return false;
            claimed.add(s.key);
            return true;
        });

    const images: ImageSummary[] = keys(isBuild).map((k) => {
        const o = find(before, k);
        const n = find(after, k);
        const ob = buildOf(old, k);
        const nb = buildOf(next, k);
        const s = statusOf(k);
        const status: ImageStatus =
            s === "new" ? "builds" : s === "removed" ? "removed" : s === "changed" ? "rebuilds" : "unchanged";
        return {
            resource: k,
            kind: nb?.kind ?? ob?.kind ?? guessKind(k),
            image: nb?.image ?? ob?.image ?? String(env(n ?? o).FW_IMAGE ?? ""),
            status,
            build: nb,
            files: ob && nb ? fileChanges(ob, nb) : [],
            requirements: ob && nb ? requirementChanges(ob.requirements, nb.requirements) : [],
            settings: [],
            fromNewRuntime: false,
            buildArgs: [],
            labels: [],
            other: [],
            unrecorded: o !== undefined && n !== undefined && (!ob || !nb),
        };
    });
    images.sort(
        (a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || compareOrdinal(keyOf(a.resource), keyOf(b.resource)),
    );
    const runtimeRebuilds = images.some(
        (i) => i.kind === "runtime" && (i.status === "rebuilds" || i.status === "builds"),
    );

    for (const img of images) {
        if (img.kind !== "image") img.settings = take(`${img.kind}.`);
        if (img.status === "removed" || img.status === "builds") continue;
        const o = find(before, img.resource);
        const n = find(after, img.resource);
        const oldFrom = buildFrom(o, buildOf(old, img.resource));
        const newFrom = buildFrom(n, img.build);
        if (oldFrom !== undefined && newFrom !== undefined && oldFrom !== newFrom) {
            if (img.kind === "application" && runtimeRebuilds) img.fromNewRuntime = true;
            else {
                const oldTag = buildBaseTag(o, buildOf(old, img.resource));
                const newTag = buildBaseTag(n, img.build);
                img.base = {
                    old: oldFrom,
                    new: newFrom,
                    ...(oldTag !== undefined ? { oldTag } : {}),
                    ...(newTag !== undefined ? { newTag } : {}),
                };
            }
        }
        if (img.base && img.kind === "runtime") {
            // the base image line says it; the setting would say it again
            const shown = [img.base.new, img.base.newTag];
            img.settings = img.settings.filter(
                (s) => !(s.key === "runtime.base" && s.kind === "changed" && shown.includes(s.new as string)),
            );
        }
        const changes = changedOf(img.resource)?.inputs ?? [];
        const dockerfile = changes.find((c) => c.path === "environment.FW_DOCKERFILE");
        if (dockerfile) {
            const lines = dockerfile.lines ?? [];
            img.dockerfile = {
                removed: lines.filter((l) => l.op === "-").length,
                added: lines.filter((l) => l.op === "+").length,
            };
        }
        const argPrefix = "environment.FW_BUILD_ARGS<json>.";
        img.buildArgs = changes
            .filter((c) => c.path.startsWith(argPrefix) && c.path !== `${argPrefix}from`)
            .map((c) => c.path.slice(argPrefix.length));
        const labelPrefix = "environment.FW_LABELS<json>";
        img.labels = changes
            .filter((c) => c.path.startsWith(labelPrefix))
            .map((c) => labelName(c.path.slice(labelPrefix.length)));
        const image = changes.find((c) => c.path === "environment.FW_IMAGE");
        if (image) img.other.push(`image ${JSON.stringify(image.old)} → ${JSON.stringify(image.new)}`);
        const explained =
            img.files.length ||
            img.requirements.length ||
            img.settings.length ||
            img.base ||
            img.fromNewRuntime ||
            img.dockerfile ||
            img.buildArgs.length ||
            img.labels.length ||
            img.other.length;
        if (img.status === "rebuilds" && !explained) {
            img.other.push(
                img.unrecorded
                    ? "its inputs changed (the old plan records no file list; see the full diff)"
                    : "its inputs changed outside its files and settings (see the full diff)",
            );
        }
    }

    const bakes: BakeSummary[] = keys(isBake).map((k) => {
        const s = statusOf(k);
        const changes = changedOf(k)?.inputs ?? [];
        return {
            resource: k,
            family: String(env(find(after, k) ?? find(before, k)).FW_BAKE_FAMILY ?? ""),
            status: s === "new" ? "bakes" : s === "removed" ? "removed" : s === "changed" ? "re-bakes" : "unchanged",
            newRuntime: runtimeRebuilds && s === "changed",
            settings: take("fireworker."),
            configChanged: changes.some((c) => c.path === "environment.FW_BAKE_CONFIG" && !isHashOnly(c)),
        };
    });

    const covered = (r: ResourceKey) =>
        r.type.startsWith("fireworker-images:") || [...images, ...bakes].some((x) => sameKey(x.resource, r));
    const changed: OtherChange[] = [];
    const followers: ResourceKey[] = [];
    // a runtime trigger's base tag follows the runtime's base line, which shows it already
    const baseTags = new Set(images.map((i) => i.base?.newTag).filter((t) => t !== undefined));
    const follows = (v: ValueChange) =>
        isHashOnly(v) || (v.path === "build.substitutions._BASE_TAG" && baseTags.has(v.new as string));
    for (const c of diff.changed.filter((r) => !covered(r))) {
        const paths = [...c.inputs, ...c.options].filter((v) => !follows(v)).map((v) => v.path);
        const key = { type: c.type, name: c.name, parent: c.parent };
        if (paths.length) changed.push({ resource: key, paths });
        else followers.push(key);
    }
    return {
        stack: diff.stack,
        status: diff.status,
        images,
        bakes,
        settings: settings.filter((s) => !claimed.has(s.key)),
        settingsRecorded,
        added: diff.added.filter((r) => !covered(r)).map((r) => ({ type: r.type, name: r.name, parent: r.parent })),
        removed: diff.removed.filter((r) => !covered(r)),
        changed,
        followers,
    };
}
