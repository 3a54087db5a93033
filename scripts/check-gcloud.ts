/**
 * `npm run check-gcloud`: every gcloud command line the program would run for each example stack
 * (builds, the bake and its script, the documents' commands) and every rendered Cloud Build
 * config, through the real gcloud's parser (test/support/gcloudCheck.ts). Without gcloud: one
 * loud line, and a failure only when FW_REQUIRE_TOOLS=1 (CI).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { collectAll } from "../test/support/gcloudCheck";
import { checkAll, realGcloud, verdictLine } from "../test/support/realGcloud";

export const MISSING_LINE =
    "PENDING check-gcloud: gcloud is not installed, so no command line was checked (set FW_REQUIRE_TOOLS=1 to make this an error)";

async function main(): Promise<number> {
    const gcloud = realGcloud();
    if (!gcloud) {
        process.stderr.write(`${MISSING_LINE}\n`);
        return process.env.FW_REQUIRE_TOOLS === "1" ? 1 : 0;
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-check-gcloud-"));
    try {
        const items = await collectAll(work);
        const verdicts = await checkAll(gcloud.path, items);
        const failed = verdicts.filter((v) => !v.ok);
        if (process.argv.includes("--verbose")) {
            for (const v of verdicts) process.stdout.write(`${verdictLine(v)}\n`);
        }
        for (const v of failed) process.stderr.write(`${verdictLine(v)}\n`);
        const configs = verdicts.filter((v) => v.kind === "config").length;
        process.stdout.write(
            `check-gcloud: ${verdicts.length - configs} distinct command lines and ${configs} Cloud Build configs (of ${items.length} collected) through gcloud ${gcloud.version}: ${failed.length === 0 ? "all accepted" : `${failed.length} refused`}\n`,
        );
        return failed.length === 0 ? 0 : 1;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

// only when run (npm run check-gcloud), not when a test imports MISSING_LINE
if (require.main === module) {
    main().then(
        (code) => {
            process.exitCode = code;
        },
        (err: Error) => {
            process.stderr.write(`check-gcloud: ${err.message}\n`);
            process.exitCode = 1;
        },
    );
}
