/**
 * Entry point of the `prepare` step of a Cloud Build trigger (lib/triggers/): plans the stack at
 * the pushed commit, packs the wanted image's context and writes `.fireworker/trigger/build.sh`.
 */
import * as path from "node:path";
import { deepenHistory, prepareTriggerBuild, triggerRequestFromEnvironment } from "../lib/triggers/prepareTriggerBuild";

async function main(): Promise<void> {
    const root = path.resolve(__dirname, "..");
    const request = triggerRequestFromEnvironment(process.env);
    deepenHistory(root, (line) => process.stderr.write(`${line}\n`));
    const line = await prepareTriggerBuild(request, root);
    process.stdout.write(`${line}\n`);
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
