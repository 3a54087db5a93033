/**
 * The difference between two offline plans of one stack, for reviewers: which resources a
 * change adds, removes or changes, and for a changed one each changed input as a path with its
 * old and new value. Long multi-line strings (Dockerfiles, Cloud Build YAML) are shown as a line
 * diff; strings holding JSON (`FW_BUILD_ARGS`) are compared inside. Secrets are masked
 * (lib/mask.ts). Pure and deterministic: the same plans give the same bytes.
 */
import { compareOrdinal } from "../canonical";
import { type DiffLine, lineDiff, lines } from "./lineDiff";
import { maskSecrets } from "./mask";
import type { Plan, PlannedResource } from "./offlinePlan";

export interface ValueChange {
    /** `environment.FW_TAGS`, `triggers[0]`, `environment.FW_BUILD_ARGS<json>.from`, ... */
    path: string;
    kind: "added" | "removed" | "changed";
    old?: unknown;
    new?: unknown;
    /** Set for multi-line strings (and primitive lists of changed length): the line diff. */
    lines?: DiffLine[];
}

export interface ResourceKey {
    type: string;
    name: string;
    parent: string | null;
}

export interface ChangedResource extends ResourceKey {
    inputs: ValueChange[];
    /** Changes of the resource options the plan records (protect, retainOnDelete). */
    options: ValueChange[];
}

export interface PlanDiff {
    stack: string;
    /** `added`: the stack is new (no old plan); `removed`: it is gone (no new plan). */
    status: "added" | "removed" | "changed" | "unchanged";
    added: (ResourceKey & { options?: PlannedResource["options"] })[];
    removed: ResourceKey[];
    changed: ChangedResource[];
    /** Resources present in both plans with equal inputs and options. */
    unchanged: number;
    /** Changes of the stack outputs. */
    outputs: ValueChange[];
}

function keyOf(r: ResourceKey): string {
    return JSON.stringify([r.type, r.name, r.parent ?? null]);
}

function compareResources(a: ResourceKey, b: ResourceKey): number {
    return (
        compareOrdinal(a.type, b.type) ||
        compareOrdinal(a.name, b.name) ||
        compareOrdinal(a.parent ?? "", b.parent ?? "")
    );
}

/**
 * Compares two plans of a stack. `old` is null for a stack new in the change, `next` null for a
 * stack the change removes (not both). A resource is identified by type, name and parent, as
 * in its URN: moving it to another parent shows as removed and added.
 */
export function diffPlans(old: Plan | null, next: Plan | null): PlanDiff {
    if (!old && !next) {
        throw new Error("diffPlans: no plan on either side");
    }
    const a = old ? maskSecrets(old) : null;
    const b = next ? maskSecrets(next) : null;
    const stack = b?.stack ?? a?.stack ?? "";
    const before = new Map((a?.resources ?? []).map((r) => [keyOf(r), r]));
    const after = new Map((b?.resources ?? []).map((r) => [keyOf(r), r]));
    const diff: PlanDiff = {
        stack,
        status: !a ? "added" : !b ? "removed" : "unchanged",
        added: [],
        removed: [],
        changed: [],
        unchanged: 0,
        outputs: [],
    };
    for (const [k, r] of after) {
        const prev = before.get(k);
        if (!prev) {
            diff.added.push({
                type: r.type,
                name: r.name,
                parent: r.parent ?? null,
                ...(r.options ? { options: r.options } : {}),
            });
            continue;
        }
        const inputs: ValueChange[] = [];
        diffValues("", prev.inputs ?? {}, r.inputs ?? {}, inputs);
        const options: ValueChange[] = [];
        diffValues("", prev.options ?? {}, r.options ?? {}, options);
        if (inputs.length || options.length) {
            diff.changed.push({ type: r.type, name: r.name, parent: r.parent ?? null, inputs, options });
        } else {
            diff.unchanged++;
        }
    }
    for (const [k, r] of before) {
        if (!after.has(k)) {
            diff.removed.push({ type: r.type, name: r.name, parent: r.parent ?? null });
        }
    }
    diffValues("", a?.outputs ?? {}, b?.outputs ?? {}, diff.outputs);
    diff.added.sort(compareResources);
    diff.removed.sort(compareResources);
    diff.changed.sort(compareResources);
    if (
        diff.status === "unchanged" &&
        (diff.added.length || diff.removed.length || diff.changed.length || diff.outputs.length)
    ) {
        diff.status = "changed";
    }
    return diff;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isPrimitive(v: unknown): boolean {
    return v === null || (typeof v !== "object" && typeof v !== "function");
}

function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (Array.isArray(a) && Array.isArray(b)) {
        return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
    }
    if (isPlainObject(a) && isPlainObject(b)) {
        const ka = Object.keys(a).filter((k) => a[k] !== undefined);
        const kb = Object.keys(b).filter((k) => b[k] !== undefined);
        return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
    }
    return false;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function childPath(path: string, key: string): string {
    if (IDENTIFIER.test(key)) {
        return path ? `${path}.${key}` : key;
    }
    return `${path}[${JSON.stringify(key)}]`;
}

/** A string holding a JSON object or array, parsed; undefined for any other string. */
function parseJsonContainer(s: string): unknown {
    const t = s.trimStart();
    if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
    try {
        const v = JSON.parse(s);
        return v !== null && typeof v === "object" ? v : undefined;
    } catch {
        return undefined;
    }
}

function isMultiline(v: unknown): v is string {
    return typeof v === "string" && v.includes("\n");
}

/** Appends the changes from `a` to `b` under `path` to `out`, in sorted key order. */
function diffValues(path: string, a: unknown, b: unknown, out: ValueChange[]): void {
    if (deepEqual(a, b)) return;
    const label = path || "(value)";
    if (a === undefined) {
        out.push({ path: label, kind: "added", new: b, ...(isMultiline(b) ? { lines: lineDiff([], lines(b)) } : {}) });
        return;
    }
    if (b === undefined) {
        out.push({
            path: label,
            kind: "removed",
            old: a,
            ...(isMultiline(a) ? { lines: lineDiff(lines(a), []) } : {}),
        });
        return;
    }
    if (isPlainObject(a) && isPlainObject(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareOrdinal);
        for (const k of keys) {
            diffValues(childPath(path, k), a[k], b[k], out);
        }
        return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        if (a.length !== b.length && a.every(isPrimitive) && b.every(isPrimitive)) {
            // an element inserted or dropped: a line per element reads better than shifted indices
            out.push({
                path: label,
                kind: "changed",
                old: a,
                new: b,
                lines: lineDiff(a.map(showValue), b.map(showValue)),
            });
            return;
        }
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
            diffValues(`${path}[${i}]`, a[i], b[i], out);
        }
        return;
    }
    if (typeof a === "string" && typeof b === "string") {
        const ja = parseJsonContainer(a);
        const jb = parseJsonContainer(b);
        if (ja !== undefined && jb !== undefined) {
            diffValues(`${path}<json>`, ja, jb, out);
            return;
        }
        if (isMultiline(a) || isMultiline(b)) {
            out.push({ path: label, kind: "changed", old: a, new: b, lines: lineDiff(lines(a), lines(b)) });
            return;
        }
    }
    out.push({ path: label, kind: "changed", old: a, new: b });
}

/** A value as the diff shows it. */
export function showValue(v: unknown): string {
    return v === undefined ? "(unset)" : JSON.stringify(v);
}
