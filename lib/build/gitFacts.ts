/**
 * Git facts of a payload, read outside the image. The hash and time are those of the last
 * commit that touched the payload directory, so a commit elsewhere in the repository does not
 * rebuild the application, and planning twice gives the same inputs (never the wall clock).
 */
import { execFileSync } from "node:child_process";

export interface GitFacts {
    /** Commit hash, with `-dirty` when the payload has uncommitted changes; "" outside git. */
    hash: string;
    /** Current branch, `HEAD` when detached; "" outside git. */
    branch: string;
    /** Commit time as `YYYYMMDD.HHMMSS` UTC (the source document's format); "" outside git. */
    timestamp: string;
    /** Commit time as RFC 3339 UTC, for `org.opencontainers.image.created`; "" outside git. */
    created: string;
}

const EMPTY: GitFacts = { hash: "", branch: "", timestamp: "", created: "" };

function gitRaw(dir: string, args: string[]): string | undefined {
    try {
        return execFileSync("git", ["-C", dir, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            env: { ...process.env, LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" },
        });
    } catch {
        return undefined;
    }
}

function git(dir: string, args: string[]): string | undefined {
    return gitRaw(dir, args)?.trim();
}

/**
 * @param uploaded whether a payload-relative path is part of the build context: changes to
 *                 files that never reach the image (e.g. an untracked __pycache__ excluded by
 *                 .dockerignore) do not make the payload dirty. Default: every path counts.
 */
/** Uncommitted changes under `dir`, with paths relative to `dir`. */
function changedPaths(dir: string): { status: string; path: string }[] {
    const prefix = git(dir, ["rev-parse", "--show-prefix"]) ?? "";
    // untrimmed: each entry starts with a two-letter status, possibly a space
    const out = gitRaw(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."]) ?? "";
    const fields = out.split("\0").filter((f) => f !== "");
    const changes: { status: string; path: string }[] = [];
    for (let i = 0; i < fields.length; i++) {
        const status = fields[i].slice(0, 2);
        changes.push({ status, path: fields[i].slice(3).slice(prefix.length) });
        if (status.includes("R") || status.includes("C")) {
            i++; // a rename's source path follows
        }
    }
    return changes;
}

export function gitFacts(dir: string, uploaded: (payloadPath: string) => boolean = () => true): GitFacts {
    if (git(dir, ["rev-parse", "--is-inside-work-tree"]) !== "true") {
        // a Cloud Build trigger's checkout may lack .git: it passes the commit it built
        const commit = process.env.FW_GIT_COMMIT;
        return commit ? { ...EMPTY, hash: commit, branch: process.env.FW_GIT_BRANCH ?? "" } : EMPTY;
    }
    const log = git(dir, ["log", "-1", "--format=%H %ct", "--", "."]);
    if (!log) {
        return EMPTY; // no commit touches the payload yet
    }
    const [hash, seconds] = log.split(" ");
    const dirty = changedPaths(dir).some(({ status, path }) => status.includes("D") || uploaded(path));
    const branch = git(dir, ["symbolic-ref", "--short", "-q", "HEAD"]) || "HEAD";
    const time = new Date(Number(seconds) * 1000).toISOString();
    return {
        hash: dirty ? `${hash}-dirty` : hash,
        branch,
        timestamp: time.replace(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3.$4$5$6"),
        created: time.replace(/\.\d{3}Z$/, "Z"),
    };
}
