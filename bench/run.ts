/**
 * `npm run bench`: each benchmark is a ratio of two things measured side by side in this run,
 * printed as one markdown table on stdout (progress on stderr). The image benchmarks need the
 * Docker test environment (scripts/test-env), the engine benchmarks the Pulumi CLI too; without
 * them they are skipped, loudly.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { getTestEnv } from "../test/support/testEnv";
import { findTool } from "../test/support/tools";
import { engineBenchmarks } from "./engine";
import { hashingBenchmark } from "./hashing";
import { imageBenchmarks, type Row } from "./images";
import { median, progress, ROOT, ratio, seconds } from "./support";

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
    const p = median(plan);
    const b = median(bare);
    return {
        benchmark: `\`npm run --silent plan -- team\` wall time, median of ${PLAN_RUNS} (baseline: starting node with ts-node and nothing else)`,
        ours: seconds(p),
        baseline: seconds(b),
        ratio: `${ratio(p / b)} the bare start`,
    };
}

function table(rows: Row[]): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    return [
        "| Benchmark | Ours | Baseline | Ratio |",
        "| --- | --- | --- | --- |",
        ...rows.map((r) => `| ${cell(r.benchmark)} | ${cell(r.ours)} | ${cell(r.baseline)} | ${cell(r.ratio)} |`),
    ].join("\n");
}

async function main(): Promise<void> {
    const started = Date.now();
    const rows: Row[] = [];
    const t = await getTestEnv();
    if (t) {
        progress(
            `image benchmarks on ${t.env.DOCKER_HOST ?? "the default engine"}, registry ${t.registry}, base ${t.baseImage}`,
        );
        rows.push(...(await imageBenchmarks(t)));
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
    } else {
        process.stderr.write("bench: SKIPPED the image benchmarks: no Docker engine (run scripts/test-env)\n");
    }
    rows.push(await hashingBenchmark());
    rows.push(planBenchmark());
    process.stdout.write(
        `${table(rows)}\n\n${rows.length} benchmarks in ${seconds(Date.now() - started)} on ${os.cpus().length} cores.\n`,
    );
}

main().catch((err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
