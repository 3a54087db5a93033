/**
 * The Markdown of one stack's plan diff, for the pull-request summary and `npm run plan-diff`:
 * first the summary a reviewer reads (lib/plan/planSummary.ts: what rebuilds and why, what will
 * run and what it uploads), then the full resource diff in a collapsed block, with placeholders
 * (lib/placeholders.ts) marked. Renders on GitHub and reads as plain text. Pure.
 */
import { compareOrdinal } from "../canonical";
import { type Placeholder, placeholderIn } from "../placeholders";
import type { FileFact, PlannedBuild } from "./buildInputs";
import { maskSecrets } from "./mask";
import type { Plan } from "./offlinePlan";
import { diffPlans, type PlanDiff, type ResourceKey, showValue, type ValueChange } from "./planDiff";
import {
    type BakeSummary,
    type FileChange,
    type ImageSummary,
    type RequirementChange,
    type SettingChange,
    type StackSummary,
    summarizePlans,
} from "./planSummary";

/** Items a summary list shows before it points to the full list in the collapsed block. */
export const LIST_LIMIT = 20;

/** `type name (parent)`, the way the diff names a resource. */
export function resourceLabel(r: ResourceKey): string {
    return r.parent ? `${r.type} ${r.name} (${r.parent})` : `${r.type} ${r.name}`;
}

function plural(n: number, word: string, words = `${word}s`): string {
    return `${n} ${n === 1 ? word : words}`;
}

/** Bytes in SI units, as the README's benchmarks: `364 B`, `7.2 kB`, `85.3 MB`. */
export function formatBytes(n: number): string {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let value = Math.abs(n);
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    const text = unit === 0 ? String(value) : value.toFixed(1);
    return `${n < 0 ? "−" : ""}${text} ${units[unit]}`;
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
    return longest || text.startsWith(" ") || text.endsWith(" ") ? `${f} ${text} ${f}` : `${f}${text}${f}`;
}

/** The Markdown of one stack's diff between two plans (either may be null: a new or removed stack). Ends with a newline. */
export function renderPlanDiff(oldPlan: Plan | null, nextPlan: Plan | null): string {
    // secrets never reach a summary, whatever section of a plan holds them
    const old = oldPlan ? maskSecrets(oldPlan) : null;
    const next = nextPlan ? maskSecrets(nextPlan) : null;
    const diff = diffPlans(old, next);
    const summary = summarizePlans(old, next, diff);
    const placeholders = [...(next?.placeholders ?? []), ...(old?.placeholders ?? [])];
    const state = diff.status === "added" ? " (new stack)" : diff.status === "removed" ? " (stack removed)" : "";
    const resources = plural(diff.unchanged + diff.changed.length + diff.added.length, "resource");
    const settingsChanged =
        summary.settings.length > 0 || [...summary.images, ...summary.bakes].some((x) => x.settings.length > 0);
    if (diff.status === "unchanged" && !settingsChanged) {
        return `## Stack ${code(diff.stack)}: no changes (${resources})\n`;
    }
    const out = [`## Stack ${code(diff.stack)}${state}: ${headline(summary, diff)}`, ""];
    if (diff.status !== "removed") {
        out.push(willRun(summary), "");
    }
    const bullets = [
        ...summary.images.flatMap((i) => imageLines(i, summary)),
        ...summary.bakes.flatMap(bakeLines),
        ...otherLines(summary),
    ];
    if (bullets.length) out.push(...bullets, "");
    const notes: string[] = [];
    if (summary.images.some((i) => i.unrecorded) || (old && next && !summary.settingsRecorded)) {
        notes.push(
            "The base plan was made before plans recorded files and settings: the reasons above are partial; the full diff has every change.",
        );
    }
    const details = renderDetails(diff, placeholders, summary);
    if (details.some((l) => l.includes("(placeholder"))) {
        notes.push(
            "Values marked *placeholder* in the full diff are known only at `pulumi up`: digests of images not built yet, the team stack's outputs, and what follows from them.",
        );
    }
    for (const n of notes) out.push(`_${n}_`, "");
    if (details.length === 0) {
        return `${out.join("\n").trimEnd()}\n`;
    }
    const counts = [
        diff.added.length ? `${diff.added.length} added` : "",
        diff.changed.length ? `${diff.changed.length} changed` : "",
        diff.removed.length ? `${diff.removed.length} removed` : "",
        diff.unchanged ? `${diff.unchanged} unchanged` : "",
    ].filter(Boolean);
    const outputCounts = (["added", "changed", "removed"] as const)
        .map((k) => [diff.outputs.filter((c) => c.kind === k).length, k] as const)
        .filter(([n]) => n > 0)
        .map(([n, k]) => `${n} ${k}`);
    const outputs = outputCounts.length ? `; outputs: ${outputCounts.join(", ")}` : "";
    out.push("<details>", `<summary>Full plan diff (resources: ${counts.join(", ")}${outputs})</summary>`, "");
    out.push(...details, "</details>");
    return `${out.join("\n").trimEnd()}\n`;
}

/** What an image is called in the summary. */
function imageName(i: ImageSummary): string {
    return i.kind === "image" ? (i.resource.parent ?? i.resource.name) : i.kind;
}

function joinWords(words: string[]): string {
    return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function headline(s: StackSummary, diff: PlanDiff): string {
    if (diff.status === "removed") {
        return `${plural(diff.removed.length, "resource")} removed, nothing builds`;
    }
    const running = [
        ...s.images.filter((i) => i.status === "builds" || i.status === "rebuilds").map(imageName),
        ...s.bakes.filter((b) => b.status === "bakes" || b.status === "re-bakes").map(() => "Fireworker disk image"),
    ];
    if (diff.status === "added") {
        return running.length ? `builds ${joinWords(running)}` : `${plural(diff.added.length, "resource")} added`;
    }
    const others = s.added.length + s.removed.length + s.changed.length;
    const rest = others ? `; ${plural(others, "other resource")} ${others === 1 ? "changes" : "change"}` : "";
    if (running.length === 0) {
        const what =
            diff.changed.length || diff.outputs.length ? "only hashes and outputs change" : "no resource changes";
        return `no image rebuilds${rest || `; ${what}`}`;
    }
    return `${joinWords(running)} ${running.length === 1 ? "rebuilds" : "rebuild"}${rest}`;
}

/** `3 layers; uploads 4.1 kB` */
function cost(b: PlannedBuild | undefined): string {
    if (!b) return "";
    const bytes = formatBytes(b.upload);
    return ` (${plural(b.layers, "layer")}; ${b.builder === "cloudbuild" ? `uploads ${bytes}` : `sends ${bytes} to the engine`})`;
}

/** What an application build goes FROM, when the summary can say. */
function fromText(i: ImageSummary, runtime: ImageSummary | undefined): string {
    if (i.kind !== "application") return "";
    if (!runtime) return " FROM the team runtime";
    if (i.fromNewRuntime || runtime.status === "builds") return " FROM the new runtime";
    return runtime.status === "unchanged" ? " FROM the unchanged runtime" : "";
}

/** The builds that will run, in order, and what each costs. */
function willRun(s: StackSummary): string {
    const runs = (i: ImageSummary) => i.status === "builds" || i.status === "rebuilds";
    const running = s.images.filter(runs);
    const runtime = s.images.find((i) => i.kind === "runtime");
    const items = running.map((i) => `the ${imageName(i)} build${fromText(i, runtime)}${cost(i.build)}`);
    for (const b of s.bakes.filter((x) => x.status === "bakes" || x.status === "re-bakes")) {
        items.push(
            `the Fireworker bake${b.newRuntime ? " of the new runtime" : ""} (server-side: a builder VM pulls the runtime into a disk image of family ${code(b.family)}; nothing uploaded)`,
        );
    }
    if (items.length === 0) {
        return "**Will run:** no build and no bake.";
    }
    const builders = [...new Set(running.map((i) => i.build?.builder).filter((b) => b !== undefined))];
    const where =
        builders.length === 1
            ? builders[0] === "cloudbuild"
                ? ", on Cloud Build"
                : ", on the local Docker engine"
            : "";
    if (items.length === 1) {
        return `**Will run${where}:** only ${items[0]}.`;
    }
    return `**Will run${where}, in order:** ${items.join(", then ")}.`;
}

function fileLine(f: FileChange): string {
    const flag = (x: FileFact) => (x.flag === "x" ? "executable" : x.flag === "l" ? "symlink" : "");
    if (f.kind === "added") {
        return `${code(f.path)} (new, ${formatBytes(f.new.size)}${flag(f.new) ? `, ${flag(f.new)}` : ""})`;
    }
    if (f.kind === "removed") {
        return `${code(f.path)} (deleted, was ${formatBytes(f.old.size)})`;
    }
    const delta = f.new.size - f.old.size;
    const notes = [delta === 0 ? "same size" : `${delta > 0 ? "+" : ""}${formatBytes(delta)}`];
    if (f.old.flag !== f.new.flag) {
        notes.push(flag(f.new) ? `now ${flag(f.new)}` : `no longer ${flag(f.old)}`);
    }
    return `${code(f.path)} (${notes.join(", ")})`;
}

function requirementLine(r: RequirementChange): string {
    if (r.kind === "added") return `added ${code(r.new)}`;
    if (r.kind === "removed") return `removed ${code(r.old)}`;
    return `${code(r.old)} → ${code(r.new)}`;
}

function settingLine(s: SettingChange): string {
    if (s.kind === "added") return `${code(s.key)}: ${code(showValue(undefined))} → ${code(showValue(s.new))}`;
    if (s.kind === "removed") return `${code(s.key)}: ${code(showValue(s.old))} → ${code(showValue(undefined))}`;
    return `${code(s.key)}: ${code(showValue(s.old))} → ${code(showValue(s.new))}`;
}

/** `- label: item` for one item, else `- label:` and a nested list (at most LIST_LIMIT items). */
function group(indent: string, label: string, items: string[], more = "in the full diff below"): string[] {
    if (items.length === 0) return [];
    if (items.length === 1) return [`${indent}- ${label}: ${items[0]}`];
    const shown = items.slice(0, LIST_LIMIT).map((i) => `${indent}  - ${i}`);
    if (items.length > LIST_LIMIT) shown.push(`${indent}  - … and ${items.length - LIST_LIMIT} more, ${more}`);
    return [`${indent}- ${label}:`, ...shown];
}

/**
 * The base image line: the tag and the digest it resolved to on each side (a placeholder digest
 * says it is resolved at pulumi up), so a base republished under the same tag reads as such.
 */
export function baseLine(b: NonNullable<ImageSummary["base"]>): string {
    const placeholder = (from: string) => placeholderIn(from, []) !== undefined;
    const later = "its digest is resolved at pulumi up";
    if (b.oldTag !== undefined && b.oldTag === b.newTag) {
        const digest = (from: string) => (placeholder(from) ? later : code(from));
        return `base image ${code(b.newTag)} has a new digest: ${digest(b.old)} → ${digest(b.new)}`;
    }
    if (b.oldTag !== undefined && b.newTag !== undefined && placeholder(b.old) && placeholder(b.new)) {
        return `base image: ${code(b.oldTag)} → ${code(b.newTag)} (${later})`;
    }
    const side = (tag: string | undefined, from: string) =>
        tag === undefined ? code(from) : `${code(tag)} (${placeholder(from) ? later : code(from)})`;
    return `base image: ${side(b.oldTag, b.old)} → ${side(b.newTag, b.new)}`;
}

function imageLines(i: ImageSummary, s: StackSummary): string[] {
    const status = {
        builds: "builds (new)",
        rebuilds: "rebuilds",
        unchanged: "unchanged",
        removed: "removed",
    }[i.status];
    const out = [`- **${imageName(i)}** ${status}: ${code(i.image)}`];
    if (i.fromNewRuntime) out.push("  - FROM the new runtime (its digest is known after the build)");
    if (i.base) out.push(`  - ${baseLine(i.base)}`);
    const byFile = new Map<string, RequirementChange[]>();
    for (const r of i.requirements) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
    for (const [file, changes] of byFile) {
        out.push(...group("  ", `requirements (${code(file)})`, changes.map(requirementLine)));
    }
    const files = i.files.map(fileLine);
    out.push(...group("  ", `${plural(files.length, "file")} changed`, files));
    out.push(...group("  ", i.settings.length === 1 ? "setting" : "settings", i.settings.map(settingLine)));
    if (i.dockerfile) {
        const { removed, added } = i.dockerfile;
        out.push(
            `  - Dockerfile: ${removed === added ? `${plural(added, "line")} changed` : `${plural(removed, "line")} removed, ${plural(added, "line")} added`}`,
        );
    }
    if (i.buildArgs.length) {
        out.push(`  - image metadata (build args): ${i.buildArgs.map(code).join(", ")}`);
    }
    if (i.labels.length) {
        out.push(`  - image metadata (labels): ${i.labels.map(code).join(", ")}`);
    }
    for (const o of i.other) out.push(`  - ${o}`);
    // an unchanged image whose settings changed: they take effect without a rebuild
    if (i.status === "unchanged" && i.settings.length && s.status !== "added") {
        out.push("  - (these settings take effect without a rebuild)");
    }
    return out;
}

function bakeLines(b: BakeSummary): string[] {
    const status = {
        bakes: "bakes (new)",
        "re-bakes": "re-bakes",
        unchanged: "unchanged",
        removed: "removed",
    }[b.status];
    const out = [`- **Fireworker disk image** ${status}: family ${code(b.family)}`];
    if (b.newRuntime) out.push("  - with the new runtime");
    out.push(...group("  ", b.settings.length === 1 ? "setting" : "settings", b.settings.map(settingLine)));
    if (b.configChanged)
        out.push("  - its bake configuration changed (scripts or builder settings; see the full diff)");
    return out;
}

function otherLines(s: StackSummary): string[] {
    const out = [...group("", "Other settings", s.settings.map(settingLine))];
    const items = [
        ...s.added.map((r) => `added ${code(resourceLabel(r))}`),
        ...s.changed.map((c) => `changed ${code(resourceLabel(c.resource))}: ${c.paths.map(code).join(", ")}`),
        ...s.removed.map((r) => `removed ${code(resourceLabel(r))}`),
    ];
    if (s.status !== "added" && s.status !== "removed") {
        out.push(...group("", "Other resources", items));
    }
    if (s.followers.length) {
        out.push(
            `- ${plural(s.followers.length, "other resource")} ${s.followers.length === 1 ? "changes" : "change"} only in hashes that follow the builds (content tags, digests, image names)`,
        );
    }
    return out;
}

/** Characters of an unchanged context line a line diff shows (a base64 script is one 30 kB line). */
const CONTEXT_LINE_LIMIT = 300;

function shortened(line: string): string {
    return line.length <= CONTEXT_LINE_LIMIT
        ? line
        : `${line.slice(0, CONTEXT_LINE_LIMIT)}… (${line.length - CONTEXT_LINE_LIMIT} more characters)`;
}

/** The change lines of a list of value changes, for a `diff` code block, placeholders marked. */
function changeLines(changes: ValueChange[], placeholders: Placeholder[], suffix = ""): string[] {
    const out: string[] = [];
    const mark = (...values: unknown[]) => {
        for (const v of values) {
            const p =
                v === undefined
                    ? undefined
                    : placeholderIn(typeof v === "string" ? v : JSON.stringify(v), placeholders);
            if (p) return `  (placeholder: ${p.meaning})`;
        }
        return "";
    };
    for (const c of changes) {
        const where = `${c.path}${suffix}`;
        const op = c.kind === "added" ? "+" : c.kind === "removed" ? "-" : "~";
        if (c.lines) {
            const held = c.lines.some((l) => (l.op === "+" || l.op === "-") && placeholderIn(l.text, placeholders));
            out.push(
                `${op} ${where}: (${c.kind}, line diff)${held ? "  (holds placeholders: known at pulumi up)" : ""}`,
            );
            for (const l of c.lines) {
                out.push(
                    l.op === "…" ? `  … ${l.text}` : `${l.op}   ${l.op === " " ? shortened(l.text) : l.text}`.trimEnd(),
                );
            }
        } else if (c.kind === "added") {
            out.push(`+ ${where}: ${showValue(c.new)}${mark(c.new)}`);
        } else if (c.kind === "removed") {
            out.push(`- ${where}: ${showValue(c.old)}${mark(c.old)}`);
        } else {
            out.push(`~ ${where}: ${showValue(c.old)} → ${showValue(c.new)}${mark(c.new, c.old)}`);
        }
    }
    return out;
}

/** The full resource diff (the collapsed block), and the complete lists the summary cut short. */
export function renderDetails(diff: PlanDiff, placeholders: Placeholder[], summary?: StackSummary): string[] {
    const out: string[] = [];
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
            const body = [
                ...changeLines(r.inputs, placeholders),
                ...changeLines(r.options, placeholders, " (resource option)"),
            ];
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
            .map(([n, k]) => `${n} ${k}`);
        out.push(`### Stack outputs (${kinds.join(", ")})`, "");
        out.push(...fence("diff", changeLines(diff.outputs, placeholders)), "");
    }
    for (const i of summary?.images ?? []) {
        if (i.files.length > LIST_LIMIT || i.requirements.length > LIST_LIMIT) {
            out.push(`### Every changed input of the ${imageName(i)} build`, "");
            out.push(
                ...i.files.map((f) => `- ${fileLine(f)}`),
                ...i.requirements.map((r) => `- ${r.file}: ${requirementLine(r)}`),
                "",
            );
        }
    }
    return out;
}
