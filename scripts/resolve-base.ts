/**
 * Entry point of the local stack's base resolution (components/baseImage.ts runs it at every
 * plan through the command provider's `local:run`): resolves FW_BASE against the local Docker
 * engine (lib/build/resolveBase.ts) and prints one JSON line: `{"digest","reference"}`, or
 * `{"problem"}` with Docker's answer, which the plan stops with as one line.
 */

import { BaseProblem, resolveWithEngine } from "../lib/build/resolveBase";
import { resultLine } from "../lib/commands/handoff";

async function main(): Promise<void> {
    const reference = process.env.FW_BASE;
    if (!reference) {
        process.stdout.write(
            resultLine({ problem: "resolve-base: FW_BASE is not set (this script runs from the program)" }),
        );
        return;
    }
    try {
        process.stdout.write(resultLine(await resolveWithEngine(reference, { log: process.stderr })));
    } catch (err) {
        if (err instanceof BaseProblem) {
            process.stdout.write(resultLine({ problem: err.message }));
            return;
        }
        throw err;
    }
}

main().catch((err: Error) => {
    process.stdout.write(resultLine({ problem: `resolve-base: ${err.message}` }));
});
