import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gitFacts } from "../../../lib/build/gitFacts";

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

    it("a detached HEAD reports HEAD as the branch", () => {
        const dir = repo();
        git(dir, "checkout", "-q", "--detach");
        assert.equal(gitFacts(path.join(dir, "payload")).branch, "HEAD");
    });

    it("outside git: empty facts, never the wall clock", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-nogit-"));
        assert.deepEqual(gitFacts(dir), { hash: "", branch: "", timestamp: "", created: "" });
    });
});

describe("git facts: only uploaded files make the payload dirty", () => {
    it("an untracked file the context excludes leaves the hash clean; an included one marks it", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.mkdirSync(path.join(dir, "payload", "__pycache__"));
        fs.writeFileSync(path.join(dir, "payload", "__pycache__", "main.cpython-311.pyc"), "bytecode");
        const uploaded = (p: string) => !p.startsWith("__pycache__/");
        assert.equal(gitFacts(path.join(dir, "payload"), uploaded).hash, head);
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(3)\n");
        assert.equal(gitFacts(path.join(dir, "payload"), uploaded).hash, `${head}-dirty`);
    });

    it("a deleted tracked file marks it", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.rmSync(path.join(dir, "payload", "main.py"));
        assert.equal(gitFacts(path.join(dir, "payload"), () => false).hash, `${head}-dirty`);
    });
});

describe("git facts: a modified tracked file listed first", () => {
    it("is read with its status intact", () => {
        const dir = repo();
        const head = git(dir, "rev-parse", "HEAD");
        fs.writeFileSync(path.join(dir, "payload", "main.py"), "print(4)\n"); // " M main.py": leading space
        assert.equal(gitFacts(path.join(dir, "payload"), (p) => p === "main.py").hash, `${head}-dirty`);
    });
});
