/**
 * The plan command (`npm run --silent plan -- <stack>`): the outcome of planning one stack, as
 * the CLI prints it. A plan on stdout and status 0; or, for input the program refuses, one line
 * per problem on stderr and status 2. Anything else is a bug and is thrown.
 */
import { format } from "node:util";
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
    // the program's notes, said before its plan or its refusal (stderr, never stdout)
    const notes: string[] = [];
    try {
        const { stack, file } = resolveStackFile(arg, cwd);
        const { config, secretKeys } = readStackFile(file);
        // the SDK and the program load only now (a second of CPU): a stack file that cannot be
        // read is its one line at once
        const { planJson, planStack } = await import("./offlinePlan");
        const plan = await collectingConsoleLog(notes, () => planStack(stack, config, { secretKeys }));
        return { status: 0, stdout: planJson(plan), stderr: notes.join("") };
    } catch (err) {
        if (err instanceof PlanInputError || (await isRunError(err))) {
            return { status: 2, stdout: "", stderr: `${notes.join("")}${(err as Error).message}\n` };
        }
        // a bug: its stack trace follows the notes
        process.stderr.write(notes.join(""));
        throw err;
    }
}

/** Prints a command's outcome as its CLI does, and sets the exit status. */
export function printOutcome({ status, stdout, stderr }: PlanOutcome): void {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    // exitCode, not exit(): exit() cuts a piped stdout short (at 64 KiB)
    process.exitCode = status;
}

/** The program's refusal of its settings (a RunError: one line, no stack trace). */
async function isRunError(err: unknown): Promise<boolean> {
    const pulumi = await import("@pulumi/pulumi");
    return err instanceof Error && pulumi.RunError.isInstance(err);
}

/**
 * Runs `fn` with console.log's lines added to `lines`: without an engine, the SDK's
 * `pulumi.log.info` (the program's notes, e.g. where a detached HEAD's branch came from) writes
 * to console.log, which is the plan's stdout, and a note before the JSON would make it unreadable.
 * One plan at a time: the SDK's mocks are process-wide too.
 */
async function collectingConsoleLog<T>(lines: string[], fn: () => Promise<T>): Promise<T> {
    const log = console.log;
    console.log = (...args: unknown[]) => {
        lines.push(`${format(...args)}\n`);
    };
    try {
        return await fn();
    } finally {
        console.log = log;
    }
}
