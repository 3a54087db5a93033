/**
 * The plan command (`npm run --silent plan -- <stack>`): the outcome of planning one stack, as
 * the CLI prints it. A plan on stdout and status 0; or, for input the program refuses, one line
 * per problem on stderr and status 2. Anything else is a bug and is thrown.
 */
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
        // the SDK and the program load only now (a second of CPU): a stack file that cannot be
        // read is its one line at once
        const { planJson, planStack } = await import("./offlinePlan");
        const plan = await planStack(stack, config, { secretKeys });
        return { status: 0, stdout: planJson(plan), stderr: "" };
    } catch (err) {
        if (err instanceof PlanInputError || (await isRunError(err))) {
            return { status: 2, stdout: "", stderr: `${(err as Error).message}\n` };
        }
        throw err;
    }
}

/** The program's refusal of its settings (a RunError: one line, no stack trace). */
async function isRunError(err: unknown): Promise<boolean> {
    const pulumi = await import("@pulumi/pulumi");
    return err instanceof Error && pulumi.RunError.isInstance(err);
}
