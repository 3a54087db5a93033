/**
 * Fixture lab repositories, made by the tests: a lab's repository as the source document's lab
 * keeps it (the payload at the root, requirements.txt at the root, a runtime Dockerfile in
 * cloud/docker/runtime/ built from the root, an application Dockerfile in cloud/docker/wholecell/
 * that compiles a C extension), with a copy of this program checked in either at `infra/`
 * (layout "subfolder") or at the root beside the payload (layout "root").
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { commitAll, git, writeFiles } from "./git";
import { ROOT } from "./plan";
import { repoTempDir } from "./tmp";

export type Layout = "subfolder" | "root";

export interface Lab {
    /** The lab's repository. */
    root: string;
    /** The program's folder in it. */
    program: string;
    /** The payload folder (the application's context). */
    payload: string;
    /** Settings paths from the program's folder to the lab's files. */
    up: string;
}

/** The program's files a lab checks in (node_modules is linked, not copied). */
const PROGRAM = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components", "lib", "scripts"];

const FASTMATH_C = `#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *twice(PyObject *self, PyObject *args) {
    long x;
    if (!PyArg_ParseTuple(args, "l", &x)) return NULL;
    return PyLong_FromLong(2 * x);
}

static PyMethodDef methods[] = {{"twice", twice, METH_VARARGS, "2x"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fastmath", NULL, -1, methods};
PyMODINIT_FUNC PyInit_fastmath(void) { return PyModule_Create(&module); }
`;

const MAKEFILE = `EXT := fastmath$(shell python3-config --extension-suffix)

compile: $(EXT)

$(EXT): fastmath.c
\tgcc -shared -fPIC -O2 $(shell python3-config --includes) fastmath.c -o $(EXT)

clean:
\trm -f fastmath*.so
`;

const MAIN_PY = `import os
import fastmath

print("twice", fastmath.twice(21))
for name in ("OPENBLAS_NUM_THREADS", "PYTHONPATH", "COMPILE_MODE", "IMAGE_GIT_HASH", "IMAGE_GIT_BRANCH", "IMAGE_TIMESTAMP"):
    print(name, os.environ.get(name, "(unset)"))
`;

/** The runtime the lab builds from the repository root: python3 and a compiler, from apt. */
export function runtimeDockerfile(base: string): string {
    return [
        `ARG from=${base}`,
        "FROM ${from}",
        "COPY requirements.txt /requirements.txt",
        "RUN apt-get update \\",
        "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-dev gcc libc6-dev make \\",
        "    && rm -rf /var/lib/apt/lists/*",
        "ENV OPENBLAS_NUM_THREADS=1",
        "",
    ].join("\n");
}

/** The application: the whole payload, a compile step, ENV, a build argument, the git facts. */
export const APPLICATION_DOCKERFILE = [
    "ARG from=wcm-runtime:1",
    "FROM ${from}",
    'ARG git_hash=""',
    'ARG git_branch=""',
    'ARG timestamp=""',
    "ARG COMPILE_MODE=fast",
    'ENV IMAGE_GIT_HASH="$git_hash" IMAGE_GIT_BRANCH="$git_branch" IMAGE_TIMESTAMP="$timestamp"',
    'ENV COMPILE_MODE="$COMPILE_MODE" PYTHONPATH=/wcm',
    "COPY . /wcm",
    "WORKDIR /wcm",
    "RUN make clean compile",
    'CMD ["python3", "main.py"]',
    "",
].join("\n");

/**
 * A lab repository with the program in `layout`, committed at a fixed date. The payload is the
 * repository root ("subfolder") or `wcm/` ("root", where the program's files are at the root).
 */
export function makeLab(layout: Layout, baseImage: string): Lab {
    const root = repoTempDir(`lab-${layout}-`);
    const program = layout === "subfolder" ? path.join(root, "infra") : root;
    const payload = layout === "subfolder" ? root : path.join(root, "wcm");
    fs.mkdirSync(program, { recursive: true });
    fs.mkdirSync(payload, { recursive: true });
    for (const entry of PROGRAM) {
        fs.cpSync(path.join(ROOT, entry), path.join(program, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(program, "node_modules"));
    fs.writeFileSync(
        path.join(program, ".gitignore"),
        "node_modules\n.fireworker/\n.pulumi-state/\n.fireworker-drive.js\n",
    );
    writeFiles(payload, {
        "fastmath.c": FASTMATH_C,
        Makefile: MAKEFILE,
        "main.py": MAIN_PY,
        ".dockerignore": ".git\n*.so\nsource-info/\n",
        ".gcloudignore": "#!include:.dockerignore\n",
    });
    writeFiles(root, {
        "requirements.txt": "# the lab's pips (none: this runtime installs python3 from Debian)\n",
        "cloud/docker/runtime/Dockerfile": runtimeDockerfile(baseImage),
        "cloud/docker/wholecell/Dockerfile": APPLICATION_DOCKERFILE,
    });
    git(root, ["init", "-q", "-b", "main"]);
    commitAll(root, "the lab", "2024-05-06T07:08:09Z");
    return { root, program, payload, up: layout === "subfolder" ? ".." : "." };
}

/** Writes the program's stack file `Pulumi.<stack>.yaml` (config without the namespace). */
export function writeStack(lab: Lab, stack: string, config: Record<string, unknown>): void {
    const doc = {
        config: Object.fromEntries(
            Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `fireworker-images:${k}`, v]),
        ),
    };
    fs.mkdirSync(path.join(lab.program, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(lab.program, "stacks", `Pulumi.${stack}.yaml`), stringify(doc));
}

/** The lab's program, run the way a lab runs it: `npm run --silent plan -- <stack>` in its folder. */
export function planLab(lab: Lab, stack: string): { status: number | null; plan?: unknown; stderr: string } {
    const r = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/plan.ts", stack], {
        cwd: lab.program,
        encoding: "utf8",
        maxBuffer: 64 << 20,
    });
    return { status: r.status, plan: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/** A driver the lab's program runs: its plan, with each image build really run on the engine. */
const DRIVER = `
const { planStack } = require("./lib/plan/offlinePlan");
const { resolveStackFile, stackConfig } = require("./lib/plan/stackFile");
const { buildSpecFromEnvironment } = require("./lib/build/buildSpec");
const { runBuild } = require("./lib/build/runBuild");
const { resolveWithEngine } = require("./lib/build/resolveBase");
(async () => {
    const { stack, file } = resolveStackFile(process.argv[process.argv.length - 1]);
    const builds = {};
    const plan = await planStack(stack, stackConfig(file), {
        execute: async (env) => {
            const spec = buildSpecFromEnvironment(env);
            const result = await runBuild(spec, { projectRoot: __dirname, network: "host", log: process.stderr });
            builds[spec.kind] = { spec, result };
            return result;
        },
        resolveBase: (reference) => resolveWithEngine(reference),
    });
    process.stdout.write(JSON.stringify({ plan, builds }));
})().catch((err) => {
    process.stderr.write(String(err.stack || err));
    process.exit(1);
});
`;

export interface LabBuild {
    spec: { image: string; tags: string[]; buildArgs: Record<string, string> };
    result: { digest: string; reference: string };
}

/** Runs the lab's program with real builds on the engine in `env` (DOCKER_HOST, ...). */
export function buildLab(
    lab: Lab,
    stack: string,
    env: NodeJS.ProcessEnv,
): { plan: { outputs: Record<string, string> }; builds: Record<"runtime" | "application", LabBuild> } {
    fs.writeFileSync(path.join(lab.program, ".fireworker-drive.js"), DRIVER);
    const r = spawnSync(
        process.execPath,
        ["--require", "ts-node/register/transpile-only", ".fireworker-drive.js", stack],
        { cwd: lab.program, encoding: "utf8", env, maxBuffer: 64 << 20, timeout: 900_000 },
    );
    if (r.status !== 0) {
        throw new Error(`the lab's program failed (${r.status}):\n${r.stderr.split("\n").slice(-40).join("\n")}`);
    }
    return JSON.parse(r.stdout);
}
