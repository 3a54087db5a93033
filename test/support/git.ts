/** git in a throwaway repository, for tests and benchmarks: a clean environment, fixed identity. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** git with a clean environment (no inherited GIT_DIR, no user config); its trimmed stdout. */
export function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_")));
    const r = spawnSync(
        "git",
        ["-c", "user.name=Fireworker Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", ...args],
        {
            cwd: dir,
            encoding: "utf8",
            env: { ...clean, GIT_CONFIG_NOSYSTEM: "1", HOME: dir, ...env },
            maxBuffer: 256 << 20,
        },
    );
    assert.equal(r.status, 0, `git ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/**
 * Commits everything at a fixed committer date and returns the commit; the author date is the
 * committer date unless given (another one tells the two apart).
 */
export function commitAll(
    dir: string,
    message: string,
    committerDate: string,
    authorDate: string = committerDate,
): string {
    git(dir, ["add", "-A"]);
    git(dir, ["commit", "-q", "-m", message], { GIT_COMMITTER_DATE: committerDate, GIT_AUTHOR_DATE: authorDate });
    return git(dir, ["rev-parse", "HEAD"]);
}

/** Writes files (paths relative to `root`), creating their directories. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
    for (const [rel, body] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), body);
    }
}
