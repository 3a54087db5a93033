/**
 * Selects the files of a build context exactly as they will be uploaded (a directory filtered by
 * its ignore files, see ignoreFiles.ts, or named files), and hashes them. Directories excluded
 * with no exception that could reach inside them are never walked.
 *
 * The hash covers relative paths, contents, the executable bit and symlink targets only:
 * no mtimes, owners, umask-dependent modes or absolute paths, so two clones agree.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type ContextFilter, contextFilter, NO_FILTER } from "./ignoreFiles";

/** What a build uploads. Paths are relative to the project root, with forward slashes. */
export type ContextSpec =
    | {
          /** A directory filtered by its `.gcloudignore` and `.dockerignore`. */
          kind: "directory";
          dir: string;
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

/** Lists the files of a context in sorted order (the order they are hashed and packed). */
export function collectContext(spec: ContextSpec, projectRoot: string): ContextEntry[] {
    const out: ContextEntry[] = [];
    if (spec.kind === "directory") {
        const root = path.resolve(projectRoot, spec.dir);
        walk(root, "", contextFilter(root), out);
    } else {
        for (const { src, dest } of spec.files) {
            const abs = path.resolve(projectRoot, src);
            const st = fs.lstatSync(abs);
            if (st.isDirectory()) {
                walk(abs, "", NO_FILTER, out, dest);
            } else {
                out.push(entry(abs, dest, st));
            }
        }
    }
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (let i = 1; i < out.length; i++) {
        if (out[i].path === out[i - 1].path) {
            throw new Error(`two files land at ${out[i].path} in the build context`);
        }
    }
    return out;
}

function walk(absDir: string, relDir: string, filter: ContextFilter, out: ContextEntry[], prefix = ""): void {
    const dirents = fs.readdirSync(absDir, { withFileTypes: true });
    for (const d of dirents) {
        const rel = relDir === "" ? d.name : `${relDir}/${d.name}`;
        const abs = path.join(absDir, d.name);
        if (d.isDirectory()) {
            if (!filter.excludes(rel, true) || filter.mayReinclude(rel)) {
                walk(abs, rel, filter, out, prefix);
            }
        } else if ((d.isFile() || d.isSymbolicLink()) && !filter.excludes(rel, false)) {
            out.push(entry(abs, prefix === "" ? rel : `${prefix}/${rel}`, fs.lstatSync(abs)));
        }
    }
}

function entry(abs: string, rel: string, st: fs.Stats): ContextEntry {
    if (st.isSymbolicLink()) {
        return { path: rel, abs, kind: "symlink", executable: false, size: 0, linkTarget: fs.readlinkSync(abs) };
    }
    return { path: rel, abs, kind: "file", executable: (st.mode & 0o100) !== 0, size: st.size };
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
    if (e.size < SMALL_FILE) {
        return createHash("sha256")
            .update(await fs.promises.readFile(e.abs))
            .digest("hex");
    }
    const h = createHash("sha256");
    for await (const chunk of fs.createReadStream(e.abs, { highWaterMark: 1 << 20 })) {
        h.update(chunk as Buffer);
    }
    return h.digest("hex");
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
