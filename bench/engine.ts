/**
 * Benchmarks 5 and 6, on the real Pulumi engine and the test engine: `npm run local` (pulumi up of
 * the local stack, in a copy of the project) with nothing changed, and after a one-line payload
 * change, each next to `docker build` of the same Dockerfiles and contexts with the same build
 * arguments (both images; what the program's builds run, without the program and the engine).
 * Alternated, median of ROUNDS each.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import * as path from "node:path";
import { buildSpecFromEnvironment } from "../lib/build/buildSpec";
import { dockerBuildArgs } from "../lib/build/cloudBuildConfig";
import { collectContext } from "../lib/build/context";
import { packContext } from "../lib/build/pack";
import { generatedFiles } from "../lib/build/runBuild";
import { exec } from "../lib/commands/exec";
import { LocalStack, tail } from "../test/support/localStack";
import type { TestEnv } from "../test/support/testEnv";
import type { Row } from "./rows";
import { progress, seconds } from "./support";

const ROUNDS = 3;

export async function engineBenchmarks(t: TestEnv, engineEnv: NodeJS.ProcessEnv): Promise<Row[]> {
    const stack = new LocalStack(t, engineEnv, `bench-${randomBytes(4).toString("hex")}`);
    let lines = 0;
    try {
        const up = (what: string): number => {
            const r = stack.local();
            if (r.status !== 0) {
                throw new Error(`npm run local (${what}) failed:\n${tail(r)}`);
            }
            return r.seconds * 1000;
        };
        const change = () => {
            lines++;
            appendFileSync(path.join(stack.dir, "example", "main.py"), `# bench change ${lines}\n`);
            stack.commit(`bench change ${lines}`, `2024-06-01T00:00:${String(lines).padStart(2, "0")}Z`);
        };
        /** docker build of both images from the stack's own build specs (its state), as our builds run it. */
        const dockerBuilds = async (): Promise<number> => {
            const state = JSON.parse(stack.pulumiOk(["stack", "export"])) as {
                deployment: { resources: { urn: string; inputs?: { environment?: Record<string, string> } }[] };
            };
            const envOf = (name: string) =>
                state.deployment.resources.find((r) => r.urn.endsWith(`::${name}`))?.inputs?.environment ?? {};
            const specs = ["runtime-build", "application-build"].map((n) => buildSpecFromEnvironment(envOf(n)));
            const started = Date.now();
            for (const spec of specs) {
                const entries = collectContext(spec.context, stack.dir);
                const refs = [`${spec.image}:bench-baseline`];
                const generated = generatedFiles(spec, entries, stack.dir);
                await exec(
                    "docker",
                    [
                        ...dockerBuildArgs({ refs, buildArgs: spec.buildArgs, labels: spec.labels, network: "host" }),
                        "-",
                    ],
                    { env: t.env, stdin: packContext(entries, spec.dockerfile, generated), who: "bench" },
                );
            }
            return Date.now() - started;
        };

        let started = Date.now();
        up("first run");
        progress(`engine: first npm run local (both images built): ${seconds(Date.now() - started)}`);
        started = Date.now();
        await dockerBuilds();
        progress(`engine: first docker build of both (warms its cache): ${seconds(Date.now() - started)}`);

        const same = { ours: [] as number[], docker: [] as number[] };
        const changed = { ours: [] as number[], docker: [] as number[] };
        /** What the last up did: `none`, or the one resource it replaced; anything else stops the bench. */
        const check = (what: string, expect: "none" | string, before: Record<string, string>) => {
            const { replace, same: unchanged, ...other } = stack.lastChanges();
            const after = stack.ids();
            const moved = Object.keys(after).filter((k) => after[k] !== before[k]);
            const ok =
                Object.keys(other).length === 0 &&
                Boolean(unchanged) &&
                (expect === "none" ? !replace && moved.length === 0 : replace === 1 && moved.join() === expect);
            if (!ok) {
                throw new Error(
                    `${what}: expected ${expect === "none" ? "no change" : `${expect} alone replaced`}, got ${JSON.stringify(stack.lastChanges())}, new ids: ${moved.join(", ") || "none"}`,
                );
            }
        };
        for (let i = 0; i < ROUNDS; i++) {
            let before = stack.ids();
            same.ours.push(up("nothing changed"));
            check("nothing changed", "none", before);
            same.docker.push(await dockerBuilds());
            change();
            before = stack.ids();
            changed.ours.push(up("one-line change"));
            check("one-line change", "application-build", before);
            // another one-line change: the docker builds read the current payload (the COPY layer
            // is rebuilt, as ours was), with the Dockerfiles and build args of the last up
            change();
            changed.docker.push(await dockerBuilds());
            // not timed: take in the docker side's change, so that the next round starts unchanged
            before = stack.ids();
            up("catching up");
            check("catching up", "application-build", before);
        }
        const show = (xs: number[]) => xs.map((x) => seconds(x)).join(", ");
        progress(`engine: unchanged: npm run local ${show(same.ours)}; docker build ${show(same.docker)}`);
        progress(`engine: one-line change: npm run local ${show(changed.ours)}; docker build ${show(changed.docker)}`);
        const row = (what: string, d: { ours: number[]; docker: number[] }): Row => ({
            name: `\`npm run local\` (pulumi up of the local stack on the real engine), ${what}, ${ROUNDS} runs (baseline: docker build of both images, same Dockerfiles, contexts and build args)`,
            unit: "s",
            ours: d.ours.map((ms) => ms / 1000),
            baseline: d.docker.map((ms) => ms / 1000),
        });
        return [row("nothing changed", same), row("after a one-line payload change", changed)];
    } finally {
        stack.dispose();
    }
}
