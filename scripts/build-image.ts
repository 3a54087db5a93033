/**
 * Runs one image build described by the environment (see lib/runBuild.ts); invoked by the
 * RuntimeImage / ApplicationImage commands at `pulumi up`. Prints the result as one JSON line
 * on stdout; build logs go to stderr.
 */
import * as path from "path";
import { runBuild, specFromEnvironment } from "../lib/runBuild";

async function main(): Promise<void> {
    const spec = specFromEnvironment(process.env);
    const result = await runBuild(spec, {
        projectRoot: path.resolve(__dirname, ".."),
        network: process.env.FW_DOCKER_BUILD_NETWORK || undefined,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
