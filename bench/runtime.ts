/**
 * Benchmark 5, on the test engine (scripts/test-env) with real packages from PyPI: the runtime
 * rebuild after one pin of the last requirements layer changes (the previous runtime in the
 * engine, so its layers are reused) vs. a cold build of the very same inputs (`--no-cache`), side
 * by side in each round. Both go through the program's own path (prepareRuntime, finalizeBuild,
 * runBuild) with the local engine; nothing is pushed. The heavy layer installs numpy (a wheel)
 * and msgpack compiled from source (`--no-binary`, Cython and g++), as a lab's numerical stack.
 *
 * Setup, not measured: a base image FROM the test Python image with this machine's CA bundle
 * (pip reaches PyPI through a TLS-intercepting proxy here; the bundle is the bench's, never a
 * setting), and the previous runtime built once.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type BuildSpec, buildSpecOf } from "../lib/build/buildSpec";
import { finalizeBuild } from "../lib/build/prepareBuild";
import { runBuild } from "../lib/build/runBuild";
import { docker, dockerOk } from "../test/support/docker";
import { preparedRuntime } from "../test/support/plan";
import { recorder } from "../test/support/recorder";
import type { TestEnv } from "../test/support/testEnv";
import type { Row } from "./rows";
import { progress, ROOT, seconds, shAsync } from "./support";

const PYTHON_IMAGE = process.env.FW_TEST_PYTHON_IMAGE ?? "fireworker-test/python:3.11-bookworm";
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** What the runtime's apt layer installs: what msgpack's build needs. */
export const APT_PACKAGES = ["g++", "gcc", "python3-dev"];
/** The heavy layer, stable: a wheel and a from-source build. */
export const HEAVY = ["--no-binary=msgpack", "numpy==1.26.4", "msgpack==1.0.8"];
/** The last layer's pins: one changes between the previous runtime and each measured build. */
export const LIGHT_BEFORE = ["six==1.16.0", "idna==3.6"];
const LIGHT_AFTERS = [
    ["six==1.16.0", "idna==3.7"],
    ["six==1.17.0", "idna==3.6"],
    ["six==1.16.0", "idna==3.8"],
];

/** A benchmark that cannot run here: skipped with one loud line, the others still run. */
export class SkippedBenchmark extends Error {}

export const RUNTIME_ROUNDS = Number(process.env.FW_BENCH_RUNTIME_ROUNDS ?? 3);

/** The Python image with this machine's CA bundle, so pip in a build reaches PyPI through the proxy. */
export async function benchBase(t: TestEnv, work: string): Promise<string> {
    if (docker(t, ["image", "inspect", PYTHON_IMAGE]).status !== 0) {
        throw new SkippedBenchmark(
            `${PYTHON_IMAGE} is not in the test engine (set FW_TEST_PYTHON_IMAGE, or build it as scripts/test-env of issue 14 does)`,
        );
    }
    const dir = path.join(work, "base");
    mkdirSync(dir, { recursive: true });
    copyFileSync(CA_BUNDLE, path.join(dir, "ca.crt"));
    writeFileSync(
        path.join(dir, "Dockerfile"),
        `FROM ${PYTHON_IMAGE}\nCOPY ca.crt /etc/ssl/certs/fw-bench-ca.crt\nENV PIP_CERT=/etc/ssl/certs/fw-bench-ca.crt\n`,
    );
    const tag = "fw-bench/python-ca:3.11-bookworm";
    await shAsync("docker", ["build", "-q", "--network=host", `--tag=${tag}`, dir], t.env);
    return tag;
}

/**
 * The benches' runtime, built by Docker: apt APT_PACKAGES, then one pip layer per requirements
 * file (`heavy`, then `light`), named `runtime-<runId>` and tagged into `image`; `relay` and
 * `wheelhouse` as a local stack (relay) or a Google stack (no relay) would render it.
 */
export async function benchRuntimeSpec(o: {
    base: string;
    image: string;
    runId: string;
    heavy: string;
    light: string;
    relay: boolean;
    wheelhouse?: boolean;
}): Promise<BuildSpec> {
    const { prepared: p } = await preparedRuntime(
        {
            name: `runtime-${o.runId}`,
            base: o.base,
            aptPackages: APT_PACKAGES,
            requirements: [path.relative(ROOT, o.heavy), path.relative(ROOT, o.light)],
            ...(o.wheelhouse === undefined ? {} : { wheelhouse: o.wheelhouse }),
        },
        o.relay,
    );
    return buildSpecOf(p, finalizeBuild(p, { image: o.image, from: o.base, movingTags: [] }), {
        builder: "docker",
        image: o.image,
        push: false,
    });
}

export async function runtimeBenchmark(t: TestEnv): Promise<Row> {
    const runId = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `bench-runtime-${runId}`);
    const image = `fw-bench/runtime-${runId}`;
    mkdirSync(work, { recursive: true });
    try {
        const base = await benchBase(t, work);
        const heavy = path.join(work, "numerical.txt");
        const light = path.join(work, "often.txt");
        writeFileSync(heavy, `${HEAVY.join("\n")}\n`);
        const spec = async (pins: string[]): Promise<BuildSpec> => {
            writeFileSync(light, `${pins.join("\n")}\n`);
            return benchRuntimeSpec({ base, image, runId, heavy, light, relay: false });
        };
        const log = recorder();
        const build = async (s: BuildSpec, noCache: boolean): Promise<number> => {
            const started = process.hrtime.bigint();
            await runBuild(s, { projectRoot: ROOT, env: t.env, network: "host", noCache, log: log.stream });
            return Number(process.hrtime.bigint() - started) / 1e6;
        };
        const remove = (s: BuildSpec) => dockerOk(t, ["rmi", `${s.image}:${s.tags[0]}`]);

        // the previous runtime, built once (with whatever the engine has cached)
        const previous = await spec(LIGHT_BEFORE);
        progress(`runtime: the previous runtime (setup): ${seconds(await build(previous, false))}`);
        const ours: number[] = [];
        const cold: number[] = [];
        for (let i = 0; i < RUNTIME_ROUNDS; i++) {
            const changed = await spec(LIGHT_AFTERS[i % LIGHT_AFTERS.length]);
            // alternate which goes first, so neither has the warmer machine
            for (const which of i % 2 === 0 ? ["ours", "cold"] : ["cold", "ours"]) {
                const ms = await build(changed, which === "cold");
                (which === "cold" ? cold : ours).push(ms);
                remove(changed);
            }
            progress(`runtime round ${i + 1}: rebuild ${seconds(ours[i])}, cold ${seconds(cold[i])}`);
        }
        const reused = (log.text().match(/Using cache/g) ?? []).length;
        progress(`runtime: ${reused} cached steps reused in all`);
        return {
            name: `Runtime rebuild after one pin of the last requirements layer changes (previous runtime in the engine's cache) vs. a cold build (--no-cache) of the same inputs: apt ${APT_PACKAGES.join(" ")}; layer 1 numpy wheel + msgpack from source; layer 2 two pins; ${RUNTIME_ROUNDS} rounds`,
            unit: "s",
            ours: ours.map((x) => x / 1000),
            baseline: cold.map((x) => x / 1000),
            goal: 0.25,
        };
    } finally {
        docker(t, ["rmi", ...dockerImages(t, image)]);
        rmSync(work, { recursive: true, force: true });
    }
}

function dockerImages(t: TestEnv, image: string): string[] {
    const out = docker(t, ["image", "ls", "--format={{.Repository}}:{{.Tag}}", image]).stdout.trim();
    return out ? out.split("\n") : [];
}

/**
 * Benchmark 6 (issue 15, item 3: measure first): what compiling from source costs, in the
 * runtime's build image (the bench base with the runtime's apt packages): installing msgpack
 * from its PyPI wheel vs. building it from its sdist (`--no-binary`: Cython, then g++), pip's
 * cache off, side by side in each round. A wheelhouse would turn the second into the first.
 */
export async function compileBenchmark(t: TestEnv): Promise<Row> {
    const runId = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `bench-compile-${runId}`);
    mkdirSync(work, { recursive: true });
    const image = `fw-bench/python-build:${runId}`;
    try {
        const base = await benchBase(t, work);
        writeFileSync(
            path.join(work, "Dockerfile"),
            `FROM ${base}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${APT_PACKAGES.join(" ")} && rm -rf /var/lib/apt/lists/*\n`,
        );
        await shAsync("docker", ["build", "-q", "--network=host", `--tag=${image}`, work], t.env);
        const pip = async (args: string[]): Promise<number> => {
            const started = process.hrtime.bigint();
            await shAsync(
                "docker",
                ["run", "--rm", "--network=host", image, "pip", "install", "--no-cache-dir", "--no-deps", ...args],
                t.env,
            );
            return Number(process.hrtime.bigint() - started) / 1e6;
        };
        const wheel: number[] = [];
        const source: number[] = [];
        for (let i = 0; i < RUNTIME_ROUNDS; i++) {
            for (const which of i % 2 === 0 ? ["wheel", "source"] : ["source", "wheel"]) {
                if (which === "wheel") {
                    wheel.push(await pip(["--only-binary=msgpack", "msgpack==1.0.8"]));
                } else {
                    source.push(await pip(["--no-binary=msgpack", "msgpack==1.0.8"]));
                }
            }
            progress(`compile round ${i + 1}: wheel ${seconds(wheel[i])}, from source ${seconds(source[i])}`);
        }
        return {
            name: `msgpack 1.0.8 installed from its PyPI wheel vs. built from source (--no-binary: Cython, g++) in the runtime's build image, pip cache off, container start included, ${RUNTIME_ROUNDS} rounds: what a wheelhouse would save per compiled package`,
            unit: "s",
            ours: wheel.map((x) => x / 1000),
            baseline: source.map((x) => x / 1000),
        };
    } finally {
        docker(t, ["rmi", image]);
        rmSync(work, { recursive: true, force: true });
    }
}
