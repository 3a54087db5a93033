/**
 * `npm run --silent plan -- <stack | path/to/Pulumi.<stack>.yaml>`: the offline plan as JSON on
 * stdout. Invalid settings: the lines on stderr, exit status 2, nothing on stdout.
 */
import * as pulumi from "@pulumi/pulumi";
import { planJson, planStack } from "../lib/plan/offlinePlan";
import { PlanInputError, readStackFile, resolveStackFile } from "../lib/plan/stackFile";

async function main(): Promise<number> {
    const arg = process.argv[2];
    if (!arg) {
        process.stderr.write("usage: npm run --silent plan -- <stack name | path/to/Pulumi.<stack>.yaml>\n");
        return 2;
    }
    try {
        const { stack, file } = resolveStackFile(arg);
        const { config, secretKeys } = readStackFile(file);
        const plan = await planStack(stack, config, { secretKeys });
        process.stdout.write(planJson(plan));
        return 0;
    } catch (err) {
        if (err instanceof PlanInputError || pulumi.RunError.isInstance(err as Error)) {
            process.stderr.write(`${(err as Error).message}\n`);
            return 2;
        }
        throw err;
    }
}

main().then(
    // exitCode, not exit(): exit() cuts a piped stdout short (at 64 KiB)
    (code) => {
        process.exitCode = code;
    },
    (err: Error) => {
        process.stderr.write(`plan: ${err.stack ?? err.message}\n`);
        process.exit(1);
    },
);
