/**
 * Entry point of the RuntimeImage / ApplicationImage commands: runs the image build its
 * environment describes (lib/build/buildSpec.ts, lib/build/runBuild.ts). Prints the result as one
 * JSON line on stdout; build logs go to stderr.
 */
import * as path from "node:path";
import { buildSpecFromEnvironment } from "../lib/build/buildSpec";
import { runBuild } from "../lib/build/runBuild";
import { resultLine } from "../lib/commands/handoff";

async function main(): Promise<void> {
    const spec = buildSpecFromEnvironment(process.env);
    const result = await runBuild(spec, {
        projectRoot: path.resolve(__dirname, ".."),
        network: process.env.FW_DOCKER_BUILD_NETWORK || undefined,
    });
    process.stdout.write(resultLine(result));
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
