/**
 * Entry point of the RuntimeImage / ApplicationImage commands: runs the image build its
 * environment describes (lib/build/buildSpec.ts, lib/build/runBuild.ts). Prints the result as one
 * JSON line on stdout; build output goes to .fireworker/logs/ and, bounded, to stderr (which the
 * command keeps in the stack's state).
 */
import * as path from "node:path";
import { buildSpecFromEnvironment } from "../lib/build/buildSpec";
import { runBuild } from "../lib/build/runBuild";
import { boundedLog } from "../lib/commands/boundedLog";
import { resultLine } from "../lib/commands/handoff";

async function main(): Promise<void> {
    const spec = buildSpecFromEnvironment(process.env);
    const root = path.resolve(__dirname, "..");
    const log = boundedLog(
        path.join(root, ".fireworker", "logs", `build-${spec.image.split("/").pop()}-${spec.tags[0]}.log`),
    );
    try {
        const result = await runBuild(spec, {
            projectRoot: root,
            network: process.env.FW_DOCKER_BUILD_NETWORK || undefined,
            log: log.stream,
        });
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
