import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { collectContext } from "../../../lib/build/context";
import { contextFilter, gcloudIgnoreLines } from "../../../lib/build/ignoreFiles";

function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-ignore-"));
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
            "a Docker name matches only at the root (out), gitignore's anywhere",
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
            "gitignore directory rules in .gcloudignore (data/, leading /, a **/ rule)",
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

describe("ignore files read directly", () => {
    it("gcloud's defaults without a .gcloudignore, plus the .gitignore's rules when there is one", () => {
        assert.deepEqual(gcloudIgnoreLines(tree({ "a.py": "" })), [".gcloudignore", ".git", ".gitignore"]);
        assert.deepEqual(gcloudIgnoreLines(tree({ ".gitignore": "out/\n*.pyc\n" })), [
            ".gcloudignore",
            ".git",
            ".gitignore",
            "out/",
            "*.pyc",
            "",
        ]);
    });

    it("expands #!include: in place", () => {
        const dir = tree({ ".gcloudignore": "a\n#!include:.dockerignore\nb\n", ".dockerignore": "x\ny\n" });
        assert.deepEqual(gcloudIgnoreLines(dir), ["a", "x", "y", "", "b", ""]);
    });

    it("a filter answers for files and directories, and knows where an exception may re-include", () => {
        const dir = tree({ ".dockerignore": "out\nlogs/*\n!logs/keep.txt\n" });
        const f = contextFilter(dir);
        assert.equal(f.excludes("out", true), true);
        assert.equal(f.excludes("main.py", false), false);
        assert.equal(f.excludes("logs/a.txt", false), true);
        assert.equal(f.excludes("logs/keep.txt", false), false);
        assert.equal(f.mayReinclude("logs"), true);
        assert.equal(f.mayReinclude("out"), false);
    });
});
