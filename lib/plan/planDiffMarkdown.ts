/** The Markdown of a plan diff, for the pull-request summary and `npm run plan-diff`. Pure. */
import { compareOrdinal } from "../canonical";
import { type PlanDiff, type ResourceKey, showValue, type ValueChange } from "./planDiff";

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
            out.push(`+ ${where}: ${showValue(c.new)}`);
        } else if (c.kind === "removed") {
            out.push(`- ${where}: ${showValue(c.old)}`);
        } else {
            out.push(`~ ${where}: ${showValue(c.old)} → ${showValue(c.new)}`);
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
            const opts = Object.keys(r.options ?? {}).sort(compareOrdinal);
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
