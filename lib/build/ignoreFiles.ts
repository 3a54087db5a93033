/**
 * The ignore files of a directory context, read safely and combined into the one filter the
 * context walker (context.ts) applies. An entry is uploaded when both real tools would take it:
 * - `gcloud builds submit` (gcloudIgnore.ts): the `.gcloudignore`, or without one gcloud's
 *   defaults when the folder holds `.git` or `.gitignore`; it drops broken symlinks and treats a
 *   symlink to a folder as a folder;
 * - `docker build` (dockerIgnore.ts): the `.dockerignore`, with the walk's own rules for `!`
 *   exceptions under excluded folders.
 * When `.gcloudignore` lets `.dockerignore` through, this intersection is exactly what a lab's
 * `gcloud builds submit` followed by `docker build` of the upload selects (Docker's choices depend
 * on each path alone). When `.gcloudignore` excludes `.dockerignore`, Docker on Cloud Build would
 * see no `.dockerignore` and take all that gcloud uploaded; the `.dockerignore` is applied anyway,
 * as a local `docker build` does, so the context is never larger than either tool's.
 *
 * Ignore files and includes are read as text inputs (regular files, size-limited, UTF-8, never
 * blocking) from inside the repository; a file that is absent, or a symlink to nothing, is no
 * ignore file, as for both tools.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeFsError, InputProblem, type Repository, readTextFile, resolveInside } from "../repository";
import { DockerIgnore, DockerIgnoreProblem, type DockerMatchInfo } from "./dockerIgnore";
import { GcloudIgnore, GcloudIgnoreProblem } from "./gcloudIgnore";

/** What an entry of a walked folder is (symlinks are never followed into). */
export type EntryKind = "file" | "symlink" | "dirSymlink" | "brokenSymlink";

/** A folder the walk entered: its path in the context, and what Docker's matching learned there. */
export interface WalkedDir {
    readonly rel: string;
    readonly docker?: DockerMatchInfo;
}

/** Which entries of a directory context are uploaded, folder by folder. */
export interface ContextFilter {
    /** Is this entry of a walked folder (not itself a folder) uploaded? */
    takes(dir: WalkedDir, name: string, kind: EntryKind): boolean;
    /** How to walk this sub-folder of a walked folder, or undefined when nothing under it is uploaded. */
    enters(dir: WalkedDir, name: string): WalkedDir | undefined;
}

/** The top of every walk. */
export const CONTEXT_TOP: WalkedDir = { rel: "" };

const join = (dir: WalkedDir, name: string): string => (dir.rel === "" ? name : `${dir.rel}/${name}`);

/** Takes everything (named folders are taken whole). */
export const NO_FILTER: ContextFilter = {
    takes: () => true,
    enters: (dir, name) => ({ rel: join(dir, name) }),
};

/** Both tools' filters, as one. The walk enters only folders that gcloud includes. */
export class IgnoreFilter implements ContextFilter {
    constructor(
        private readonly gcloud: GcloudIgnore,
        private readonly docker: DockerIgnore,
    ) {}

    takes(dir: WalkedDir, name: string, kind: EntryKind): boolean {
        if (kind === "brokenSymlink") {
            return false; // gcloud builds submit leaves broken symlinks out
        }
        const rel = join(dir, name);
        return !this.gcloud.ignores(rel, kind === "dirSymlink") && !this.docker.match(rel, dir.docker).excluded;
    }

    enters(dir: WalkedDir, name: string): WalkedDir | undefined {
        const rel = join(dir, name);
        if (this.gcloud.ignores(rel, true)) {
            return undefined; // gcloud never takes anything back from under an ignored folder
        }
        const { excluded, info } = this.docker.match(rel, dir.docker);
        return excluded && !this.docker.entersExcluded(rel) ? undefined : { rel, docker: info };
    }
}

/** An ignore file that cannot be used: one line naming it (project-relative) and, where there is one, the line. */
export class IgnoreFileProblem extends Error {}

/**
 * The filter of the directory context `dir` (absolute, inside `repo`): its `.gcloudignore` (or
 * gcloud's defaults) and its `.dockerignore`. `shown` gives a path as messages show it.
 */
export function contextFilter(dir: string, repo: Repository, shown: (abs: string) => string): IgnoreFilter {
    return new IgnoreFilter(readGcloudIgnore(dir, repo, shown), readDockerIgnore(dir, repo, shown));
}

/** The `.gcloudignore` of `dir`, or gcloud's defaults, or none (GetFileChooserForDir). */
export function readGcloudIgnore(dir: string, repo: Repository, shown: (abs: string) => string): GcloudIgnore {
    const files = new IgnoreFiles(dir, repo, shown);
    try {
        if (files.exists(".gcloudignore")) {
            return GcloudIgnore.parse(shown(files.abs(".gcloudignore")), files.readTop(".gcloudignore"), files.read);
        }
        if (files.leadsAnywhere(".git") || files.leadsAnywhere(".gitignore")) {
            return GcloudIgnore.defaults(shown(dir), files.leadsAnywhere(".gitignore"), files.read);
        }
        return GcloudIgnore.NONE;
    } catch (err) {
        throw err instanceof GcloudIgnoreProblem ? new IgnoreFileProblem(err.message) : err;
    }
}

/** The `.dockerignore` of `dir`, or none. */
export function readDockerIgnore(dir: string, repo: Repository, shown: (abs: string) => string): DockerIgnore {
    const files = new IgnoreFiles(dir, repo, shown);
    if (!files.exists(".dockerignore")) {
        return DockerIgnore.NONE;
    }
    try {
        return DockerIgnore.parse(shown(files.abs(".dockerignore")), files.readTop(".dockerignore"));
    } catch (err) {
        throw err instanceof DockerIgnoreProblem ? new IgnoreFileProblem(err.message) : err;
    }
}

/** The files of one folder, read as text inputs from inside the repository. */
class IgnoreFiles {
    constructor(
        private readonly dir: string,
        private readonly repo: Repository,
        private readonly shown: (abs: string) => string,
    ) {}

    abs(name: string): string {
        return path.join(this.dir, name);
    }

    /** For gcloud's includes: an InputProblem when it cannot be read. */
    readonly read = (name: string): string => readTextFile(resolveInside(this.repo, this.abs(name)));

    /** An ignore file itself: a problem names it. */
    readTop(name: string): string {
        try {
            return this.read(name);
        } catch (err) {
            throw err instanceof InputProblem
                ? new IgnoreFileProblem(`${this.shown(this.abs(name))} ${err.message}`)
                : err;
        }
    }

    /** os.path.exists, which gcloud asks of `.git` and `.gitignore`: false on any error, a loop too. */
    leadsAnywhere(name: string): boolean {
        try {
            fs.statSync(this.abs(name));
            return true;
        } catch {
            return false;
        }
    }

    /**
     * Is there an ignore file to read (symlinks followed)? A symlink to nothing is none, for both
     * tools; a loop or a folder we may not look into is a problem.
     */
    exists(name: string): boolean {
        try {
            fs.statSync(this.abs(name));
            return true;
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === "ENOENT" || code === "ENOTDIR") {
                return false;
            }
            throw new IgnoreFileProblem(`${this.shown(this.abs(name))} ${describeFsError(err)}`);
        }
    }
}
