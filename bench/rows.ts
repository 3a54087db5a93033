/**
 * A benchmark row: every sample of both sides, in one unit. The table shows min / median / max
 * of each side; `--json` prints the rows as `{name, ours, baseline, ratio, unit, ...}` with
 * `ours` and `baseline` the medians and `ratio` = ours / baseline (below 1: ours takes less).
 */
import { bytes, median, seconds } from "./support";

export type Unit = "s" | "B";

export interface Row {
    name: string;
    unit: Unit;
    /** Samples, in `unit`. */
    ours: number[];
    baseline: number[];
    /** What each side is, in a few words, for the table. @default none */
    detail?: { ours?: string; baseline?: string };
    /** The goal on `ratio`, when the issue sets one: at most this. @default none */
    goal?: number;
}

export interface Spread {
    min: number;
    median: number;
    max: number;
}

export interface JsonRow {
    name: string;
    ours: number;
    baseline: number;
    ratio: number;
    unit: Unit;
    runs: number;
    oursSpread: Spread;
    baselineSpread: Spread;
    goal?: number;
}

export function spread(xs: number[]): Spread {
    return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) };
}

export function toJson(r: Row): JsonRow {
    const o = spread(r.ours);
    const b = spread(r.baseline);
    const round = (x: number) => Number(x.toPrecision(6));
    const rs = (s: Spread): Spread => ({ min: round(s.min), median: round(s.median), max: round(s.max) });
    return {
        name: r.name,
        ours: round(o.median),
        baseline: round(b.median),
        ratio: round(o.median / b.median),
        unit: r.unit,
        runs: Math.max(r.ours.length, r.baseline.length),
        oursSpread: rs(o),
        baselineSpread: rs(b),
        ...(r.goal !== undefined ? { goal: r.goal } : {}),
    };
}

function show(unit: Unit, x: number): string {
    return unit === "s" ? seconds(x * 1000) : bytes(x);
}

function cellOf(unit: Unit, xs: number[], detail?: string): string {
    const s = spread(xs);
    const values =
        xs.length === 1
            ? show(unit, s.median)
            : `${show(unit, s.min)} / ${show(unit, s.median)} / ${show(unit, s.max)}`;
    return detail ? `${values} (${detail})` : values;
}

/** The markdown table: min / median / max of each side (one value when measured once). */
export function table(rows: Row[]): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    return [
        "| Benchmark | Ours (min / median / max) | Baseline (min / median / max) | Ratio ours / baseline (medians) |",
        "| --- | --- | --- | --- |",
        ...rows.map((r) => {
            const j = toJson(r);
            const ratio = `${j.ratio.toFixed(j.ratio < 0.1 ? 3 : 2)}${r.goal !== undefined ? ` (goal ≤ ${r.goal})` : ""}`;
            return `| ${cell(r.name)} | ${cell(cellOf(r.unit, r.ours, r.detail?.ours))} | ${cell(cellOf(r.unit, r.baseline, r.detail?.baseline))} | ${ratio} |`;
        }),
    ].join("\n");
}
