/**
 * `npm run bench`: each benchmark is a ratio of two things measured side by side in this run,
 * printed as one markdown table on stdout (progress on stderr); `npm run bench -- --json` prints
 * the rows as JSON after the table. The image benchmarks need the Docker test environment
 * (scripts/test-env), the engine benchmarks the Pulumi CLI too; without them they are skipped,
 * loudly. `--only=runtime` (or `images`, `compile`, `wheelhouse`, `engine`, `hashing`, `plan`, comma-separated)
 * runs some of them.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { getTestEnv } from "../test/support/testEnv";
import { findTool } from "../test/support/tools";
import { engineBenchmarks } from "./engine";
import { hashingBenchmark } from "./hashing";
import { imageBenchmarks } from "./images";
import { type Row, table, toJson } from "./rows";
import { compileBenchmark, runtimeBenchmark, SkippedBenchmark } from "./runtime";
import { progress, ROOT, seconds } from "./support";
import { wheelhouseBenchmark } from "./wheelhouse";

const PLAN_RUNS = 5;

function timed(file: string, args: string[]): number {
    const started = process.hrtime.bigint();
    const r = spawnSync(file, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) {
        throw new Error(`${file} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
    }
    return ms;
}

/** Benchmark 4: the offline plan of the team stack, next to the bare start of node with ts-node. */
function planBenchmark(): Row {
    const plan: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < PLAN_RUNS; i++) {
        plan.push(timed("npm", ["run", "--silent", "plan", "--", "team"]));
        bare.push(timed("node", ["--require", "ts-node/register/transpile-only", "--eval", "0"]));
    }
    progress(
        `plan: ${plan.map((x) => seconds(x)).join(", ")}; node + ts-node start: ${bare.map((x) => seconds(x)).join(", ")}`,
    );
    return {
        name: `\`npm run --silent plan -- team\` wall time, ${PLAN_RUNS} runs (baseline: starting node with ts-node and nothing else)`,
        unit: "s",
        ours: plan.map((x) => x / 1000),
        baseline: bare.map((x) => x / 1000),
    };
}

const BENCHMARKS = ["images", "runtime", "compile", "wheelhouse", "engine", "hashing", "plan"] as const;

/** `--json` and `--only=a,b`; anything else is one line and exit 2. */
function parseArgs(argv: string[]): { json: boolean; only: Set<string> } {
    let json = false;
    let only = new Set<string>(BENCHMARKS);
    for (const a of argv) {
        if (a === "--json") {
            json = true;
        } else if (a.startsWith("--only=")) {
            only = new Set(a.slice("--only=".length).split(","));
            const bad = [...only].filter((b) => !(BENCHMARKS as readonly string[]).includes(b));
            if (bad.length > 0) {
                throw new UsageError(`--only: ${bad.join(", ")}: not one of ${BENCHMARKS.join(", ")}`);
            }
        } else {
            throw new UsageError(
                `${a}: unknown argument (usage: npm run bench -- [--json] [--only=${BENCHMARKS.join(",")}])`,
            );
        }
    }
    return { json, only };
}

class UsageError extends Error {}

async function main(): Promise<void> {
    const { json, only } = parseArgs(process.argv.slice(2));
    const started = Date.now();
    const rows: Row[] = [];
    const docker = ["images", "runtime", "compile", "wheelhouse", "engine"].some((b) => only.has(b));
    const t = docker ? await getTestEnv() : null;
    if (t) {
        progress(
            `image benchmarks on ${t.env.DOCKER_HOST ?? "the default engine"}, registry ${t.registry}, base ${t.baseImage}`,
        );
        if (only.has("images")) {
            rows.push(...(await imageBenchmarks(t)));
        }
        if (only.has("engine")) {
            const pulumi = findTool("pulumi", t.env);
            if ("env" in pulumi) {
                progress(
                    `engine benchmarks with ${spawnSync("pulumi", ["version"], { env: pulumi.env, encoding: "utf8" }).stdout.trim()}`,
                );
                rows.push(...(await engineBenchmarks(t, pulumi.env)));
            } else {
                process.stderr.write(
                    `bench: SKIPPED the engine benchmarks: pulumi ${pulumi.missing} (scripts/test-env builds it)\n`,
                );
            }
        }
        for (const [key, bench] of [
            ["runtime", runtimeBenchmark],
            ["compile", compileBenchmark],
            ["wheelhouse", wheelhouseBenchmark],
        ] as const) {
            if (only.has(key)) {
                try {
                    rows.push(await bench(t));
                } catch (err) {
                    if (!(err instanceof SkippedBenchmark)) throw err;
                    process.stderr.write(`bench: SKIPPED the ${key} benchmark: ${err.message}\n`);
                }
            }
        }
    } else if (docker) {
        process.stderr.write("bench: SKIPPED the image benchmarks: no Docker engine (run scripts/test-env)\n");
    }
    if (only.has("hashing")) {
        rows.push(await hashingBenchmark());
    }
    if (only.has("plan")) {
        rows.push(planBenchmark());
    }
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    process.stdout.write(
        `${table(rows)}\n\n${rows.length} benchmarks in ${seconds(Date.now() - started)} on ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB.\n`,
    );
    if (json) {
        process.stdout.write(`${JSON.stringify(rows.map(toJson), null, 2)}\n`);
    }
}

main().catch((err: Error) => {
    if (err instanceof UsageError) {
        process.stderr.write(`bench: ${err.message}\n`);
        process.exit(2);
    }
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
