/**
 * `npm run --silent plan-diff -- <old.json> <new.json>`: the readable diff (Markdown) of two
 * offline plans of one stack (`npm run --silent plan -- <stack>` output), secrets masked: a
 * summary of what rebuilds, why and at what cost, then the full diff in a collapsed block.
 * An empty file (e.g. /dev/null) stands for "no plan": a stack new in the change, or removed.
 * Exit status: 0 with the diff on stdout; 2 for bad arguments or a file that is not a plan.
 */
import * as fs from "node:fs";
import { z } from "zod";
import { placeholderSchema } from "../lib/placeholders";
import { plannedBuildSchema } from "../lib/plan/buildInputs";
import type { Plan } from "../lib/plan/offlinePlan";
import { renderPlanDiff } from "../lib/plan/planDiffMarkdown";

class UsageError extends Error {}

function readPlan(file: string): Plan | null {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(
            `plan-diff: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
    }
    if (text.trim() === "") {
        return null;
    }
    let plan: unknown;
    try {
        plan = JSON.parse(text);
    } catch {
        throw new UsageError(`plan-diff: ${file} is not JSON`);
    }
    const p = plan as Partial<Plan>;
    if (!p || typeof p !== "object" || typeof p.stack !== "string" || !Array.isArray(p.resources)) {
        throw new UsageError(`plan-diff: ${file} is not an offline plan (expected {"stack","resources","outputs"})`);
    }
    // a plan made before these sections existed has none of them: the summary says so
    const sections = SECTIONS.safeParse({ settings: p.settings, builds: p.builds, placeholders: p.placeholders });
    if (!sections.success) {
        const issue = sections.error.issues[0];
        const where = issue.path
            .map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`))
            .join("")
            .slice(1);
        throw new UsageError(`plan-diff: ${file}: ${where}: ${issue.message}`);
    }
    const { settings, builds, placeholders } = sections.data;
    return {
        stack: p.stack,
        resources: p.resources,
        outputs: p.outputs ?? {},
        ...(settings ? { settings } : {}),
        ...(builds ? { builds } : {}),
        ...(placeholders ? { placeholders } : {}),
    };
}

/** The sections a plan has besides its resources and outputs (older plans have none). */
const SECTIONS = z.object({
    settings: z.record(z.string(), z.unknown(), { error: "is not an object" }).optional(),
    builds: z.array(plannedBuildSchema, { error: "is not a list" }).optional(),
    placeholders: z.array(placeholderSchema, { error: "is not a list" }).optional(),
});

function main(argv: string[]): number {
    if (argv.length !== 2) {
        process.stderr.write(
            "usage: npm run --silent plan-diff -- <old plan.json | /dev/null> <new plan.json | /dev/null>\n",
        );
        return 2;
    }
    try {
        const old = readPlan(argv[0]);
        const next = readPlan(argv[1]);
        if (!old && !next) {
            throw new UsageError("plan-diff: both plans are empty");
        }
        process.stdout.write(renderPlanDiff(old, next));
        return 0;
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`${err.message}\n`);
            return 2;
        }
        throw err;
    }
}

process.exitCode = main(process.argv.slice(2));
