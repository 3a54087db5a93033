/**
 * `npm run --silent plan-diff -- <old.json> <new.json>`: the readable diff (Markdown) of two
 * offline plans of one stack (`npm run --silent plan -- <stack>` output), secrets masked.
 * An empty file (e.g. /dev/null) stands for "no plan": a stack new in the change, or removed.
 * Exit status: 0 with the diff on stdout; 2 for bad arguments or a file that is not a plan.
 */
import * as fs from "node:fs";
import type { Plan } from "../lib/plan/offlinePlan";
import { diffPlans } from "../lib/plan/planDiff";
import { renderDiff } from "../lib/plan/planDiffMarkdown";

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
    return { stack: p.stack, resources: p.resources, outputs: p.outputs ?? {} };
}

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
        process.stdout.write(renderDiff(diffPlans(old, next)));
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
