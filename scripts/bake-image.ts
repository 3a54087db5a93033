/**
 * Entry point of the FireworkerImage command: bakes the image its environment describes
 * (lib/bake/bakeSpec.ts, lib/bake/runBake.ts). Prints `{"image","family","build"}` as one JSON
 * line on stdout; progress goes to stderr.
 */
import * as path from "node:path";
import { bakeSpecFromEnvironment } from "../lib/bake/bakeSpec";
import { runBake } from "../lib/bake/runBake";
import { resultLine } from "../lib/commands/handoff";

async function main(): Promise<void> {
    const spec = bakeSpecFromEnvironment(process.env);
    const result = await runBake(spec, { projectRoot: path.resolve(__dirname, "..") });
    process.stdout.write(resultLine(result));
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
