/**
 * Git facts of a payload, read outside the image. The hash and time are those of the last
 * commit that touched the payload directory (the program's own folder left out), so a commit
 * elsewhere does not rebuild the application, and planning the same commit gives the same
 * inputs everywhere: a laptop clone, a shallow CI clone, a detached pull-request checkout.
 * Where git cannot tell, the plan stops with one line that says how to fix it; a payload that is
 * not in git is marked `none`, never left empty.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface GitFacts {
    /** Commit hash, with `-dirty` when the payload has uncommitted changes; `none` outside git. */
    hash: string;
    /** The branch checked out, or the one the CI names for a detached HEAD; `none` outside git. */
    branch: string;
    /** Commit time as `YYYYMMDD.HHMMSS` UTC (the source document's format); `none` outside git. */
    timestamp: string;
    /** Commit time as RFC 3339 UTC, for `org.opencontainers.image.created`; "" outside git. */
    created: string;
    /** Uncommitted changes to files the build uploads. */
    dirty: boolean;
    /** Where the branch came from when HEAD is detached (a CI variable's name). */
    branchFrom?: string;
}

export interface GitOptions {
    /** Whether a payload-relative path is uploaded; changes to others never make it dirty. @default all */
    uploaded?: (payloadPath: string) => boolean;
    /** Payload-relative paths left out of everything (the program's own folder). @default none */
    exclude?: readonly string[];
    /** Where CI variables are read. @default process.env */
    env?: NodeJS.ProcessEnv;
}

/** Git cannot tell: the message says why and how to fix it (one line). */
export class GitProblem extends Error {}

const NOT_IN_GIT: GitFacts = { hash: "none", branch: "none", timestamp: "none", created: "", dirty: false };

/** CI variables that name the branch of a detached checkout, in the order they are trusted. */
export const BRANCH_VARIABLES = [
    "FW_GIT_BRANCH", // ours: a trigger build, or set by hand
    "GITHUB_HEAD_REF", // GitHub Actions, pull requests: the source branch
    "GITHUB_REF_NAME", // GitHub Actions, pushes
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", // GitLab merge requests
    "CI_COMMIT_BRANCH", // GitLab
    "BRANCH_NAME", // Cloud Build triggers, Jenkins
    "BUILDKITE_BRANCH",
    "CIRCLE_BRANCH",
] as const;

/** Options that make `git diff` print the same bytes whatever the user's git configuration. */
const DIFF_CONFIG = [
    "-c",
    "core.quotePath=true",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "diff.relative=false",
    "-c",
    "diff.renames=false",
    "-c",
    "color.ui=false",
];
const DIFF_OPTIONS = [
    "--no-ext-diff",
    "--no-textconv",
    "--binary",
    "--full-index",
    "--no-renames",
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "--inter-hunk-context=0",
    "-U3",
    "--src-prefix=a/",
    "--dst-prefix=b/",
];

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function runGit(dir: string, args: string[]): Run {
    const r = spawnSync("git", ["-C", dir, ...args], {
        encoding: "utf8",
        maxBuffer: 256 << 20,
        env: { ...process.env, LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" },
    });
    if (r.error) {
        if ((r.error as NodeJS.ErrnoException).code === "ENOENT") {
            throw new GitProblem("git is not installed; it reads the payload's git facts (install git)");
        }
        throw new GitProblem(`git cannot run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A git command that must succeed; a refusal becomes one line. */
function mustGit(dir: string, args: string[]): string {
    const r = runGit(dir, args);
    if (r.status !== 0) {
        if (/dubious ownership/.test(r.stderr)) {
            throw new GitProblem(
                `git refuses the repository, which another user owns ("dubious ownership"); if you trust it: git config --global --add safe.directory ${JSON.stringify(repositoryRoot(dir) ?? dir)}`,
            );
        }
        const first = r.stderr.trim().split("\n")[0] ?? "";
        throw new GitProblem(`git ${args[0]} failed: ${first}`);
    }
    return r.stdout;
}

/** The nearest folder at or above `dir` that holds `.git`. */
function repositoryRoot(dir: string): string | undefined {
    let cur = path.resolve(dir);
    for (;;) {
        if (fs.existsSync(path.join(cur, ".git"))) return cur;
        const parent = path.dirname(cur);
        if (parent === cur) return undefined;
        cur = parent;
    }
}

/** The pathspec of the payload without the excluded paths. */
function pathspec(exclude: readonly string[]): string[] {
    return [".", ...exclude.map((p) => `:(exclude)${p}`)];
}

/** Uncommitted changes under `dir`, with paths relative to `dir`. */
function changedPaths(dir: string, exclude: readonly string[]): { status: string; path: string }[] {
    const prefix = mustGit(dir, ["rev-parse", "--show-prefix"]).trim();
    // untrimmed: each entry starts with a two-letter status, possibly a space
    const out = mustGit(dir, [
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        ...pathspec(exclude),
    ]);
    const fields = out.split("\0").filter((f) => f !== "");
    return fields.map((f) => ({ status: f.slice(0, 2), path: f.slice(3).slice(prefix.length) }));
}

/** The branch of the checkout, or the CI's for a detached HEAD; GitProblem when nothing tells. */
function branchOf(dir: string, env: NodeJS.ProcessEnv): { branch: string; from?: string } {
    const r = runGit(dir, ["symbolic-ref", "--short", "-q", "HEAD"]);
    const branch = r.stdout.trim();
    if (r.status === 0 && branch !== "") {
        return { branch };
    }
    for (const name of BRANCH_VARIABLES) {
        const value = env[name]?.trim();
        if (value) {
            return { branch: value, from: name };
        }
    }
    throw new GitProblem(
        `HEAD is detached and no CI variable names the branch (${BRANCH_VARIABLES.join(", ")}); check out the branch, or set FW_GIT_BRANCH`,
    );
}

/** Commits a shallow clone is cut at (their history is missing). */
function shallowBoundary(dir: string): Set<string> {
    if (mustGit(dir, ["rev-parse", "--is-shallow-repository"]).trim() !== "true") {
        return new Set();
    }
    const file = mustGit(dir, ["rev-parse", "--path-format=absolute", "--git-path", "shallow"]).trim();
    return new Set(fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
}

export function gitFacts(dir: string, opts: GitOptions = {}): GitFacts {
    const exclude = opts.exclude ?? [];
    const uploaded = opts.uploaded ?? (() => true);
    if (repositoryRoot(dir) === undefined) {
        return NOT_IN_GIT;
    }
    const inside = runGit(dir, ["rev-parse", "--is-inside-work-tree"]);
    if (inside.status !== 0 || inside.stdout.trim() !== "true") {
        mustGit(dir, ["rev-parse", "--is-inside-work-tree"]); // dubious ownership and the like: one line
        return NOT_IN_GIT;
    }
    const log = mustGit(dir, ["log", "-1", "--format=%H %ct", "--", ...pathspec(exclude)]).trim();
    const dirty = changedPaths(dir, exclude).some(({ status, path: p }) => status.includes("D") || uploaded(p));
    if (log === "") {
        // no commit touches the payload yet
        return { ...NOT_IN_GIT, hash: dirty ? "none-dirty" : "none", dirty };
    }
    const [hash, seconds] = log.split(" ");
    if (shallowBoundary(dir).has(hash)) {
        throw new GitProblem(
            "the clone is too shallow to find the last commit that touched the payload; run git fetch --unshallow (or fetch deeper)",
        );
    }
    const { branch, from } = branchOf(dir, opts.env ?? process.env);
    const time = new Date(Number(seconds) * 1000).toISOString();
    return {
        hash: dirty ? `${hash}-dirty` : hash,
        branch,
        timestamp: time.replace(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3.$4$5$6"),
        created: time.replace(/\.\d{3}Z$/, "Z"),
        dirty,
        ...(from ? { branchFrom: from } : {}),
    };
}

/**
 * The payload's uncommitted changes as the image records them: `git diff HEAD` of the tracked
 * files (the same bytes whatever the user's git configuration), then the untracked files the
 * build uploads, by name (their content is in the image anyway).
 */
export function gitDiff(dir: string, opts: GitOptions = {}): string {
    const exclude = opts.exclude ?? [];
    const uploaded = opts.uploaded ?? (() => true);
    const diff = mustGit(dir, [...DIFF_CONFIG, "diff", ...DIFF_OPTIONS, "HEAD", "--", ...pathspec(exclude)]);
    const untracked = changedPaths(dir, exclude)
        .filter((c) => c.status === "??" && uploaded(c.path))
        .map((c) => c.path)
        .sort();
    return untracked.length === 0
        ? diff
        : `${diff}# untracked files, uploaded as they are:\n${untracked.map((p) => `#   ${p}\n`).join("")}`;
}
