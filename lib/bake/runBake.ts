/**
 * Runs one Fireworker bake at `pulumi up` (the FireworkerImage command): writes the rendered
 * Cloud Build config to `.fireworker/bakes/<image>.yaml`, submits it with
 * `gcloud builds submit --no-source --async` and follows the build until it ends. The bake runs
 * server-side: a killed `pulumi up` (or this runner) neither stops it nor leaks its builder VM,
 * and the next `pulumi up` submits again, which ends at once when the image exists.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { exec } from "../commands/exec";
import { deadline, iamSettleSeconds, isPermissionError, sleep } from "../commands/permissionRetry";
import { BUILD_ID } from "../patterns";
import type { BakeResult, BakeSpec } from "./bakeSpec";

export interface BakeRunOptions {
    projectRoot: string;
    env?: NodeJS.ProcessEnv;
    /** Seconds between status polls. @default 15 (or FW_BAKE_POLL_SECONDS) */
    pollSeconds?: number;
    /** Where progress goes. @default stderr */
    log?: NodeJS.WritableStream;
}

const TERMINAL = ["SUCCESS", "FAILURE", "INTERNAL_ERROR", "TIMEOUT", "CANCELLED", "EXPIRED"];
/** Status reads in a row that may fail before the runner gives up (the bake goes on). */
const MAX_STATUS_FAILURES = 5;
/** Lines of a failed bake's log shown. */
const LOG_TAIL = 60;

export async function runBake(spec: BakeSpec, opts: BakeRunOptions): Promise<BakeResult> {
    const env = { ...process.env, ...opts.env };
    const log = opts.log ?? process.stderr;
    const poll = opts.pollSeconds ?? Number(env.FW_BAKE_POLL_SECONDS || 15);
    const dir = path.join(opts.projectRoot, ".fireworker", "bakes");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${spec.image}.yaml`);
    fs.writeFileSync(file, spec.config);
    const where = [`--project=${spec.project}`, `--region=${spec.region}`];
    const gcloud = (args: string[]) => exec("gcloud", args, { env, log, who: "bake-image" });

    // right after the grants were made (a fresh project), submitting as fw-baker may be denied for minutes
    const settle = deadline(iamSettleSeconds(env));
    let submitted: string;
    for (;;) {
        try {
            submitted = await gcloud([
                "builds",
                "submit",
                "--no-source",
                `--config=${file}`,
                ...where,
                "--async",
                "--format=value(id)",
            ]);
            break;
        } catch (err) {
            if (!isPermissionError((err as Error).message) || settle.passed()) throw err;
            log.write(
                `bake-image: submitting the bake was denied; grants may still be propagating, retrying (${Math.ceil(settle.left() / 1000)} s left)\n`,
            );
            await sleep(Math.min(poll * 2000, settle.left()));
        }
    }
    const id = submitted.trim().split("\n").pop()?.trim() ?? "";
    if (!BUILD_ID.test(id)) {
        throw new Error(`bake-image: gcloud builds submit gave no build id (got ${JSON.stringify(submitted.trim())})`);
    }
    log.write(
        `bake-image: baking ${spec.image} in Cloud Build ${id}; it runs on even if this command is stopped (gcloud builds describe ${id} ${where.join(" ")})\n`,
    );
    const status = await waitForEnd(id, poll, where, gcloud);
    if (status !== "SUCCESS") {
        try {
            const logText = await gcloud(["builds", "log", id, ...where]);
            log.write(`${logText.trim().split("\n").slice(-LOG_TAIL).join("\n")}\n`);
        } catch {
            log.write(`bake-image: build log unavailable (gcloud builds log ${id} ${where.join(" ")})\n`);
        }
        throw new Error(`bake-image: bake of ${spec.image} ended ${status} (Cloud Build ${id})`);
    }
    return { image: spec.image, family: spec.family, build: id };
}

/** Polls a build's status until it is terminal; a few failed reads in a row are tolerated. */
async function waitForEnd(
    id: string,
    pollSeconds: number,
    where: string[],
    gcloud: (args: string[]) => Promise<string>,
): Promise<string> {
    let status = "";
    let failures = 0;
    for (;;) {
        try {
            status = (await gcloud(["builds", "describe", id, ...where, "--format=value(status)"])).trim();
            failures = 0;
        } catch (err) {
            if (++failures >= MAX_STATUS_FAILURES) {
                throw new Error(
                    `bake-image: cannot read the status of build ${id} (${(err as Error).message}); it continues server-side`,
                );
            }
        }
        if (TERMINAL.includes(status)) {
            return status;
        }
        await new Promise((r) => setTimeout(r, pollSeconds * 1000));
    }
}
