import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    findRepository,
    InputProblem,
    isInside,
    PROGRAM_ENTRIES,
    programExclusions,
    readTextFile,
    relativeFrom,
    resolveInside,
    TEXT_INPUT_LIMIT,
} from "../../lib/repository";
import { ROOT } from "../support/plan";

/** A lab repository with the program checked in at `infra/`, and a folder outside it. */
function layout(): { root: string; outside: string } {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fw-repo-")));
    const root = path.join(base, "lab");
    fs.mkdirSync(path.join(root, ".git"), { recursive: true });
    fs.mkdirSync(path.join(root, "infra", "node_modules"), { recursive: true });
    fs.writeFileSync(path.join(root, "requirements.txt"), "numpy\n");
    fs.mkdirSync(path.join(base, "outside"));
    fs.writeFileSync(path.join(base, "outside", "secret"), "s\n");
    return { root, outside: path.join(base, "outside") };
}

const problem = (f: () => unknown): string => {
    try {
        f();
    } catch (err) {
        assert.ok(err instanceof InputProblem, String(err));
        return err.message;
    }
    return "";
};

describe("the repository and what a build may read (lib/repository.ts)", () => {
    it("is the nearest folder above the program that holds .git; the program's folder outside git", () => {
        const { root, outside } = layout();
        assert.deepEqual(findRepository(path.join(root, "infra")), {
            root,
            projectRoot: path.join(root, "infra"),
            programDir: "infra",
        });
        assert.deepEqual(findRepository(outside), { root: outside, projectRoot: outside, programDir: "" });
    });

    it("resolves paths from the program's folder, inside the repository, symlinks followed", () => {
        const { root, outside } = layout();
        const repo = findRepository(path.join(root, "infra"));
        assert.equal(resolveInside(repo, "../requirements.txt"), path.join(root, "requirements.txt"));
        assert.equal(
            problem(() => resolveInside(repo, "../../outside/secret")),
            "is outside the repository that holds the program; paths must stay inside it",
        );
        assert.equal(
            problem(() => resolveInside(repo, "/etc/passwd")),
            "is outside the repository that holds the program; paths must stay inside it",
        );
        fs.symlinkSync(path.join(outside, "secret"), path.join(root, "link"));
        assert.equal(
            problem(() => resolveInside(repo, "../link")),
            "leads outside the repository through a symlink; paths must stay inside it",
        );
        assert.equal(
            problem(() => resolveInside(repo, "../nope")),
            "does not exist",
        );
    });

    it("reads only regular files, up to the limit, as UTF-8, never blocking on a FIFO", () => {
        const { root } = layout();
        const file = (name: string, bytes: string | Buffer) => {
            fs.writeFileSync(path.join(root, name), bytes);
            return path.join(root, name);
        };
        assert.equal(readTextFile(file("ok.txt", "é\n")), "é\n");
        assert.equal(
            problem(() => readTextFile(file("big.txt", Buffer.alloc(TEXT_INPUT_LIMIT + 1, 97)))),
            `is larger than ${TEXT_INPUT_LIMIT} bytes`,
        );
        assert.equal(
            problem(() => readTextFile(file("bin.txt", Buffer.from([0xff, 0xfe, 0x00])))),
            "is not UTF-8 text",
        );
        assert.equal(
            problem(() => readTextFile(path.join(root, "infra"))),
            "is a directory, not a file",
        );
        execFileSync("mkfifo", [path.join(root, "fifo")]);
        assert.equal(
            problem(() => readTextFile(path.join(root, "fifo"))),
            "is a FIFO, not a regular file",
        );
        assert.equal(
            problem(() => readTextFile("/dev/null")),
            "is a device, not a regular file",
        );
    });

    it("a context that holds the program leaves its folder out; the program's own folder leaves its entries out", () => {
        const { root } = layout();
        const sub = findRepository(path.join(root, "infra"));
        assert.deepEqual(programExclusions(sub, root), ["infra"]);
        assert.deepEqual(programExclusions(sub, path.join(root, "infra", "..", "infra", "..")), ["infra"]);
        assert.deepEqual(programExclusions(sub, path.join(root, "infra")), ["node_modules"]);
        assert.ok(PROGRAM_ENTRIES.includes("node_modules"));
        // every configuration file of the program itself (`pulumi up` reads tsconfig.pulumi.json)
        for (const f of fs
            .readdirSync(ROOT)
            .filter((f) => /^(tsconfig.*\.json|Pulumi\.yaml|package.*\.json)$/.test(f))) {
            assert.ok((PROGRAM_ENTRIES as readonly string[]).includes(f), `${f} is not among PROGRAM_ENTRIES`);
        }
        fs.mkdirSync(path.join(root, "payload"));
        assert.deepEqual(programExclusions(sub, path.join(root, "payload")), []);
    });

    it("tells inside from outside lexically, and writes relative paths with forward slashes", () => {
        assert.equal(isInside("/a/b", "/a/b"), true);
        assert.equal(isInside("/a/b", "/a/b/c"), true);
        assert.equal(isInside("/a/b", "/a/bc"), false);
        assert.equal(isInside("/a/b", "/a"), false);
        assert.equal(isInside("/a/b", "/a/b/..x"), true);
        assert.equal(isInside("/a/b", "/a/b/..x/y"), true);
        assert.equal(isInside("/a/b", "/a/b/../x"), false);
        assert.equal(relativeFrom("/a/b", "/a/b"), ".");
        assert.equal(relativeFrom("/a/b", "/a/c/d"), "../c/d");
    });
});
