/**
 * Helpers of the benchmarks: timing, units, commands. Docker, the test registry, the real builds
 * and git come from the tests' ../test/support/docker.ts and ../test/support/git.ts.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

export function progress(line: string): void {
    process.stderr.write(`bench: ${line}\n`);
}

export function seconds(ms: number): string {
    return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

/** Decimal units, as registries and `docker pull` show sizes. */
export function bytes(n: number): string {
    const units = ["B", "kB", "MB", "GB"];
    let v = n;
    let u = 0;
    while (v >= 1000 && u < units.length - 1) {
        v /= 1000;
        u++;
    }
    return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function ratio(x: number): string {
    return x >= 100 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command without blocking, its output kept; resolves with stdout, rejects on failure. */
export function shAsync(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0
                ? resolve(out)
                : reject(
                      new Error(
                          `${file} ${args.join(" ")} failed (exit ${code}):\n${out.slice(-2000)}${err.slice(-2000)}`,
                      ),
                  ),
        );
    });
}
