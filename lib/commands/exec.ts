/** Runs a tool (docker, gcloud) for the build and bake commands, returning its stdout. */
import { spawn } from "node:child_process";
import { Writable } from "node:stream";

/** A log that drops what it is given: for a tool's answer when its stderr is not the build's business. */
export const SILENT: NodeJS.WritableStream = new Writable({ write: (_chunk, _encoding, done) => done() });

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
        // chunks are kept as bytes and decoded once: a character may be split between chunks
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const log = opts.log ?? process.stderr;
        child.stdout?.on("data", (d: Buffer) => {
            out.push(d);
            if (opts.echoStdout) {
                log.write(d);
            }
        });
        child.stderr?.on("data", (d: Buffer) => {
            err.push(d);
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
        child.on("close", (code, signal) => {
            if (code === 0) {
                resolve(Buffer.concat(out).toString("utf8"));
            } else {
                const tail = Buffer.concat(err).toString("utf8").trim().split("\n").slice(-5).join("\n");
                const how = signal ? `killed by ${signal}` : `exit ${code}`;
                reject(new Error(`${opts.who}: ${cmd} ${args.slice(0, 2).join(" ")} failed (${how}): ${tail}`));
            }
        });
    });
}

/** Quotes a word for bash. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
