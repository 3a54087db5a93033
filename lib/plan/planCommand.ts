/**
 * The plan command (`npm run --silent plan -- <stack>`): the outcome of planning one stack, as
 * the CLI prints it. A plan on stdout and status 0; or, for input the program refuses, one line
 * per problem on stderr and status 2. Anything else is a bug and is thrown.
 */
import * as pulumi from "@pulumi/pulumi";
import { planJson, planStack } from "./offlinePlan";
import { PlanInputError, readStackFile, resolveStackFile } from "./stackFile";

export interface PlanOutcome {
    status: 0 | 2;
    stdout: string;
    stderr: string;
}

export const PLAN_USAGE = "usage: npm run --silent plan -- <stack name | path/to/Pulumi.<stack>.yaml>";

export async function planCommand(arg: string | undefined, cwd = process.cwd()): Promise<PlanOutcome> {
    if (!arg) {
        return { status: 2, stdout: "", stderr: `${PLAN_USAGE}\n` };
    }
    try {
        const { stack, file } = resolveStackFile(arg, cwd);
        const { config, secretKeys } = readStackFile(file);
        const plan = await planStack(stack, config, { secretKeys });
        return { status: 0, stdout: planJson(plan), stderr: "" };
    } catch (err) {
        if (err instanceof PlanInputError || pulumi.RunError.isInstance(err as Error)) {
            return { status: 2, stdout: "", stderr: `${(err as Error).message}\n` };
        }
        throw err;
    }
}
