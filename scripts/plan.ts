/**
 * `npm run --silent plan -- <stack | path/to/Pulumi.<stack>.yaml>`: the offline plan as JSON on
 * stdout (lib/plan/planCommand.ts). Invalid settings: the lines on stderr, exit status 2, nothing
 * on stdout.
 */
import { planCommand } from "../lib/plan/planCommand";

planCommand(process.argv[2]).then(
    ({ status, stdout, stderr }) => {
        process.stdout.write(stdout);
        process.stderr.write(stderr);
        // exitCode, not exit(): exit() cuts a piped stdout short (at 64 KiB)
        process.exitCode = status;
    },
    (err: Error) => {
        process.stderr.write(`plan: ${err.stack ?? err.message}\n`);
        process.exit(1);
    },
);
