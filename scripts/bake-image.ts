/**
 * Runs one Fireworker bake at `pulumi up` (the FireworkerImage command): writes the rendered
 * Cloud Build config (FW_BAKE_CONFIG) to `.fireworker/bakes/<image>.yaml`, submits it with
 * `gcloud builds submit --no-source --async` and follows the build until it ends. The bake runs
 * server-side: a killed `pulumi up` (or this runner) neither stops it nor leaks its builder VM,
 * and the next `pulumi up` submits again, which ends at once when the image exists.
 * Prints `{"image","family","build"}` as one JSON line on stdout; progress goes to stderr.
 */
import * as fs from "fs";
import * as path from "path";
import { exec } from "../lib/exec";

export interface BakeRunOptions {
    projectRoot: string;
    env?: NodeJS.ProcessEnv;
    /** Seconds between status polls (default 15; FW_BAKE_POLL_SECONDS). */
    pollSeconds?: number;
    log?: NodeJS.WritableStream;
}

export interface BakeRunResult {
    image: string;
    family: string;
    build: string;
}

const TERMINAL = ["SUCCESS", "FAILURE", "INTERNAL_ERROR", "TIMEOUT", "CANCELLED", "EXPIRED"];

export async function runBake(opts: BakeRunOptions): Promise<BakeRunResult> {
    const env = { ...process.env, ...opts.env };
    const need = (k: string): string => {
        const v = env[k];
        if (!v) {
            throw new Error(`bake-image: ${k} is not set (this script runs from the FireworkerImage command)`);
        }
        return v;
    };
    const image = need("FW_BAKE_IMAGE");
    const family = need("FW_BAKE_FAMILY");
    const config = need("FW_BAKE_CONFIG");
    const project = need("FW_GCP_PROJECT");
    const region = env.FW_CLOUDBUILD_REGION || undefined;
    const log = opts.log ?? process.stderr;
    const poll = opts.pollSeconds ?? Number(env.FW_BAKE_POLL_SECONDS || 15);
    if (!/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(image)) {
        throw new Error(`bake-image: FW_BAKE_IMAGE ${JSON.stringify(image)} is not a GCE image name`);
    }
    const dir = path.join(opts.projectRoot, ".fireworker", "bakes");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${image}.yaml`);
    fs.writeFileSync(file, config);
    const where = [`--project=${project}`, ...(region ? [`--region=${region}`] : [])];
    const run = (args: string[]) => gcloud(args, env, log);

    const submitted = await run([
        "builds",
        "submit",
        "--no-source",
        `--config=${file}`,
        ...where,
        "--async",
        "--format=value(id)",
    ]);
    const id = submitted.trim().split("\n").pop()?.trim() ?? "";
    if (!/^[A-Za-z0-9-]+$/.test(id)) {
        throw new Error(`bake-image: gcloud builds submit gave no build id (got ${JSON.stringify(submitted.trim())})`);
    }
    log.write(
        `bake-image: baking ${image} in Cloud Build ${id}; it runs on even if this command is stopped (gcloud builds describe ${id} ${where.join(" ")})\n`,
    );

    let status = "";
    let failures = 0;
    for (;;) {
        try {
            status = (await run(["builds", "describe", id, ...where, "--format=value(status)"])).trim();
            failures = 0;
        } catch (err) {
            if (++failures >= 5) {
                throw new Error(
                    `bake-image: cannot read the status of build ${id} (${(err as Error).message}); it continues server-side`,
                );
            }
        }
        if (TERMINAL.includes(status)) {
            break;
        }
        await new Promise((r) => setTimeout(r, poll * 1000));
    }
    if (status !== "SUCCESS") {
        try {
            const logText = await run(["builds", "log", id, ...where]);
            log.write(`${logText.trim().split("\n").slice(-60).join("\n")}\n`);
        } catch {
            log.write(`bake-image: build log unavailable (gcloud builds log ${id} ${where.join(" ")})\n`);
        }
        throw new Error(`bake-image: bake of ${image} ended ${status} (Cloud Build ${id})`);
    }
    return { image, family, build: id };
}

function gcloud(args: string[], env: NodeJS.ProcessEnv, log: NodeJS.WritableStream): Promise<string> {
    return exec("gcloud", args, { env, log, who: "bake-image" });
}

if (require.main === module) {
    runBake({ projectRoot: path.resolve(__dirname, "..") })
        .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
        .catch((err: Error) => {
            process.stderr.write(`${err.message}\n`);
            process.exit(1);
        });
}
