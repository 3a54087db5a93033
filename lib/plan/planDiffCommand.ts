/**
 * The plan-diff command (`npm run --silent plan-diff -- <old.json> <new.json>`): the readable
 * diff (Markdown) of two offline plans of one stack, as the CLI prints it. An empty file (e.g.
 * /dev/null) stands for "no plan": a stack new in the change, or removed. The diff on stdout and
 * status 0; or one line on stderr and status 2 for bad arguments or a file that is not a plan.
 */
import * as fs from "node:fs";
import { z } from "zod";
import { placeholderSchema } from "../placeholders";
import { plannedBuildSchema } from "./buildInputs";
import type { Plan } from "./offlinePlan";
import type { PlanOutcome } from "./planCommand";
import { renderPlanDiff } from "./planDiffMarkdown";

export const PLAN_DIFF_USAGE =
    "usage: npm run --silent plan-diff -- <old plan.json | /dev/null> <new plan.json | /dev/null>";

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

export function planDiffCommand(argv: string[]): PlanOutcome {
    if (argv.length !== 2) {
        return { status: 2, stdout: "", stderr: `${PLAN_DIFF_USAGE}\n` };
    }
    try {
        const old = readPlan(argv[0]);
        const next = readPlan(argv[1]);
        if (!old && !next) {
            throw new UsageError("plan-diff: both plans are empty");
        }
        return { status: 0, stdout: renderPlanDiff(old, next), stderr: "" };
    } catch (err) {
        if (err instanceof UsageError) {
            return { status: 2, stdout: "", stderr: `${err.message}\n` };
        }
        throw err;
    }
}
