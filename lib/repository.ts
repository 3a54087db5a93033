/**
 * The repository that holds the program, and the only files a build or the plan may read: every
 * path resolves, symlinks followed, inside the repository's root (the nearest folder above the
 * program that holds `.git`; the program's folder when it is not in git). Text inputs
 * (Dockerfiles, requirement files, ignore files) are read safely: regular files only, size-
 * limited, valid UTF-8, never blocking on a FIFO or a device.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface Repository {
    /** The repository's root, absolute, symlinks resolved. */
    root: string;
    /** The program's folder, absolute, symlinks resolved. */
    projectRoot: string;
    /** The program's folder relative to the root, forward slashes ("" at the root). */
    programDir: string;
}

/** The largest text input read (a Dockerfile, a requirement file, an ignore file). */
export const TEXT_INPUT_LIMIT = 1 << 20;

/** Why an input cannot be read: a phrase that completes "<setting>: <value> ...". */
export class InputProblem extends Error {}

export function findRepository(projectRoot: string): Repository {
    const real = fs.realpathSync(projectRoot);
    let dir = real;
    for (;;) {
        if (fs.existsSync(path.join(dir, ".git"))) {
            break;
        }
        const parent = path.dirname(dir);
        if (parent === dir) {
            dir = real; // not in git: the program's folder is the repository
            break;
        }
        dir = parent;
    }
    return { root: dir, projectRoot: real, programDir: toPosix(path.relative(dir, real)) };
}

/** The program's own files and folders, never part of a payload. */
export const PROGRAM_ENTRIES = [
    ".fireworker",
    ".mocharc.json",
    ".pulumi-state",
    "Pulumi.yaml",
    "bench",
    "biome.json",
    "components",
    "index.ts",
    "lib",
    "node_modules",
    "package-lock.json",
    "package.json",
    "policy",
    "scripts",
    "stacks",
    "test",
    "tools",
    "tsconfig.json",
    "tsconfig.pulumi.json",
] as const;

/**
 * What a build context at `contextAbs` leaves out, whatever its ignore files say: the program's
 * whole folder when the context holds it (the program checked in at a subfolder of the lab's
 * repository), or the program's own entries when the context is the program's folder itself.
 * Paths relative to the context, forward slashes, sorted.
 */
export function programExclusions(repo: Repository, contextAbs: string): string[] {
    const context = fs.existsSync(contextAbs) ? fs.realpathSync(contextAbs) : contextAbs;
    if (context === repo.projectRoot) {
        return PROGRAM_ENTRIES.filter((e) => fs.existsSync(path.join(context, e)));
    }
    if (isInside(context, repo.projectRoot)) {
        return [toPosix(path.relative(context, repo.projectRoot))];
    }
    return [];
}

/** Is `abs` the root or inside it (lexically)? */
export function isInside(root: string, abs: string): boolean {
    const rel = path.relative(root, abs);
    // "..x" is a name inside; only ".." itself, or a path through it, leaves
    return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * `p` (relative to the program's folder, or absolute) resolved with its symlinks followed, when
 * it stays inside the repository; else an InputProblem saying why.
 */
export function resolveInside(repo: Repository, p: string): string {
    const abs = path.resolve(repo.projectRoot, p);
    if (!isInside(repo.root, abs)) {
        throw new InputProblem("is outside the repository that holds the program; paths must stay inside it");
    }
    let real: string;
    try {
        real = fs.realpathSync(abs);
    } catch (err) {
        throw new InputProblem(describeFsError(err));
    }
    if (!isInside(repo.root, real)) {
        throw new InputProblem("leads outside the repository through a symlink; paths must stay inside it");
    }
    return real;
}

/** What a path is: only regular files and directories are ever read. */
export function kindOf(st: fs.Stats): "file" | "directory" | "symlink" | "other" {
    if (st.isFile()) return "file";
    if (st.isDirectory()) return "directory";
    if (st.isSymbolicLink()) return "symlink";
    return "other";
}

/** A phrase for a file that is neither a regular file nor a directory. */
export function otherKind(st: fs.Stats): string {
    if (st.isFIFO()) return "a FIFO";
    if (st.isSocket()) return "a socket";
    if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
    return "not a regular file";
}

/**
 * The text of a regular file (absolute, already confined), at most `limit` bytes of valid
 * UTF-8. Opened without blocking, so a FIFO cannot hang the plan.
 */
export function readTextFile(abs: string, limit = TEXT_INPUT_LIMIT): string {
    // what it is, before opening it: opening some devices has effects
    let st: fs.Stats;
    try {
        st = fs.statSync(abs);
    } catch (err) {
        throw new InputProblem(describeFsError(err));
    }
    if (st.isDirectory()) {
        throw new InputProblem("is a directory, not a file");
    }
    if (!st.isFile()) {
        throw new InputProblem(`is ${otherKind(st)}, not a regular file`);
    }
    let fd: number;
    try {
        fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
        throw new InputProblem(describeFsError(err));
    }
    try {
        const st = fs.fstatSync(fd);
        if (st.isDirectory()) {
            throw new InputProblem("is a directory, not a file");
        }
        if (!st.isFile()) {
            throw new InputProblem(`is ${otherKind(st)}, not a regular file`);
        }
        if (st.size > limit) {
            throw new InputProblem(`is larger than ${limit} bytes`);
        }
        // read one byte more than allowed: a file that grows while read is still caught
        const buf = Buffer.alloc(limit + 1);
        let n = 0;
        for (;;) {
            const got = fs.readSync(fd, buf, n, buf.length - n, null);
            if (got === 0) break;
            n += got;
            if (n > limit) {
                throw new InputProblem(`is larger than ${limit} bytes`);
            }
        }
        try {
            return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf.subarray(0, n));
        } catch {
            throw new InputProblem("is not UTF-8 text");
        }
    } finally {
        fs.closeSync(fd);
    }
}

/** A file-system error as a phrase (no absolute path, no stack). */
export function describeFsError(err: unknown): string {
    const code = (err as NodeJS.ErrnoException).code;
    switch (code) {
        case "ENOENT":
            return "does not exist";
        case "EACCES":
        case "EPERM":
            return "cannot be read (permission denied)";
        case "ENOTDIR":
            return "does not exist (a part of the path is not a folder)";
        case "ELOOP":
            return "is a symlink loop";
        case "ENAMETOOLONG":
            return "is too long a path";
        default:
            return `cannot be read (${code ?? "error"})`;
    }
}

/** A path relative to `from`, with forward slashes ("." for the same folder). */
export function relativeFrom(from: string, abs: string): string {
    const rel = toPosix(path.relative(from, abs));
    return rel === "" ? "." : rel;
}

function toPosix(p: string): string {
    return p.split(path.sep).join("/");
}
