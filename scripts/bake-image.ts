/**
 * Entry point of the FireworkerImage command: bakes the image its environment describes
 * (lib/bake/bakeSpec.ts, lib/bake/runBake.ts). Prints `{"image","family","build"}` as one JSON
 * line on stdout; progress goes to stderr.
 */
import * as path from "node:path";
import { bakeSpecFromEnvironment } from "../lib/bake/bakeSpec";
import { runBake } from "../lib/bake/runBake";
import { boundedLog } from "../lib/commands/boundedLog";
import { resultLine } from "../lib/commands/handoff";

async function main(): Promise<void> {
    const spec = bakeSpecFromEnvironment(process.env);
    const root = path.resolve(__dirname, "..");
    // the whole output in .fireworker/logs/; stderr (kept in the stack's state) bounded
    const log = boundedLog(path.join(root, ".fireworker", "logs", `bake-${spec.image}.log`));
    try {
        const result = await runBake(spec, { projectRoot: root, log: log.stream });
        log.close(false);
        process.stdout.write(resultLine(result));
    } catch (err) {
        log.close(true);
        throw err;
    }
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
