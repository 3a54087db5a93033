import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GitProblem, gitDiff, gitFacts } from "../../../lib/build/gitFacts";

const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@e.org",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@e.org",
};
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env }).trim();

function repo(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-git-"));
    git(dir, "init", "-q", "-b", "main");
    fs.mkdirSync(path.join(dir, "payload"));
    fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(1)\n");
    fs.writeFileSync(path.join(dir, "README"), "r\n");
    git(dir, "add", ".");
    execFileSync("git", ["commit", "-qm", "payload"], {
        cwd: dir,
        env: { ...env, GIT_COMMITTER_DATE: "2024-03-05T06:07:08Z" },
    });
    return dir;
}

describe("git facts of the payload", () => {
    it("a clean tree: the payload's last commit, its branch and commit time (not the wall clock)", () => {
        const dir = repo();
        const facts = gitFacts(path.join(dir, "payload"));
        assert.equal(facts.hash, git(dir, "rev-parse", "HEAD"));
        assert.equal(facts.branch, "main");
        assert.equal(facts.timestamp, "20240305.060708");
        assert.equal(facts.created, "2024-03-05T06:07:08Z");
    });

    it("a commit outside the payload does not change its facts", () => {
        const dir = repo();
        const before = gitFacts(path.join(dir, "payload"));
        fs.writeFileSync(path.join(dir, "README"), "changed\n");
        git(dir, "commit", "-qam", "docs");
        assert.deepEqual(gitFacts(path.join(dir, "payload")), before);
    });

    it("a dirty payload is marked -dirty", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(2)\n");
        assert.equal(gitFacts(path.join(dir, "payload")).hash, `${head}-dirty`);
        git(dir, "checkout", "--", ".");
        fs.writeFileSync(path.join(dir, "payload", "new.py"), "x\n"); // untracked counts too
        assert.equal(gitFacts(path.join(dir, "payload")).hash, `${head}-dirty`);
    });

    it("a detached HEAD takes its branch from the CI, and says which variable it read", () => {
        const dir = repo();
        git(dir, "checkout", "-q", "--detach");
        const facts = gitFacts(path.join(dir, "payload"), {
            env: { GITHUB_HEAD_REF: "feature-x", BRANCH_NAME: "other" },
        });
        assert.equal(facts.branch, "feature-x");
        assert.equal(facts.branchFrom, "GITHUB_HEAD_REF");
        assert.equal(gitFacts(path.join(dir, "payload"), { env: { BRANCH_NAME: "main" } }).branchFrom, "BRANCH_NAME");
    });

    it("a detached HEAD with no CI variable stops with one line saying how to fix it", () => {
        const dir = repo();
        git(dir, "checkout", "-q", "--detach");
        assert.throws(
            () => gitFacts(path.join(dir, "payload"), { env: {} }),
            (e: Error) =>
                e instanceof GitProblem &&
                e.message.startsWith(
                    "HEAD is detached and no CI variable names the branch (FW_GIT_BRANCH, GITHUB_HEAD_REF,",
                ) &&
                e.message.endsWith("; check out the branch, or set FW_GIT_BRANCH"),
        );
    });

    it("outside git: marked none, never empty, never the wall clock", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-nogit-"));
        assert.deepEqual(gitFacts(dir), { hash: "none", branch: "none", timestamp: "none", created: "", dirty: false });
    });

    it("a payload no commit touches yet is marked none (none-dirty with files)", () => {
        const dir = repo();
        fs.mkdirSync(path.join(dir, "new"));
        assert.equal(gitFacts(path.join(dir, "new")).hash, "none");
        fs.writeFileSync(path.join(dir, "new", "a.py"), "x\n");
        assert.equal(gitFacts(path.join(dir, "new")).hash, "none-dirty");
    });

    it("a shallow clone cut before the payload's last commit stops with one line; deep enough, it agrees", () => {
        const dir = repo();
        fs.writeFileSync(path.join(dir, "README"), "later\n");
        git(dir, "commit", "-qam", "docs, after the payload");
        const full = gitFacts(path.join(dir, "payload"));
        const shallow = fs.mkdtempSync(path.join(os.tmpdir(), "fw-shallow-"));
        git(shallow, "clone", "-q", "--depth=1", `file://${dir}`, "c");
        assert.throws(
            () => gitFacts(path.join(shallow, "c", "payload")),
            (e: Error) => e instanceof GitProblem && /too shallow .* git fetch --unshallow/.test(e.message),
        );
        git(path.join(shallow, "c"), "fetch", "-q", "--unshallow");
        assert.deepEqual(gitFacts(path.join(shallow, "c", "payload")), full);
    });

    it("git missing from PATH stops with one line", () => {
        const dir = repo();
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            assert.throws(
                () => gitFacts(path.join(dir, "payload")),
                (e: Error) =>
                    e instanceof GitProblem &&
                    e.message === "git is not installed; it reads the payload's git facts (install git)",
            );
        } finally {
            process.env.PATH = saved;
        }
    });

    it("leaves excluded paths (the program's folder) out of the hash, the time and the dirt", () => {
        const dir = repo();
        const before = gitFacts(path.join(dir, "payload"));
        fs.mkdirSync(path.join(dir, "payload", "infra"));
        fs.writeFileSync(path.join(dir, "payload", "infra", "index.ts"), "x\n");
        git(dir, "add", ".");
        git(dir, "commit", "-qm", "the program");
        fs.writeFileSync(path.join(dir, "payload", "infra", "index.ts"), "y\n");
        assert.deepEqual(gitFacts(path.join(dir, "payload"), { exclude: ["infra"] }), before);
        assert.notEqual(gitFacts(path.join(dir, "payload")).hash, before.hash);
    });

    it("the diff of a dirty payload is the same bytes whatever the user's git configuration", () => {
        const dir = repo();
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(2)\n");
        fs.writeFileSync(path.join(dir, "payload", "new.py"), "x\n");
        const plain = gitDiff(path.join(dir, "payload"));
        assert.match(plain, /^diff --git a\/payload\/main\.py b\/payload\/main\.py\n/);
        assert.match(plain, /^-print\(1\)\n\+print\(2\)\n/m);
        assert.ok(plain.endsWith("# untracked files, uploaded as they are:\n#   new.py\n"), plain);
        git(dir, "config", "diff.noprefix", "true");
        git(dir, "config", "diff.mnemonicPrefix", "true");
        git(dir, "config", "color.ui", "always");
        git(dir, "config", "diff.algorithm", "histogram");
        assert.equal(gitDiff(path.join(dir, "payload")), plain);
        assert.equal(gitDiff(path.join(dir, "payload"), { uploaded: () => false }).includes("new.py"), false);
    });
});

describe("git facts: only uploaded files make the payload dirty", () => {
    it("an untracked file the context excludes leaves the hash clean; an included one marks it", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.mkdirSync(path.join(dir, "payload", "__pycache__"));
        fs.writeFileSync(path.join(dir, "payload", "__pycache__", "main.cpython-311.pyc"), "bytecode");
        const uploaded = (p: string) => !p.startsWith("__pycache__/");
        assert.equal(gitFacts(path.join(dir, "payload"), { uploaded }).hash, head);
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(3)\n");
        assert.equal(gitFacts(path.join(dir, "payload"), { uploaded }).hash, `${head}-dirty`);
    });

    it("a deleted tracked file marks it", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.rmSync(path.join(dir, "payload", "main.py"));
        assert.equal(gitFacts(path.join(dir, "payload"), { uploaded: () => false }).hash, `${head}-dirty`);
    });
});

describe("git facts: a modified tracked file listed first", () => {
    it("is read with its status intact", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(4)\n"); // " M main.py": leading space
        assert.equal(gitFacts(path.join(dir, "payload"), { uploaded: (p) => p === "main.py" }).hash, `${head}-dirty`);
    });
});
