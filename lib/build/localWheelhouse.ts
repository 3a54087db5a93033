/**
 * The wheelhouse of a build on the local engine: the wheels of one build environment kept in a
 * folder of this machine (localWheelhouseRoot), served to the build by WHEELHOUSE_SERVER in a
 * container of the runtime's base image on the host network, at a random loopback address the
 * build knows as WHEELHOUSE_HOST. Files go in and out with `docker cp`: the folder is never
 * mounted, and the container is removed when the build ends, whatever its outcome.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { exec, SILENT } from "../commands/exec";
import { sleep } from "../commands/permissionRetry";
import { randomLoopbackAddress } from "../pip/pipRelay";
import { localWheelhouseRoot, WHEELHOUSE_PORT, WHEELHOUSE_SERVER } from "./wheelhouse";

export interface LocalWheelhouse {
    /** The loopback address the server listens on: the build's `--add-host`. */
    address: string;
    /** Copies back what the build kept, then removes the server. */
    close(): Promise<void>;
}

export interface LocalWheelhouseOptions {
    /** The build environment's folder name (`wheelhouseKey`). */
    key: string;
    /** The image the server runs from: the runtime's base, which has Python. */
    image: string;
    env?: NodeJS.ProcessEnv;
    log: NodeJS.WritableStream;
}

/** Where the server keeps the wheelhouse inside its container. */
const IN_CONTAINER = "/tmp/wheelhouse";
const READY_SECONDS = 20;

/**
 * Starts the server with the folder's wheels; undefined (one line in the log, the build goes on
 * without a wheelhouse) when it cannot.
 */
export async function startLocalWheelhouse(o: LocalWheelhouseOptions): Promise<LocalWheelhouse | undefined> {
    const env = { ...process.env, ...o.env };
    const dir = path.join(localWheelhouseRoot(env), o.key);
    const docker = (args: string[], log: NodeJS.WritableStream = SILENT) =>
        exec("docker", args, { env: o.env, log, who: "build-image" });
    const without = (why: string) => {
        o.log.write(`build-image: the wheelhouse is not used: ${why}; pip builds what it needs\n`);
        return undefined;
    };
    try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
        return without(`cannot make ${dir}: ${(err as Error).message}`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
        const address = randomLoopbackAddress();
        const name = `fireworker-wheelhouse-${randomBytes(6).toString("hex")}`;
        const remove = () => docker(["rm", "--force", name]).catch(() => undefined);
        try {
            await docker([
                "create",
                `--name=${name}`,
                "--network=host",
                "--entrypoint=python3",
                o.image,
                "-c",
                WHEELHOUSE_SERVER,
                IN_CONTAINER,
                address,
                String(WHEELHOUSE_PORT),
            ]);
            if (fs.readdirSync(dir).length > 0) {
                await docker(["cp", `${dir}/.`, `${name}:${IN_CONTAINER}`]);
            }
            await docker(["start", name]);
        } catch (err) {
            await remove();
            return without((err as Error).message.split("\n")[0]);
        }
        const running = () =>
            docker(["inspect", "--format={{.State.Running}}", name]).then(
                (out) => out.trim() === "true",
                () => false,
            );
        if (await ready(address, running)) {
            o.log.write(
                `build-image: pip keeps and reuses the wheels it builds in ${dir}, served to the build as its wheelhouse on ${address}:${WHEELHOUSE_PORT}\n`,
            );
            return {
                address,
                close: async () => {
                    try {
                        await docker(["cp", `${name}:${IN_CONTAINER}/.`, dir]);
                    } catch (err) {
                        o.log.write(
                            `build-image: the wheels of this build are not kept: ${(err as Error).message.split("\n")[0]}\n`,
                        );
                    } finally {
                        await remove();
                    }
                },
            };
        }
        const logs = await docker(["logs", "--tail=3", name]).catch(() => "");
        await remove();
        if (attempt === 2) {
            return without(`its server did not start (${logs.trim().split("\n").pop() || "no output"})`);
        }
    }
    return undefined;
}

/** Whether the server answers on `address` within READY_SECONDS (false as soon as it stops). */
async function ready(address: string, running: () => Promise<boolean>): Promise<boolean> {
    const until = Date.now() + READY_SECONDS * 1000;
    while (Date.now() < until) {
        const ok = await new Promise<boolean>((resolve) => {
            const req = http.get({ host: address, port: WHEELHOUSE_PORT, path: "/ready", timeout: 1000 }, (res) => {
                res.resume();
                resolve(res.statusCode === 204);
            });
            req.on("timeout", () => req.destroy());
            req.on("error", () => resolve(false));
        });
        if (ok) return true;
        if (!(await running())) return false;
        await sleep(200);
    }
    return false;
}
