/**
 * Benchmarks 1 and 3, on the test engine and registry (scripts/test-env):
 *  - the application rebuild after a one-line payload change, through the whole program (as
 *    `pulumi up` runs it), vs. a naive single Dockerfile (the runtime and the code in one image,
 *    `COPY . ` first, then apt-get): wall time and bytes pushed to the registry;
 *  - bytes a worker pulls to start a task with the runtime preloaded vs. without it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stackConfig } from "../lib/plan/stackFile";
import { blobSet, blobStore, dockerOk, Executor, Registry, removeImages, uploaded } from "../test/support/docker";
import { commitAll, git, writeFiles } from "../test/support/git";
import type { TestEnv } from "../test/support/testEnv";
import type { Row } from "./rows";
import { bytes, progress, ROOT, seconds, shAsync } from "./support";

/** A runtime as a lab's: Python with numpy, from Debian (no PyPI here). */
const APT_PACKAGES = ["python3", "python3-numpy"];
const WRITABLE_DIRS = ["/.theano", "/.cache"];

/** A small lab payload (~1 MB): code modules and a parameter file, in a git repository. */
function makePayload(dir: string, runId: string): void {
    mkdirSync(dir, { recursive: true });
    git(dir, ["init", "-q", "-b", "main"]);
    const files: Record<string, string> = {
        "main.py": `import numpy\nfrom model import m00\nRUN = "${runId}"\nprint(RUN, m00.f0(numpy.arange(3)))\n`,
        "model/__init__.py": "",
        ".dockerignore": ".git\n.gcloudignore\n**/__pycache__\n",
        ".gcloudignore": "#!include:.dockerignore\n",
    };
    for (let m = 0; m < 30; m++) {
        const lines = [`"""Model part ${m}."""`, "import numpy", ""];
        for (let f = 0; f < 40; f++) {
            lines.push(
                `def f${f}(x):`,
                `    """Step ${f} of part ${m}."""`,
                `    return numpy.tanh(x * ${(m * 40 + f) / 7} + ${f})`,
                "",
            );
        }
        files[`model/m${String(m).padStart(2, "0")}.py`] = lines.join("\n");
    }
    const params: number[] = [];
    let x = 12345;
    for (let i = 0; i < 40_000; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        params.push(x / 2147483648);
    }
    files["data/params.json"] = JSON.stringify(params);
    writeFiles(dir, files);
    commitAll(dir, "payload", "2024-03-05T06:07:08Z");
}

/** The naive image: what a lab starts with, runtime and code in one Dockerfile, no cache-friendly order. */
function naiveDockerfile(base: string): string {
    return [
        `FROM ${base}`,
        "COPY . /app",
        `RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${APT_PACKAGES.join(" ")} && rm -rf /var/lib/apt/lists/*`,
        `RUN (umask 000 && mkdir -p ${WRITABLE_DIRS.join(" ")})`,
        "WORKDIR /app",
        'CMD ["python3", "main.py"]',
        "",
    ].join("\n");
}

export async function imageBenchmarks(t: TestEnv): Promise<Row[]> {
    const runId = randomBytes(4).toString("hex");
    // inside the project (its ignored .fireworker/): settings paths must stay inside the repository
    mkdirSync(path.join(ROOT, ".fireworker"), { recursive: true });
    const work = mkdtempSync(path.join(ROOT, ".fireworker", "bench-images-"));
    const names = {
        runtime: `bench-${runId}-runtime`,
        application: `bench-${runId}-app`,
        naive: `bench-${runId}-naive`,
    };
    const repo = (n: string) => `fireworker/${n}`;
    const naiveImage = `${t.registry}/${repo(names.naive)}`;
    const registry = new Registry(t.registry);
    try {
        const store = blobStore();
        const payload = path.join(work, "payload");
        makePayload(payload, runId);
        const requirements = path.join(work, "requirements.txt");
        writeFileSync(requirements, "# numpy comes from Debian here (no PyPI)\n");
        const local = stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml"));
        const config: Record<string, string> = {
            ...local,
            "fireworker-images:registry": JSON.stringify({ localHost: t.registry }),
            "fireworker-images:runtime": JSON.stringify({
                name: names.runtime,
                base: t.baseImage,
                requirements: path.relative(ROOT, requirements),
                aptPackages: APT_PACKAGES,
                writableDirs: WRITABLE_DIRS,
            }),
            "fireworker-images:application": JSON.stringify({
                ...JSON.parse(local["fireworker-images:application"]),
                name: names.application,
                context: path.relative(ROOT, payload),
                cmd: ["python3", "main.py"],
            }),
        };
        const dockerfile = path.join(work, "naive.Dockerfile");
        writeFileSync(dockerfile, naiveDockerfile(t.baseImage));
        const naiveBuildPush = async (tag: string) => {
            await shAsync(
                "docker",
                ["build", "--network=host", "-q", `--file=${dockerfile}`, `--tag=${naiveImage}:${tag}`, payload],
                t.env,
            );
            await shAsync("docker", ["push", `${naiveImage}:${tag}`], t.env);
        };

        // First versions, not measured: ours builds the runtime and the application, naive its one image.
        const executor = new Executor(t);
        let started = Date.now();
        const first = await executor.plan(config);
        progress(`first program run (runtime + application built, pushed): ${seconds(Date.now() - started)}`);
        started = Date.now();
        await naiveBuildPush("v1");
        progress(`first naive build + push: ${seconds(Date.now() - started)}`);

        // The one-line change, committed.
        const module = path.join(payload, "model", "m07.py");
        writeFileSync(module, readFileSync(module, "utf8").replace("+ 0)", "+ 0.5)"));
        commitAll(payload, "one line", "2024-03-06T07:08:09Z");
        if (git(payload, ["diff", "--numstat", "HEAD~1", "HEAD"]) !== "1\t1\tmodel/m07.py") {
            throw new Error("the change is not one line");
        }

        // Ours: the whole program, as `pulumi up` runs it (the runtime's trigger is unchanged).
        let before = blobSet(store);
        started = Date.now();
        const second = await executor.plan(config);
        const oursMs = Date.now() - started;
        if (
            second.runtime.built ||
            !second.application.built ||
            second.runtime.spec.tags[0] !== first.runtime.spec.tags[0]
        ) {
            throw new Error("expected the application alone to be rebuilt");
        }
        const appManifest = await registry.manifest(repo(names.application), second.application.spec.tags[0]);
        const oursUp = uploaded(appManifest, before);
        progress(`one-line change, ours: ${seconds(oursMs)}, ${bytes(oursUp.bytes)} pushed`);

        // Naive: build and push the one image again.
        before = blobSet(store);
        started = Date.now();
        await naiveBuildPush("v2");
        const naiveMs = Date.now() - started;
        const naiveUp = uploaded(await registry.manifest(repo(names.naive), "v2"), before);
        progress(`one-line change, naive: ${seconds(naiveMs)}, ${bytes(naiveUp.bytes)} pushed`);

        // Pulling the application to start a task: with the runtime preloaded (a Fireworker disk
        // image has it) the worker fetches only the layers the runtime lacks, else all of them.
        const runtimeManifest = await registry.manifest(repo(names.runtime), first.runtime.spec.tags[0]);
        const preloadedLayers = new Set(runtimeManifest.layers.map((l) => l.digest));
        const fixed = appManifest.size + appManifest.config.size;
        const cold = fixed + appManifest.layers.reduce((n, l) => n + l.size, 0);
        const missing = appManifest.layers.filter((l) => !preloadedLayers.has(l.digest));
        const warm = fixed + missing.reduce((n, l) => n + l.size, 0);
        // and a real pull into the engine that has the runtime (the application image removed first)
        const appTagged = `${second.application.spec.image}:${second.application.spec.tags[0]}`;
        dockerOk(t, ["rmi", "-f", dockerOk(t, ["image", "inspect", "--format", "{{.Id}}", appTagged])]);
        const pull = await shAsync("docker", ["pull", appTagged], t.env);
        const pulledLayers = (pull.match(/: Pull complete$/gm) ?? []).length;
        const presentLayers = (pull.match(/: Already exists$/gm) ?? []).length;
        progress(
            `pull with the runtime preloaded: ${pulledLayers} layer(s) downloaded, ${presentLayers} already there`,
        );
        if (pulledLayers !== missing.length) {
            throw new Error(
                `docker pull downloaded ${pulledLayers} layers, the registry says ${missing.length} are missing`,
            );
        }

        return [
            {
                name: "Application rebuild after a one-line change: wall time (ours: the whole program run, runtime trigger unchanged; naive: docker build + push), measured once",
                unit: "s",
                ours: [oursMs / 1000],
                baseline: [naiveMs / 1000],
            },
            {
                name: "Application rebuild after a one-line change: bytes pushed to the registry (new blobs: layers, config, manifest)",
                unit: "B",
                ours: [oursUp.bytes],
                baseline: [naiveUp.bytes],
                detail: { ours: `${oursUp.layers} layer`, baseline: `${naiveUp.layers} layers` },
            },
            {
                name: `Bytes a worker pulls to start a task: runtime preloaded vs. not (registry sizes; real pull with the runtime present: ${pulledLayers} of ${appManifest.layers.length} layers downloaded)`,
                unit: "B",
                ours: [warm],
                baseline: [cold],
                detail: { ours: `${missing.length} layer`, baseline: `${appManifest.layers.length} layers` },
            },
        ];
    } finally {
        for (const n of [names.application, names.naive, names.runtime]) {
            removeImages(t, `${t.registry}/${repo(n)}`);
            await registry.deleteRepository(repo(n));
        }
        rmSync(work, { recursive: true, force: true });
    }
}
