import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ContextSpec, collectContext, contextDigest, hashContext, hashEntries } from "../../../lib/build/context";

function tree(files: Record<string, string>, mode?: Record<string, number>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-ctx-"));
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
        if (mode?.[rel] !== undefined) fs.chmodSync(path.join(dir, rel), mode[rel]);
    }
    return dir;
}

const listed = (dir: string) => collectContext({ kind: "directory", dir }, "/").map((e) => e.path);
const digest = (dir: string) => hashContext(collectContext({ kind: "directory", dir }, "/"));

describe("build context: selection", () => {
    it("never walks an excluded directory that no exception reaches", () => {
        const dir = tree({
            "main.py": "",
            "big/f": "x",
            "big/sub/g": "y",
            "keep/h": "z",
            ".dockerignore": "big\nkeep/*\n!keep/h\n",
            ".gcloudignore": "#!include:.dockerignore\n.gcloudignore\n.dockerignore\n",
        });
        const read: string[] = [];
        // Spy on node:fs itself, then load lib/build/context.ts afresh: the namespace object its
        // `import * as fs` gets is a live view under tsc's emit but a copy under SWC's, made when
        // the module loads, so the spy must be in place before it does.
        const nodeFs = require("node:fs") as { readdirSync: unknown };
        const original = nodeFs.readdirSync as (p: fs.PathLike, o?: unknown) => unknown;
        const modulePath = require.resolve("../../../lib/build/context");
        const cached = require.cache[modulePath];
        nodeFs.readdirSync = (p: fs.PathLike, o?: unknown) => {
            read.push(path.relative(dir, String(p)) || ".");
            return original(p, o);
        };
        try {
            delete require.cache[modulePath];
            const fresh = require(modulePath) as typeof import("../../../lib/build/context");
            const names = fresh.collectContext({ kind: "directory", dir }, "/").map((e) => e.path);
            assert.deepEqual(names, ["keep/h", "main.py"]);
        } finally {
            nodeFs.readdirSync = original;
            require.cache[modulePath] = cached;
        }
        assert.deepEqual(read.sort(), [".", "keep"]);
    });

    it("keeps names as they are: a leading U+FEFF, a folder named ..x", () => {
        const dir = tree({ a: "", "\ufeffa": "", "..x/b": "" });
        fs.symlinkSync("../..x/b", path.join(dir, "..x", "c"));
        assert.deepEqual(listed(dir), ["..x/b", "..x/c", "a", "\ufeffa"]);
    });

    it("places named files where the Dockerfile expects them", () => {
        const dir = tree({ "reqs/runtime.txt": "numpy\n", "scripts/a.sh": "echo\n" });
        const spec: ContextSpec = {
            kind: "files",
            files: [
                { src: "reqs/runtime.txt", dest: "requirements.txt" },
                { src: "scripts", dest: "scripts" },
            ],
        };
        assert.deepEqual(
            collectContext(spec, dir).map((e) => e.path),
            ["requirements.txt", "scripts/a.sh"],
        );
    });
});

describe("build context: hashing", () => {
    const files = { "main.py": "print(1)\n", "run.sh": "#!/bin/sh\n", "lib/x.py": "x = 1\n" };

    it("is the same across umask, mtime and clone path", async () => {
        const a = tree(files, { "main.py": 0o644, "run.sh": 0o755 });
        const b = tree(files, { "main.py": 0o664, "run.sh": 0o775 }); // another umask
        const when = new Date("2001-02-03T04:05:06Z");
        fs.utimesSync(path.join(b, "main.py"), when, when);
        assert.notEqual(a, b);
        assert.equal(await digest(a), await digest(b));
    });

    it("is the same for two git clones made under different umasks", async () => {
        const src = tree(files, { "run.sh": 0o755 });
        const git = (cwd: string, ...args: string[]) =>
            execFileSync("git", args, {
                cwd,
                stdio: "ignore",
                env: {
                    ...process.env,
                    GIT_AUTHOR_NAME: "t",
                    GIT_AUTHOR_EMAIL: "t@e.org",
                    GIT_COMMITTER_NAME: "t",
                    GIT_COMMITTER_EMAIL: "t@e.org",
                },
            });
        git(src, "init", "-q");
        git(src, "add", ".");
        git(src, "commit", "-qm", "x");
        const clone = (umask: string) => {
            const dst = fs.mkdtempSync(path.join(os.tmpdir(), "fw-clone-"));
            execFileSync("bash", ["-c", `umask ${umask} && git clone -q "$0" "$1"`, src, path.join(dst, "c")]);
            return path.join(dst, "c");
        };
        const c1 = clone("022");
        const c2 = clone("002");
        assert.notEqual(fs.statSync(path.join(c1, "main.py")).mode, fs.statSync(path.join(c2, "main.py")).mode);
        assert.equal(await digest(c1), await digest(c2));
    });

    it("changes with content, the executable bit, a rename and a symlink target", async () => {
        const base = await digest(tree(files));
        assert.notEqual(await digest(tree({ ...files, "main.py": "print(2)\n" })), base);
        assert.notEqual(await digest(tree(files, { "main.py": 0o755 })), base);
        const { "lib/x.py": x, ...rest } = files;
        assert.notEqual(await digest(tree({ ...rest, "lib/y.py": x })), base);
        const l1 = tree(files);
        fs.symlinkSync("main.py", path.join(l1, "link"));
        const l2 = tree(files);
        fs.symlinkSync("run.sh", path.join(l2, "link"));
        assert.notEqual(await digest(l1), await digest(l2));
    });

    it("does not change when an ignored file changes", async () => {
        const ig = { ...files, ".dockerignore": "*.log\n", ".gcloudignore": "#!include:.dockerignore\n" };
        assert.equal(await digest(tree({ ...ig, "a.log": "1" })), await digest(tree({ ...ig, "a.log": "2" })));
    });

    it("contextDigest of the entries' content hashes is hashContext's digest; each content hash is the file's sha256", async () => {
        const dir = tree(files, { "main.py": 0o755 });
        fs.symlinkSync("main.py", path.join(dir, "link"));
        const entries = collectContext({ kind: "directory", dir }, "/");
        const contents = await hashEntries(entries);
        assert.equal(contextDigest(entries, contents), await hashContext(entries));
        const main = entries.findIndex((e) => e.path === "main.py");
        const sha = (text: string) => createHash("sha256").update(text).digest("hex");
        assert.equal(contents[main], sha(fs.readFileSync(path.join(dir, "main.py"), "utf8")));
        assert.equal(contents[entries.findIndex((e) => e.path === "link")], sha("symlink:main.py"));
        // a different content hash list gives a different digest
        assert.notEqual(
            contextDigest(
                entries,
                contents.map((c, i) => (i === main ? "0".repeat(64) : c)),
            ),
            await hashContext(entries),
        );
    });

    it("streams large files to the same digest as reading them whole", async () => {
        const big = Buffer.alloc(3 * 1024 * 1024 + 7, 7).toString();
        const d1 = await digest(tree({ "big.bin": big }));
        const entries = collectContext({ kind: "directory", dir: tree({ "big.bin": big }) }, "/");
        assert.equal(entries[0].size, big.length);
        assert.equal(await hashContext(entries), d1);
    });
});
