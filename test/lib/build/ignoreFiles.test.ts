// lib/build/ignoreFiles.ts through the context it selects (lib/build/context.ts): both tools'
// filters at once, replayed against the real tools' recorded answers; ignore files read safely,
// every problem one line naming the file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { collectContext } from "../../../lib/build/context";
import { IGNORE_CASES, readGolden, type Selection, treeJson } from "../../support/ignoreCases";
import { assertSameSelection, caseTree, expectedOfBoth, OUR_REFUSALS, tempDir } from "../../support/ignoreReplay";
import { patchSetting, planCli, planOf, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

function tree(files: Record<string, string>): string {
    const dir = tempDir("fw-ignore-");
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
}

const listed = (dir: string) => collectContext({ kind: "directory", dir }, "/").map((e) => e.path);

describe("ignore files (lib/build/ignoreFiles.ts) through the context they select", () => {
    const payload = {
        "main.py": "print(1)\n",
        "pkg/mod.py": "x = 1\n",
        "pkg/mod.pyc": "bytecode",
        "pkg/__pycache__/mod.cpython-311.pyc": "bytecode",
        "deep/a/b/__pycache__/c.pyc": "bytecode",
        "fixtures/big.dat": "big",
        "fixtures/keep.json": "{}",
        "out/result.txt": "output",
        "sub/out/kept.txt": "a nested out is not /out",
        "notes.md": "notes",
        "data/raw/1.csv": "1",
        ".git/HEAD": "ref: refs/heads/main",
        ".gitignore": "*.log\n",
        "debug.log": "log",
    };
    // [what, .dockerignore, .gcloudignore (undefined: none), expected file list]
    const table: [string, string | undefined, string | undefined, string[]][] = [
        [
            "Docker patterns with ** and ! exceptions, included into .gcloudignore",
            ".git*\n.gcloudignore\n**/*.pyc\n**/__pycache__\nfixtures/*\n!fixtures/keep.json\n/out\n",
            "#!include:.dockerignore\n",
            // .dockerignore itself is uploaded (Docker reads it); the packed context replaces it
            [
                ".dockerignore",
                "data/raw/1.csv",
                "debug.log",
                "fixtures/keep.json",
                "main.py",
                "notes.md",
                "pkg/mod.py",
                "sub/out/kept.txt",
            ],
        ],
        [
            "a Docker name matches only at the root (out), a gcloud one anywhere",
            "out\n",
            "notes.md\n",
            // an explicit .gcloudignore replaces gcloud's defaults: .git and itself are uploaded unless listed
            [
                ".dockerignore",
                ".gcloudignore",
                ".git/HEAD",
                ".gitignore",
                "data/raw/1.csv",
                "debug.log",
                "deep/a/b/__pycache__/c.pyc",
                "fixtures/big.dat",
                "fixtures/keep.json",
                "main.py",
                "pkg/__pycache__/mod.cpython-311.pyc",
                "pkg/mod.py",
                "pkg/mod.pyc",
                "sub/out/kept.txt",
            ],
        ],
        [
            "folder rules in .gcloudignore (data/, leading /, a **/ rule)",
            undefined,
            "data/\n/main.py\n**/__pycache__/\n.git\n",
            [
                ".gcloudignore",
                ".gitignore",
                "debug.log",
                "fixtures/big.dat",
                "fixtures/keep.json",
                "notes.md",
                "out/result.txt",
                "pkg/mod.py",
                "pkg/mod.pyc",
                "sub/out/kept.txt",
            ],
        ],
        [
            "without .gcloudignore, gcloud's defaults and the .gitignore rules",
            undefined,
            undefined,
            [
                "data/raw/1.csv",
                "deep/a/b/__pycache__/c.pyc",
                "fixtures/big.dat",
                "fixtures/keep.json",
                "main.py",
                "notes.md",
                "out/result.txt",
                "pkg/__pycache__/mod.cpython-311.pyc",
                "pkg/mod.py",
                "pkg/mod.pyc",
                "sub/out/kept.txt",
            ],
        ],
        [
            "a Docker exception re-includes a file inside an excluded directory",
            "data\n!data/raw/1.csv\n.git\n",
            ".gcloudignore\n",
            [
                ".dockerignore",
                ".gitignore",
                "data/raw/1.csv",
                "debug.log",
                "deep/a/b/__pycache__/c.pyc",
                "fixtures/big.dat",
                "fixtures/keep.json",
                "main.py",
                "notes.md",
                "out/result.txt",
                "pkg/__pycache__/mod.cpython-311.pyc",
                "pkg/mod.py",
                "pkg/mod.pyc",
                "sub/out/kept.txt",
            ],
        ],
    ];
    for (const [what, dockerignore, gcloudignore, expected] of table) {
        it(what, () => {
            const files: Record<string, string> = { ...payload };
            if (dockerignore !== undefined) files[".dockerignore"] = dockerignore;
            if (gcloudignore !== undefined) files[".gcloudignore"] = gcloudignore;
            assert.deepEqual(listed(tree(files)), expected);
        });
    }
});

describe("ignore files: every hand-picked case, against both real tools' recorded answers", () => {
    it("the recording is of these very trees, and of every case", () => {
        const recorded = new Map(readGolden().map((r) => [r.name, r]));
        for (const c of IGNORE_CASES) {
            assert.deepEqual(recorded.get(c.name)?.tree, treeJson(c.tree), `${c.name}: re-record with UPDATE_GOLDEN=1`);
        }
        assert.equal(recorded.size, IGNORE_CASES.length);
    });

    it("we refuse where a tool answers only where we mean to, and say why", () => {
        for (const [name, r] of Object.entries(OUR_REFUSALS)) {
            assert.ok(
                IGNORE_CASES.some((c) => c.name === name),
                name,
            );
            assert.ok(r.why.length > 20, name);
        }
    });

    // uploaded: what gcloud builds submit uploads and docker build takes (see ignoreFiles.ts)
    for (const c of IGNORE_CASES) {
        it(`${c.name}: ${c.note}`, () => {
            const dir = caseTree(c);
            assertSameSelection(selection(dir), expectedOfBoth(c), c.name);
        });
    }
});

/** Our selection of a context folder (messages relative to it), or our refusal. */
function selection(dir: string): Selection {
    try {
        return { files: collectContext({ kind: "directory", dir: "." }, dir).map((e) => e.path) };
    } catch (err) {
        return { error: (err as Error).message };
    }
}

/** A context folder `payload` in a fresh repository (a folder holding .git) with `files`. */
function repo(files: Record<string, string>): { root: string; dir: string } {
    const root = tempDir("fw-ignore-repo-");
    fs.mkdirSync(path.join(root, ".git"));
    const dir = path.join(root, "payload");
    fs.mkdirSync(dir);
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    return { root, dir };
}

/** The one line collectContext refuses the payload with (paths relative to the repository). */
function refused(root: string): string {
    try {
        collectContext({ kind: "directory", dir: "payload" }, root);
    } catch (err) {
        return (err as Error).message;
    }
    return "accepted";
}

describe("ignore files are read safely: regular files in the repository, each problem one line", () => {
    it("a .dockerignore or .gcloudignore that is a folder", () => {
        const a = repo({ "main.py": "", ".dockerignore/x": "" });
        assert.equal(refused(a.root), "payload/.dockerignore is a directory, not a file");
        const b = repo({ "main.py": "", ".gcloudignore/x": "" });
        assert.equal(refused(b.root), "payload/.gcloudignore is a directory, not a file");
    });

    it("a .dockerignore that is a symlink to /dev/zero, or to a file outside the repository", () => {
        const a = repo({ "main.py": "" });
        fs.symlinkSync("/dev/zero", path.join(a.dir, ".dockerignore"));
        assert.equal(
            refused(a.root),
            "payload/.dockerignore leads outside the repository through a symlink; paths must stay inside it",
        );
        const b = repo({ "main.py": "" });
        const outside = path.join(tempDir("fw-outside-"), "ignore");
        fs.writeFileSync(outside, "x\n");
        fs.symlinkSync(outside, path.join(b.dir, ".gcloudignore"));
        assert.equal(
            refused(b.root),
            "payload/.gcloudignore leads outside the repository through a symlink; paths must stay inside it",
        );
    });

    it("a .dockerignore that is a symlink to a FIFO inside the repository", () => {
        const a = repo({ "main.py": "" });
        fs.symlinkSync("../fifo", path.join(a.dir, ".dockerignore"));
        assert.equal(spawnSync("mkfifo", [path.join(a.root, "fifo")]).status, 0);
        assert.equal(refused(a.root), "payload/.dockerignore is a FIFO, not a regular file");
    });

    it("a symlink to nothing is no ignore file, as for both tools; one inside the repository is read", () => {
        const a = repo({ "main.py": "", "shared/ignore": "main.py\n" });
        fs.symlinkSync("missing", path.join(a.dir, ".dockerignore"));
        assert.equal(refused(a.root), "accepted");
        fs.symlinkSync("shared/ignore", path.join(a.dir, ".gcloudignore"));
        // the broken .dockerignore is not uploaded either (gcloud drops broken symlinks)
        assert.deepEqual(
            collectContext({ kind: "directory", dir: "payload" }, a.root).map((e) => e.path),
            [".gcloudignore", "shared/ignore"],
        );
    });

    it("a symlink loop: no .git or .gitignore for gcloud's defaults (os.path.exists), a problem as an ignore file", () => {
        const a = repo({ "main.py": "" });
        fs.symlinkSync(".gitignore", path.join(a.dir, ".gitignore"));
        fs.symlinkSync(".git", path.join(a.dir, ".git"));
        assert.equal(refused(a.root), "accepted");
        fs.symlinkSync(".dockerignore", path.join(a.dir, ".dockerignore"));
        assert.equal(refused(a.root), "payload/.dockerignore is a symlink loop");
    });

    it("#!include: of a missing file, of a folder, with a /, or of a symlink leaving the repository", () => {
        assert.equal(
            refused(repo({ ".gcloudignore": "a\n#!include:missing\n" }).root),
            "payload/.gcloudignore:2: #!include:missing: payload/missing does not exist",
        );
        assert.equal(
            refused(repo({ ".gcloudignore": "#!include:sub\n", "sub/x": "" }).root),
            "payload/.gcloudignore:1: #!include:sub: payload/sub is a directory, not a file",
        );
        assert.equal(
            refused(repo({ ".gcloudignore": "#!include:sub/x\n", "sub/x": "" }).root),
            "payload/.gcloudignore:1: #!include:sub/x may only include files in the same directory",
        );
        const a = repo({ ".gcloudignore": "#!include:inc\n" });
        fs.symlinkSync("/etc/hostname", path.join(a.dir, "inc"));
        assert.equal(
            refused(a.root),
            "payload/.gcloudignore:1: #!include:inc: payload/inc leads outside the repository through a symlink; paths must stay inside it",
        );
        assert.equal(
            refused(repo({ ".gitignore/x": "" }).root),
            "payload/.gitignore is a directory, not a file (without a .gcloudignore, gcloud reads the .gitignore)",
        );
    });

    it("too large, or not UTF-8", () => {
        assert.equal(
            refused(repo({ ".dockerignore": "x".repeat(2 << 20) }).root),
            "payload/.dockerignore is larger than 1048576 bytes",
        );
        const a = repo({});
        fs.writeFileSync(path.join(a.dir, ".gcloudignore"), Buffer.from([0x61, 0xff, 0x0a]));
        assert.equal(refused(a.root), "payload/.gcloudignore is not UTF-8 text");
    });

    it("a pattern Docker refuses", () => {
        assert.equal(
            refused(repo({ ".dockerignore": "a\n!\n" }).root),
            'payload/.dockerignore:2: "!" alone is not a pattern; Docker refuses it',
        );
    });
});

describe("ignore-file problems through the plan", function () {
    this.timeout(120000);

    /** The application's context in a folder of this repository, with `files`. */
    function payload(files: Record<string, string>): { dir: string; rel: string } {
        const dir = repoTempDir("ignore-");
        for (const [name, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
            fs.writeFileSync(path.join(dir, name), text);
        }
        return { dir, rel: path.relative(ROOT, dir).split(path.sep).join("/") };
    }

    it("one settings line naming the file and line", async () => {
        const { rel } = payload({ "main.py": "", ".gcloudignore": "a\n#!include:sub/x\n" });
        const lines = await planOf("local", patchSetting("local", "application", { context: rel })).then(
            () => [],
            (err: Error) => err.message.split("\n"),
        );
        assert.deepEqual(lines, [
            `fireworker-images:application.context: ${rel}/.gcloudignore:2: #!include:sub/x may only include files in the same directory`,
        ]);
    });

    it("a .dockerignore that is a symlink to /dev/zero: exit 2 and one line, at once", () => {
        const { dir, rel } = payload({ "main.py": "" });
        fs.symlinkSync("/dev/zero", path.join(dir, ".dockerignore"));
        const stack = path.join(tempDir("fw-plan-"), "Pulumi.t.yaml");
        fs.writeFileSync(
            stack,
            `config:\n  fireworker-images:mode: local\n  fireworker-images:application:\n    context: ${rel}\n`,
        );
        const r = planCli(stack, { timeout: 60000 });
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            `fireworker-images:application.context: ${rel}/.dockerignore leads outside the repository through a symlink; paths must stay inside it\n`,
        );
    });
});
