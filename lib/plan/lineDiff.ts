/** A line diff (longest common subsequence) with a little kept context around each change. Pure. */

/** One line of a line diff: kept (" "), removed ("-"), added ("+"), or "…" for skipped kept lines. */
export interface DiffLine {
    op: " " | "-" | "+" | "…";
    text: string;
}

/** Lines of kept context shown around each change in a line diff. */
const CONTEXT_LINES = 2;
/** Above this many lines on a side, a line diff shows all old lines removed and all new added. */
const MAX_LCS_LINES = 4000;

export function lines(s: string): string[] {
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
