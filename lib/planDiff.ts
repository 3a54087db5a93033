/**
 * The difference between two offline plans of one stack, for reviewers: which resources a
 * change adds, removes or changes, and for a changed one each changed input as a path with its
 * old and new value. Long multi-line strings (Dockerfiles, Cloud Build YAML) are shown as a line
 * diff; strings holding JSON (`FW_BUILD_ARGS`) are compared inside. Secrets are masked
 * (lib/mask.ts). Pure and deterministic: the same plans give the same bytes.
 */
import { maskSecrets } from "./mask";
import type { Plan, PlannedResource } from "./offlinePlan";

/** One line of a line diff: kept (" "), removed ("-"), added ("+"), or "…" for skipped kept lines. */
export interface DiffLine {
    op: " " | "-" | "+" | "…";
    text: string;
}

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

/** Lines of kept context shown around each change in a line diff. */
const CONTEXT_LINES = 2;
/** Above this many lines on a side, a line diff shows all old lines removed and all new added. */
const MAX_LCS_LINES = 4000;

function cmp(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function keyOf(r: ResourceKey): string {
    return JSON.stringify([r.type, r.name, r.parent ?? null]);
}

function compareResources(a: ResourceKey, b: ResourceKey): number {
    return cmp(a.type, b.type) || cmp(a.name, b.name) || cmp(a.parent ?? "", b.parent ?? "");
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
    const stack = (b ?? a)!.stack;
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
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(cmp);
        for (const k of keys) {
            diffValues(childPath(path, k), a[k], b[k], out);
        }
        return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        if (a.length !== b.length && a.every(isPrimitive) && b.every(isPrimitive)) {
            // an element inserted or dropped: a line per element reads better than shifted indices
            out.push({ path: label, kind: "changed", old: a, new: b, lines: lineDiff(a.map(show), b.map(show)) });
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

function lines(s: string): string[] {
    return s.split("\n");
}

/** A line diff (longest common subsequence) with CONTEXT_LINES of kept lines around changes. */
export function lineDiff(a: string[], b: string[]): DiffLine[] {
    const full: DiffLine[] = [];
    if (a.length > MAX_LCS_LINES || b.length > MAX_LCS_LINES) {
        full.push(...a.map((text) => ({ op: "-" as const, text })), ...b.map((text) => ({ op: "+" as const, text })));
    } else {
        // suffix LCS lengths: lcs[i][j] for a[i..], b[j..]
        const n = a.length;
        const m = b.length;
        const lcs = new Uint32Array((n + 1) * (m + 1));
        const at = (i: number, j: number) => i * (m + 1) + j;
        for (let i = n - 1; i >= 0; i--) {
            for (let j = m - 1; j >= 0; j--) {
                lcs[at(i, j)] =
                    a[i] === b[j] ? lcs[at(i + 1, j + 1)] + 1 : Math.max(lcs[at(i + 1, j)], lcs[at(i, j + 1)]);
            }
        }
        let i = 0;
        let j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[i] === b[j]) {
                full.push({ op: " ", text: a[i] });
                i++;
                j++;
            } else if (j === m || (i < n && lcs[at(i + 1, j)] >= lcs[at(i, j + 1)])) {
                // removals before additions within a replaced block
                full.push({ op: "-", text: a[i] });
                i++;
            } else {
                full.push({ op: "+", text: b[j] });
                j++;
            }
        }
    }
    // keep CONTEXT_LINES kept lines around each change; fold the rest into "…"
    const near = full.map(() => false);
    full.forEach((l, k) => {
        if (l.op !== " ") {
            for (let d = -CONTEXT_LINES; d <= CONTEXT_LINES; d++) {
                if (k + d >= 0 && k + d < full.length) near[k + d] = true;
            }
        }
    });
    const out: DiffLine[] = [];
    let skipped = 0;
    full.forEach((l, k) => {
        if (near[k]) {
            if (skipped) out.push({ op: "…", text: `${skipped} unchanged line${skipped === 1 ? "" : "s"}` });
            skipped = 0;
            out.push(l);
        } else {
            skipped++;
        }
    });
    if (skipped) out.push({ op: "…", text: `${skipped} unchanged line${skipped === 1 ? "" : "s"}` });
    return out;
}

function show(v: unknown): string {
    return v === undefined ? "(unset)" : JSON.stringify(v);
}

/** `type name (parent)`, the way the diff names a resource. */
export function resourceLabel(r: ResourceKey): string {
    return r.parent ? `${r.type} ${r.name} (${r.parent})` : `${r.type} ${r.name}`;
}

function plural(n: number, word: string): string {
    return `${n} ${word}`;
}

/** The change lines of a list of value changes, for a `diff` code block. */
function changeLines(changes: ValueChange[], suffix = ""): string[] {
    const out: string[] = [];
    for (const c of changes) {
        const where = `${c.path}${suffix}`;
        if (c.lines) {
            const what = c.kind === "added" ? "added" : c.kind === "removed" ? "removed" : "changed";
            out.push(`${c.kind === "added" ? "+" : c.kind === "removed" ? "-" : "~"} ${where}: (${what}, line diff)`);
            for (const l of c.lines) {
                out.push(l.op === "…" ? `  … ${l.text}` : `${l.op}   ${l.text}`.trimEnd());
            }
        } else if (c.kind === "added") {
            out.push(`+ ${where}: ${show(c.new)}`);
        } else if (c.kind === "removed") {
            out.push(`- ${where}: ${show(c.old)}`);
        } else {
            out.push(`~ ${where}: ${show(c.old)} → ${show(c.new)}`);
        }
    }
    return out;
}

/** A fenced code block whose fence no backtick run inside can close. */
function fence(lang: string, body: string[]): string[] {
    const longest = Math.max(0, ...body.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))));
    const f = "`".repeat(Math.max(3, longest + 1));
    return [`${f}${lang}`, ...body, f];
}

/** Inline code that no backtick in `text` can close. */
function code(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
    const f = "`".repeat(longest + 1);
    return longest ? `${f} ${text} ${f}` : `${f}${text}${f}`;
}

/** The readable Markdown of one stack's diff (also plain-text readable). Ends with a newline. */
export function renderDiff(diff: PlanDiff): string {
    const out: string[] = [];
    const counts = [
        diff.added.length ? plural(diff.added.length, "added") : "",
        diff.changed.length ? plural(diff.changed.length, "changed") : "",
        diff.removed.length ? plural(diff.removed.length, "removed") : "",
    ].filter(Boolean);
    const state = diff.status === "added" ? " (new stack)" : diff.status === "removed" ? " (stack removed)" : "";
    const summary =
        counts.length === 0
            ? diff.outputs.length
                ? `no resource changes, ${diff.unchanged} unchanged; outputs changed`
                : `no changes (${diff.unchanged} resources)`
            : `${counts.join(", ")}${diff.unchanged ? `, ${diff.unchanged} unchanged` : ""}`;
    out.push(`## Stack ${code(diff.stack)}${state}: ${summary}`, "");
    if (diff.added.length) {
        out.push(`### Added (${diff.added.length})`, "");
        for (const r of diff.added) {
            const opts = Object.keys(r.options ?? {}).sort(cmp);
            out.push(`- ${code(resourceLabel(r))}${opts.length ? ` (${opts.join(", ")})` : ""}`);
        }
        out.push("");
    }
    if (diff.changed.length) {
        out.push(`### Changed (${diff.changed.length})`, "");
        for (const r of diff.changed) {
            out.push(`- ${code(resourceLabel(r))}`, "");
            const body = [...changeLines(r.inputs), ...changeLines(r.options, " (resource option)")];
            out.push(...fence("diff", body).map((l) => (l ? `  ${l}` : l)), "");
        }
    }
    if (diff.removed.length) {
        out.push(`### Removed (${diff.removed.length})`, "");
        for (const r of diff.removed) {
            out.push(`- ${code(resourceLabel(r))}`);
        }
        out.push("");
    }
    if (diff.outputs.length) {
        const kinds = (["added", "changed", "removed"] as const)
            .map((k) => [diff.outputs.filter((c) => c.kind === k).length, k] as const)
            .filter(([n]) => n > 0)
            .map(([n, k]) => plural(n, k));
        out.push(`### Stack outputs (${kinds.join(", ")})`, "");
        out.push(...fence("diff", changeLines(diff.outputs)), "");
    }
    return `${out.join("\n").trimEnd()}\n`;
}
