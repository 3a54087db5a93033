// What each build of a plan reads (lib/plan/buildInputs.ts), from real trees and real build specs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type BuildSpec, buildSpecToEnvironment } from "../../../lib/build/buildSpec";
import { collectContext, hashContext, hashEntries } from "../../../lib/build/context";
import { packedSize } from "../../../lib/build/pack";
import { renderApplicationDockerfile, renderRuntimeDockerfile } from "../../../lib/build/renderDockerfile";
import {
    contextManifest,
    dockerfileLayers,
    isRequirementsFile,
    manifestFiles,
    manifestLine,
    parseManifestLine,
    plannedBuildSchema,
    recordBuild,
    requirementLines,
} from "../../../lib/plan/buildInputs";
import { writeFiles } from "../../support/git";

const sha12 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** A tree under a temporary folder, made under `umask`; returns its path. */
function tree(files: Record<string, string>, umask = 0o022, executable: string[] = []): string {
    const previous = process.umask(umask);
    try {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-inputs-"));
        writeFiles(dir, files);
        for (const f of executable) fs.chmodSync(path.join(dir, f), 0o777 & ~umask);
        return dir;
    } finally {
        process.umask(previous);
    }
}

async function manifestOf(dir: string, limit?: number) {
    const entries = collectContext({ kind: "directory", dir }, "/");
    return contextManifest(entries, await hashEntries(entries), limit);
}

describe("what a build reads (lib/plan/buildInputs.ts)", () => {
    const dirs: string[] = [];
    const made = (d: string) => {
        dirs.push(d);
        return d;
    };
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    describe("the context manifest", () => {
        it("lists each file as path, size and 12 hex of its sha256, with x for executables and l for symlinks", async () => {
            const dir = made(
                tree({ "main.py": "print(1)\n", "run.sh": "#!/bin/sh\n", "lib/x.py": "" }, 0o022, ["run.sh"]),
            );
            fs.symlinkSync("main.py", path.join(dir, "link"));
            const m = await manifestOf(dir);
            assert.deepEqual(m.entries, [
                `lib/x.py 0 ${sha12("")}`,
                `link 0 ${sha12("symlink:main.py")} l`,
                `main.py 9 ${sha12("print(1)\n")}`,
                `run.sh 10 ${sha12("#!/bin/sh\n")} x`,
            ]);
            assert.equal(m.files, 4);
            assert.equal(m.bytes, 19);
            assert.equal(m.digest, await hashContext(collectContext({ kind: "directory", dir }, "/")));
            assert.equal(m.folders, undefined);
        });

        it("is the same under another umask: only the exec bit of a mode counts", async () => {
            const files = { "a.py": "a\n", "bin/tool": "#!/bin/sh\n" };
            const a = await manifestOf(made(tree(files, 0o022, ["bin/tool"])));
            const b = await manifestOf(made(tree(files, 0o077, ["bin/tool"])));
            assert.deepEqual(a, b);
            assert.ok(a.entries.includes(`bin/tool 10 ${sha12("#!/bin/sh\n")} x`));
        });

        it("beyond the limit lists its biggest folders as one line each, and still names every file", async () => {
            const files: Record<string, string> = {
                "main.py": "m\n",
                "README.md": "r\n",
                "src/a.py": "a\n",
                "src/b.py": "b\n",
            };
            for (let i = 0; i < 12; i++) files[`data/part-${String(i).padStart(2, "0")}.csv`] = `${i}\n`;
            for (let i = 0; i < 4; i++) files[`data/raw/r${i}.bin`] = `raw ${i}\n`;
            files["odd/we\\ird\nname.txt"] = "odd\n";
            const dir = made(tree(files));
            const full = await manifestOf(dir);
            assert.equal(full.entries.length, 21);
            const small = await manifestOf(dir, 8);
            // data/ (16 files) stays one line; the rest is listed file by file
            assert.deepEqual(small.entries, [
                `README.md 2 ${sha12("r\n")}`,
                `main.py 2 ${sha12("m\n")}`,
                `odd/we\\ird\nname.txt 4 ${sha12("odd\n")}`,
                `src/a.py 2 ${sha12("a\n")}`,
                `src/b.py 2 ${sha12("b\n")}`,
            ]);
            assert.equal(small.folders?.length, 1);
            const data = small.folders?.[0];
            assert.equal(data?.path, "data/");
            assert.equal(data?.files, 16);
            assert.equal(data?.bytes, 10 * 2 + 2 * 3 + 4 * 6);
            assert.equal(small.entries.length + (small.folders?.length ?? 0) <= 8, true);
            assert.deepEqual(manifestFiles(small), manifestFiles(full));
            assert.equal(manifestFiles(full).size, 21);
            assert.equal(small.digest, full.digest);
            // names with a backslash or a newline survive a folder's index (here the whole context's)
            const tight = await manifestOf(dir, 3);
            assert.deepEqual(
                tight.folders?.map((f) => f.path),
                ["./"],
            );
            assert.ok(tight.folders?.[0].index.split("\n").includes(`odd/we\\\\ird\\nname.txt 4 ${sha12("odd\n")}`));
            assert.deepEqual(manifestFiles(tight), manifestFiles(full));
        });

        it("a folder too big to open leaves the whole context as one line, ./", async () => {
            const files: Record<string, string> = {};
            for (let i = 0; i < 6; i++) files[`f${i}.txt`] = `${i}`;
            const m = await manifestOf(made(tree(files)), 5);
            assert.deepEqual(m.entries, []);
            assert.equal(m.folders?.length, 1);
            assert.equal(m.folders?.[0].path, "./");
            assert.equal(m.folders?.[0].files, 6);
            assert.equal(m.folders?.[0].index.split("\n")[0], `f0.txt 1 ${sha12("0")}`);
            assert.equal(manifestFiles(m).size, 6);
        });

        it("an empty context lists nothing", async () => {
            const m = contextManifest([], []);
            assert.deepEqual(m.entries, []);
            assert.equal(m.files, 0);
            assert.equal(m.folders, undefined);
        });

        it("reads its lines back, paths with spaces and look-alike endings included", () => {
            for (const p of ["a b.txt", "x 5 abcdefabcdef", "ends with x", "-", "a 1 0123456789ab x", "new\nline"]) {
                for (const flag of ["", "x", "l"] as const) {
                    const fact = { size: 42, hash: "0123456789ab", flag };
                    assert.deepEqual(parseManifestLine(manifestLine(p, fact)), { path: p, ...fact });
                }
            }
            assert.equal(parseManifestLine("no size or hash"), undefined);
            assert.equal(parseManifestLine("a 12 0123456789AB"), undefined);
        });
    });

    describe("requirements and layers", () => {
        it("requirement lines: comments, blank lines and continuations as pip reads them", () => {
            const text = [
                "# Python requirements",
                "numpy==1.26.4",
                "",
                "scipy>=1.11  # for the solver",
                "pandas \\",
                "  ==2.2.0",
                "git+https://example.org/lib.git#egg=lib",
                "   ",
                "--index-url https://pypi.example.org/simple",
            ].join("\n");
            assert.deepEqual(requirementLines(text), [
                "numpy==1.26.4",
                "scipy>=1.11",
                "pandas   ==2.2.0",
                "git+https://example.org/lib.git#egg=lib",
                "--index-url https://pypi.example.org/simple",
            ]);
            assert.deepEqual(requirementLines("\r\n# only a comment\r\n"), []);
        });

        it("requirements files by name", () => {
            for (const yes of ["requirements.txt", "requirements-dev.txt", "deps/requirements.in"])
                assert.ok(isRequirementsFile(yes), yes);
            for (const no of ["main.py", "requirements.txt.bak", "my-requirements.txt", "requirements/base.txt"])
                assert.ok(!isRequirementsFile(no), no);
        });

        it("layers: the RUN, COPY and ADD of the last stage", () => {
            const runtime = renderRuntimeDockerfile({
                base: "python:3.11-slim-bookworm",
                buildArgs: [],
                env: {},
                aptPackages: ["swig"],
                pipSteps: [],
                requirements: { layout: "file" },
                writableDirs: ["/.cache"],
            });
            assert.equal(dockerfileLayers(runtime), 4);
            const app = renderApplicationDockerfile({
                runtimeRepository: "r/runtime",
                buildArgs: [],
                env: {},
                workdir: "/app",
                run: [],
                cmd: ["python", "main.py"],
            });
            assert.equal(dockerfileLayers(app), 1);
            assert.equal(
                dockerfileLayers("FROM a AS build\nRUN make\nRUN make install\nFROM b\nCOPY --from=build /x /x\n"),
                1,
            );
            assert.equal(dockerfileLayers("FROM scratch\n"), 0);
        });
    });

    describe("recordBuild", () => {
        const spec = (over: Partial<BuildSpec> = {}): Record<string, string> =>
            buildSpecToEnvironment({
                kind: "runtime",
                builder: "docker",
                image: "fireworker/runtime",
                tags: ["0123456789abcdef0123"],
                contextDigest: "0".repeat(64),
                context: { kind: "files", files: [{ src: "payload/requirements.txt", dest: "requirements.txt" }] },
                dockerfile:
                    "FROM python:3.11-slim-bookworm\nCOPY requirements.txt /tmp/\nRUN pip install --no-cache-dir -r /tmp/requirements.txt\n",
                buildArgs: { from: "python:3.11-slim-bookworm" },
                push: false,
                ...over,
            });

        it("records the manifest, requirement lines, layers, FROM and the packed size of a runtime build", async () => {
            const root = made(
                tree({ "payload/requirements.txt": "numpy==1.26.4\n# pinned\nscipy\n", "payload/main.py": "" }),
            );
            const entries = collectContext(
                { kind: "files", files: [{ src: "payload/requirements.txt", dest: "requirements.txt" }] },
                root,
            );
            const digest = await hashContext(entries);
            const environment = spec({ contextDigest: digest });
            const b = await recordBuild(
                { name: "runtime-build", parent: "runtime", kind: "runtime", environment },
                root,
            );
            assert.deepEqual(b, {
                name: "runtime-build",
                parent: "runtime",
                kind: "runtime",
                builder: "docker",
                image: "fireworker/runtime",
                from: "python:3.11-slim-bookworm",
                layers: 2,
                upload: await packedSize(entries, environment.FW_DOCKERFILE),
                context: {
                    digest,
                    files: 1,
                    bytes: 29,
                    entries: [`requirements.txt 29 ${sha12("numpy==1.26.4\n# pinned\nscipy\n")}`],
                },
                requirements: [{ file: "requirements.txt", lines: ["numpy==1.26.4", "scipy"] }],
            });
            // an application build reads the same files but records no requirements
            const app = await recordBuild({ name: "a", parent: "application", kind: "application", environment }, root);
            assert.equal(app.requirements, undefined);
        });

        it("records each requirements layer: its files, their digest, and its file's lines whatever its name", async () => {
            const root = made(
                tree({
                    "payload/numerical.txt": "-c constraints.txt\nnumpy==1.26.4\n",
                    "payload/constraints.txt": "numpy<2\n",
                    "payload/dev.txt": "requests==2.32.3\n",
                }),
            );
            const context: BuildSpec["context"] = {
                kind: "files",
                files: [
                    { src: "payload/numerical.txt", dest: "requirements/1/numerical.txt" },
                    { src: "payload/constraints.txt", dest: "requirements/1/constraints.txt" },
                    { src: "payload/dev.txt", dest: "requirements/2/dev.txt" },
                ],
            };
            const entries = collectContext(context, root);
            const layer = (files: string[]) =>
                hashContext(
                    collectContext({ kind: "files", files: context.files.filter((f) => files.includes(f.dest)) }, root),
                );
            const environment = spec({
                contextDigest: await hashContext(entries),
                context,
                requirementLayers: [
                    { dir: "requirements/1", main: "numerical.txt" },
                    { dir: "requirements/2", main: "dev.txt" },
                ],
            });
            const b = await recordBuild(
                { name: "runtime-build", parent: "runtime", kind: "runtime", environment },
                root,
            );
            assert.deepEqual(b.requirementLayers, [
                {
                    layer: 1,
                    main: "requirements/1/numerical.txt",
                    files: ["requirements/1/constraints.txt", "requirements/1/numerical.txt"],
                    digest: await layer(["requirements/1/numerical.txt", "requirements/1/constraints.txt"]),
                },
                {
                    layer: 2,
                    main: "requirements/2/dev.txt",
                    files: ["requirements/2/dev.txt"],
                    digest: await layer(["requirements/2/dev.txt"]),
                },
            ]);
            assert.deepEqual(b.requirements, [
                { file: "requirements/1/numerical.txt", lines: ["-c constraints.txt", "numpy==1.26.4"] },
                { file: "requirements/2/dev.txt", lines: ["requests==2.32.3"] },
            ]);
            assert.deepEqual(plannedBuildSchema.parse(b), b);
        });

        it("refuses a context that changed since the program hashed it, with one line", async () => {
            const root = made(tree({ "payload/requirements.txt": "numpy\n" }));
            await assert.rejects(
                recordBuild({ name: "runtime-build", parent: "runtime", kind: "runtime", environment: spec() }, root),
                { message: "plan: the context of fireworker/runtime changed while it was planned; plan again" },
            );
        });
    });
});
