/** Runs a tool (docker, gcloud) for the build and bake commands, returning its stdout. */
import { spawn } from "node:child_process";

export interface ExecOptions {
    env?: NodeJS.ProcessEnv;
    /** Where the tool's stderr (and, with `echoStdout`, its stdout) goes; default stderr. */
    log?: NodeJS.WritableStream;
    /** Also copy stdout to `log` (a build's output), not only return it (a query's answer). */
    echoStdout?: boolean;
    stdin?: NodeJS.ReadableStream;
    /** Start of error messages, e.g. `build-image`. */
    who: string;
}

export function exec(cmd: string, args: string[], opts: ExecOptions): Promise<string> {
    return new Promise((resolve, reject) => {
        const { stdin } = opts;
        const child = spawn(cmd, args, {
            env: { ...process.env, ...opts.env },
            stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        const log = opts.log ?? process.stderr;
        child.stdout?.on("data", (d: Buffer) => {
            out += d.toString();
            if (opts.echoStdout) {
                log.write(d);
            }
        });
        child.stderr?.on("data", (d: Buffer) => {
            err += d.toString();
            log.write(d);
        });
        if (stdin && child.stdin) {
            // the tool may exit before reading all of its input: its own error says why
            child.stdin.on("error", () => undefined);
            stdin.on("error", (e) => {
                child.kill();
                reject(e);
            });
            stdin.pipe(child.stdin);
        }
        child.on("error", (e) => reject(new Error(`${opts.who}: cannot run ${cmd}: ${e.message}`)));
        child.on("close", (code) => {
            if (code === 0) {
                resolve(out);
            } else {
                const tail = err.trim().split("\n").slice(-5).join("\n");
                reject(new Error(`${opts.who}: ${cmd} ${args.slice(0, 2).join(" ")} failed (exit ${code}): ${tail}`));
            }
        });
    });
}
