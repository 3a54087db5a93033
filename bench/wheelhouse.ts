/**
 * Benchmark 7 (issue 15, item 3), on the test engine with real packages from PyPI: a runtime
 * rebuild after a pin of the compiled layer changes (the apt layer in the engine's cache; the
 * layer that holds numpy's wheel and msgpack's sdist runs again), with `runtime.wheelhouse`
 * holding the wheels of an earlier build vs. without a wheelhouse (every build compiles msgpack
 * again, as before), side by side in each round. Both go through the program's own path
 * (prepareRuntime, finalizeBuild, runBuild) on the local engine; nothing is pushed.
 *
 * Setup, not measured: the bench base (runtime.ts), and one build with the wheelhouse that fills
 * it (msgpack compiled once).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../lib/build/buildSpec";
import { runBuild } from "../lib/build/runBuild";
import { docker, dockerOk } from "../test/support/docker";
import { recorder } from "../test/support/recorder";
import type { TestEnv } from "../test/support/testEnv";
import type { Row } from "./rows";
import { benchBase, benchRuntimeSpec, HEAVY, LIGHT_BEFORE, RUNTIME_ROUNDS } from "./runtime";
import { progress, ROOT, seconds } from "./support";

/** The pin of the compiled layer that changes: one version a round, none seen before in the run. */
const CHANGING = ["idna==3.4", "idna==3.5", "idna==3.6", "idna==3.7", "idna==3.8", "idna==3.9"];

export async function wheelhouseBenchmark(t: TestEnv): Promise<Row> {
    const runId = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `bench-wheelhouse-${runId}`);
    const image = `fw-bench/wheelhouse-${runId}`;
    mkdirSync(work, { recursive: true });
    try {
        const base = await benchBase(t, work);
        const heavy = path.join(work, "numerical.txt");
        const light = path.join(work, "often.txt");
        writeFileSync(light, `${LIGHT_BEFORE.join("\n")}\n`);
        const spec = async (pin: string, wheelhouse: boolean): Promise<BuildSpec> => {
            writeFileSync(heavy, `${[...HEAVY, pin].join("\n")}\n`);
            return benchRuntimeSpec({ base, image, runId, heavy, light, relay: true, wheelhouse });
        };
        const log = recorder();
        const env = { ...t.env, FW_WHEELHOUSE_DIR: path.join(work, "wheelhouse") };
        const compiled: boolean[] = [];
        /** The build's time; whether pip compiled msgpack in it goes to `compiled`. */
        const build = async (s: BuildSpec): Promise<number> => {
            const from = log.text().length;
            const started = process.hrtime.bigint();
            await runBuild(s, { projectRoot: ROOT, env, network: "host", log: log.stream });
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            dockerOk(t, ["rmi", `${s.image}:${s.tags[0]}`]);
            compiled.push(/Created wheel for msgpack/.test(log.text().slice(from)));
            return ms;
        };
        // fills the wheelhouse (msgpack compiled once) and the engine's apt layer for both sides
        progress(`wheelhouse: the first build (setup): ${seconds(await build(await spec(CHANGING[0], true)))}`);
        progress(
            `wheelhouse: the first build without (setup): ${seconds(await build(await spec(CHANGING[0], false)))}`,
        );
        const ours: number[] = [];
        const none: number[] = [];
        for (let i = 0; i < RUNTIME_ROUNDS; i++) {
            const pin = CHANGING[1 + (i % (CHANGING.length - 1))];
            for (const which of i % 2 === 0 ? ["ours", "none"] : ["none", "ours"]) {
                const ms = await build(await spec(pin, which === "ours"));
                (which === "ours" ? ours : none).push(ms);
                // the row measures the wheelhouse only if it was used, and its absence only if pip compiled
                if (compiled.at(-1) !== (which === "none")) {
                    throw new Error(
                        `wheelhouse round ${i + 1}: msgpack was ${which === "ours" ? "compiled with" : "not compiled without"} the wheelhouse`,
                    );
                }
            }
            progress(`wheelhouse round ${i + 1}: with ${seconds(ours[i])}, without ${seconds(none[i])}`);
        }
        progress(
            `wheelhouse: msgpack compiled in ${compiled.filter(Boolean).length} of ${compiled.length} builds (setup and every build without)`,
        );
        return {
            name: `Runtime rebuild after a pin of the compiled layer changes (apt layer cached; layer 1: numpy wheel, msgpack from source, the changed pin; layer 2 two pins): runtime.wheelhouse holding an earlier build's wheels vs. no wheelhouse, ${RUNTIME_ROUNDS} rounds`,
            unit: "s",
            ours: ours.map((x) => x / 1000),
            baseline: none.map((x) => x / 1000),
        };
    } finally {
        const left = docker(t, ["image", "ls", "--format={{.Repository}}:{{.Tag}}", image]).stdout.trim();
        if (left) docker(t, ["rmi", ...left.split("\n")]);
        rmSync(work, { recursive: true, force: true });
    }
}
