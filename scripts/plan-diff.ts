/**
 * `npm run --silent plan-diff -- <old.json> <new.json>`: the readable diff (Markdown) of two
 * offline plans of one stack (`npm run --silent plan -- <stack>` output), secrets masked: a
 * summary of what rebuilds, why and at what cost, then the full diff in a collapsed block.
 * An empty file (e.g. /dev/null) stands for "no plan": a stack new in the change, or removed.
 * Exit status: 0 with the diff on stdout; 2 for bad arguments or a file that is not a plan.
 */
import { printOutcome } from "../lib/plan/planCommand";
import { planDiffCommand } from "../lib/plan/planDiffCommand";

printOutcome(planDiffCommand(process.argv.slice(2)));
