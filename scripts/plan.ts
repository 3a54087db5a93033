/**
 * `npm run --silent plan -- <stack | path/to/Pulumi.<stack>.yaml>`: the offline plan as JSON on
 * stdout (lib/plan/planCommand.ts). Invalid settings: the lines on stderr, exit status 2, nothing
 * on stdout.
 */
import { planCommand, printOutcome } from "../lib/plan/planCommand";

planCommand(process.argv[2]).then(printOutcome, (err: Error) => {
    process.stderr.write(`plan: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
