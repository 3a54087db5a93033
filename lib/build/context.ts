/**
 * Selects the files of a build context exactly as they will be uploaded (a directory filtered by
 * its ignore files, see ignoreFiles.ts, or named files), and hashes them. Folders under which
 * nothing can be uploaded are never walked.
 *
 * The hash covers relative paths, contents, the executable bit and symlink targets only:
 * no mtimes, owners, umask-dependent modes or absolute paths, so two clones agree.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describeFsError, findRepository, isInside, otherKind, relativeFrom } from "../repository";
import {
    CONTEXT_TOP,
    type ContextFilter,
    contextFilter,
    type EntryKind,
    IgnoreFileProblem,
    NO_FILTER,
    type WalkedDir,
} from "./ignoreFiles";

/** What a build uploads. Paths are relative to the project root, with forward slashes. */
export type ContextSpec =
    | {
          /** A directory filtered by its `.gcloudignore` and `.dockerignore`. */
          kind: "directory";
          dir: string;
          /** Paths under `dir` never uploaded, whatever the ignore files say (the program's own). */
          exclude?: string[];
      }
    | {
          /** Named files (or directories, taken whole) placed at `dest` in the context. */
          kind: "files";
          files: { src: string; dest: string }[];
      };

export interface ContextEntry {
    /** Path inside the context, forward slashes. */
    path: string;
    /** Absolute path on this machine (never part of a hash or a plan). */
    abs: string;
    kind: "file" | "symlink";
    executable: boolean;
    size: number;
    linkTarget?: string;
}

/** The largest file a context may hold (a tar member stays well within ustar's 8 GiB). */
export const CONTEXT_FILE_LIMIT = 4 * 1024 ** 3;

/** A context that cannot be uploaded: the message names the path, relative to the project root. */
export class ContextProblem extends Error {}

/** Lists the files of a context in sorted order (the order they are hashed and packed). */
export function collectContext(spec: ContextSpec, projectRoot: string): ContextEntry[] {
    const out: ContextEntry[] = [];
    if (spec.kind === "directory") {
        const root = path.resolve(projectRoot, spec.dir);
        const walker = new Walker(projectRoot, root, out, new Set(spec.exclude ?? []));
        walker.walk(root, CONTEXT_TOP, ignoreFilter(projectRoot, root));
    } else {
        for (const { src, dest } of spec.files) {
            const abs = path.resolve(projectRoot, src);
            const st = statOrProblem(projectRoot, abs, fs.statSync); // named files: symlinks followed
            if (st.isDirectory()) {
                new Walker(projectRoot, abs, out, new Set()).walk(abs, CONTEXT_TOP, NO_FILTER, dest);
            } else if (st.isFile()) {
                out.push(fileEntry(projectRoot, abs, dest, st));
            } else {
                throw new ContextProblem(
                    `${shown(projectRoot, abs)} is ${otherKind(st)}; only files and folders can be uploaded`,
                );
            }
        }
    }
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (let i = 1; i < out.length; i++) {
        if (out[i].path === out[i - 1].path) {
            throw new ContextProblem(`two files land at ${out[i].path} in the build context`);
        }
    }
    return out;
}

/** The ignore files of a directory context, read from inside the repository that holds the program. */
function ignoreFilter(projectRoot: string, root: string): ContextFilter {
    const repo = findRepository(projectRoot);
    try {
        return contextFilter(fs.realpathSync(root), repo, (abs) => relativeFrom(repo.projectRoot, abs));
    } catch (err) {
        if (err instanceof IgnoreFileProblem) {
            throw new ContextProblem(err.message);
        }
        if ((err as NodeJS.ErrnoException).code !== undefined) {
            throw new ContextProblem(`${shown(projectRoot, root)} ${describeFsError(err)}`);
        }
        throw err;
    }
}

/** Walks one context root: regular files, folders and symlinks that stay inside it. */
class Walker {
    constructor(
        private readonly projectRoot: string,
        private readonly root: string,
        private readonly out: ContextEntry[],
        private readonly exclude: Set<string>,
    ) {}

    walk(absDir: string, dir: WalkedDir, filter: ContextFilter, prefix = ""): void {
        let dirents: fs.Dirent<Buffer>[];
        try {
            dirents = fs.readdirSync(absDir, { withFileTypes: true, encoding: "buffer" });
        } catch (err) {
            throw new ContextProblem(`${shown(this.projectRoot, absDir)} ${describeFsError(err)}`);
        }
        for (const d of dirents) {
            const name = utf8Name(d.name);
            if (name === undefined) {
                throw new ContextProblem(
                    `${shown(this.projectRoot, absDir)} holds a file whose name is not UTF-8 (${JSON.stringify(d.name.toString("latin1"))}); rename it or leave it out with .dockerignore`,
                );
            }
            const rel = dir.rel === "" ? name : `${dir.rel}/${name}`;
            if (this.exclude.has(rel)) {
                continue;
            }
            const abs = path.join(absDir, name);
            const dest = prefix === "" ? rel : `${prefix}/${rel}`;
            if (d.isDirectory()) {
                const sub = filter.enters(dir, name);
                if (sub) {
                    this.walk(abs, sub, filter, prefix);
                }
            } else if (!filter.takes(dir, name, d.isSymbolicLink() ? linkKind(abs) : "file")) {
                // left out by the ignore files
            } else if (d.isFile()) {
                this.out.push(
                    fileEntry(this.projectRoot, abs, dest, statOrProblem(this.projectRoot, abs, fs.lstatSync)),
                );
            } else if (d.isSymbolicLink()) {
                this.out.push(this.linkEntry(abs, dest));
            } else {
                const st = statOrProblem(this.projectRoot, abs, fs.lstatSync);
                throw new ContextProblem(
                    `${shown(this.projectRoot, abs)} is ${otherKind(st)}; only files, folders and symlinks can be uploaded (leave it out with .dockerignore)`,
                );
            }
        }
    }

    /** A symlink is packed as a link (as Docker does); one whose target leaves the context would dangle. */
    private linkEntry(abs: string, dest: string): ContextEntry {
        const target = fs.readlinkSync(abs);
        const resolved = path.resolve(path.dirname(abs), target);
        if (path.isAbsolute(target) || !isInside(this.root, resolved)) {
            throw new ContextProblem(
                `${shown(this.projectRoot, abs)} is a symlink to ${JSON.stringify(target)}, outside the build context; it would dangle in the image (point it inside, or leave it out with .dockerignore)`,
            );
        }
        return { path: dest, abs, kind: "symlink", executable: false, size: 0, linkTarget: target };
    }
}

/** What a symlink leads to, for the ignore files: gcloud matches a link to a folder as a folder. */
function linkKind(abs: string): EntryKind {
    try {
        return fs.statSync(abs).isDirectory() ? "dirSymlink" : "symlink";
    } catch {
        return "brokenSymlink"; // missing target, a loop, or no permission: not there for gcloud
    }
}

function fileEntry(projectRoot: string, abs: string, dest: string, st: fs.Stats): ContextEntry {
    if (st.size > CONTEXT_FILE_LIMIT) {
        throw new ContextProblem(`${shown(projectRoot, abs)} is larger than ${CONTEXT_FILE_LIMIT} bytes`);
    }
    return { path: dest, abs, kind: "file", executable: (st.mode & 0o100) !== 0, size: st.size };
}

function statOrProblem(projectRoot: string, abs: string, stat: (p: string) => fs.Stats): fs.Stats {
    try {
        return stat(abs);
    } catch (err) {
        throw new ContextProblem(`${shown(projectRoot, abs)} ${describeFsError(err)}`);
    }
}

/** A name as UTF-8, or undefined when its bytes are not UTF-8. */
function utf8Name(bytes: Buffer): string | undefined {
    try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes); // a name may start with U+FEFF
    } catch {
        return undefined;
    }
}

/** A path as messages show it: relative to the project root. */
function shown(projectRoot: string, abs: string): string {
    return relativeFrom(projectRoot, abs);
}

const SMALL_FILE = 1 << 20;
const CONCURRENCY = 16;

/** sha256 of each entry's content (streamed for big files), in entry order. */
export async function hashEntries(entries: ContextEntry[]): Promise<string[]> {
    const hashes = new Array<string>(entries.length);
    let next = 0;
    const worker = async () => {
        while (next < entries.length) {
            const i = next++;
            hashes[i] = await hashOne(entries[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
    return hashes;
}

async function hashOne(e: ContextEntry): Promise<string> {
    if (e.kind === "symlink") {
        return createHash("sha256").update(`symlink:${e.linkTarget}`).digest("hex");
    }
    const file = await openRegularFile(e.abs);
    try {
        if (e.size < SMALL_FILE) {
            return createHash("sha256")
                .update(await file.readFile())
                .digest("hex");
        }
        const h = createHash("sha256");
        for await (const chunk of file.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
            h.update(chunk as Buffer);
        }
        return h.digest("hex");
    } finally {
        await file.close();
    }
}

/** Opens a file that must still be a regular file (it may have been swapped for a FIFO since). */
export async function openRegularFile(abs: string): Promise<fs.promises.FileHandle> {
    const file = await fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = await file.stat();
    if (!st.isFile()) {
        await file.close();
        throw new ContextProblem(`${abs} is no longer a regular file`);
    }
    return file;
}

/** The context's digest: one line per entry (path, kind, exec bit, content hash). */
export async function hashContext(entries: ContextEntry[]): Promise<string> {
    return contextDigest(entries, await hashEntries(entries));
}

/** The context's digest from its entries and their content hashes (`hashEntries`), in entry order. */
export function contextDigest(entries: ContextEntry[], contents: string[]): string {
    const h = createHash("sha256");
    entries.forEach((e, i) => {
        h.update(`${e.path}\0${e.kind}\0${e.executable ? "x" : "-"}\0${contents[i]}\n`);
    });
    return h.digest("hex");
}
