/**
 * A pip requirements file and everything it reads: `-r`/`-c` files (relative to the file that
 * names them), local packages, wheels and `-e` folders, `--find-links` folders. Each is followed,
 * confined to the repository, uploaded and hashed, so the runtime's content tag covers every
 * byte pip reads. Anything pip would read from elsewhere on the builder (an absolute path, a
 * `file:` URL, an environment variable in a path) is refused with `file:line`.
 *
 * Several requirements files are installed in order, each in its own layer that copies only what
 * its pip reads (`requirementsUpload`), so that a change to one reinstalls it and the layers
 * after it, never those before it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputProblem, type Repository, readTextFile, relativeFrom, resolveInside } from "../repository";
import type { RequirementsLayout } from "./renderDockerfile";

/** One file or folder a requirements file reads, and where it goes in the build context. */
export interface RequirementInput {
    /** Project-relative path, symlinks resolved. */
    src: string;
    /** Path in the context, relative to the folder uploaded for the requirements. */
    dest: string;
}

export interface Requirements {
    /** Every file and folder read, the main file first. */
    inputs: RequirementInput[];
    /** The main file's path in the uploaded folder (pip runs from its folder). */
    main: string;
    /** Whether the main file lists anything at all (an empty one needs no pip). */
    hasRequirements: boolean;
    /** The requirement lines of every file, for reviewers: `file: line`. */
    lines: string[];
}

/** A problem in a requirements file: `file:line: what`. */
export class RequirementsProblem extends Error {}

/** Options whose value is a file pip reads, relative to the file naming it. */
const FILE_OPTIONS = new Set(["-r", "--requirement", "-c", "--constraint"]);
/** Options whose value is a folder of packages (or a URL). */
const LINK_OPTIONS = new Set(["-f", "--find-links"]);
/** Options whose value is a local project (or a VCS URL). */
const EDITABLE_OPTIONS = new Set(["-e", "--editable"]);
/** Options with a value that reads nothing local. */
const VALUE_OPTIONS = new Set([
    "-i",
    "--index-url",
    "--extra-index-url",
    "--trusted-host",
    "--hash",
    "--config-settings",
    "--global-option",
    "--only-binary",
    "--no-binary",
    "--use-feature",
]);

interface Read {
    abs: string;
    kind: "file" | "folder";
}

/** Reads a requirements file (project-relative) and everything it names, confined to `repo`. */
export function readRequirements(repo: Repository, file: string): Requirements {
    const reads: Read[] = [];
    const lines: string[] = [];
    const seen = new Set<string>();
    const mainAbs = resolveInside(repo, file);
    let hasRequirements = false;

    const visit = (abs: string) => {
        if (seen.has(abs)) return;
        seen.add(abs);
        reads.push({ abs, kind: "file" });
        const name = relativeFrom(repo.projectRoot, abs);
        let text: string;
        try {
            text = readTextFile(abs);
        } catch (err) {
            throw new RequirementsProblem(`${name}: ${(err as Error).message}`);
        }
        for (const { line, no } of logicalLines(text)) {
            const where = `${name}:${no}`;
            hasRequirements = true;
            lines.push(`${name}: ${line}`);
            if (/(^|\s|@)file:/i.test(line)) {
                throw new RequirementsProblem(
                    `${where}: a file: URL; write the path relative to the requirements file instead`,
                );
            }
            const [first, rest] = splitOption(line);
            const local = (value: string, base: string, what: "file" | "folder" | "either") =>
                localPath(repo, where, value, base, what);
            if (FILE_OPTIONS.has(first)) {
                visit(local(rest, path.dirname(abs), "file").abs);
            } else if (LINK_OPTIONS.has(first)) {
                if (!isUrl(rest)) reads.push(local(rest, path.dirname(abs), "folder"));
            } else if (EDITABLE_OPTIONS.has(first)) {
                if (!isUrl(rest)) reads.push(local(rest, path.dirname(mainAbs), "either"));
            } else if (first.startsWith("-")) {
                if (!VALUE_OPTIONS.has(first) && rest !== "" && !first.startsWith("--")) {
                    // a short option we do not know may read a file: better refused than unhashed
                    throw new RequirementsProblem(`${where}: ${first} is an option this program does not follow`);
                }
            } else if (looksLikePath(first)) {
                reads.push(local(first, path.dirname(mainAbs), "either"));
            }
        }
    };
    visit(mainAbs);

    // everything is uploaded under the folder that holds all of it, keeping relative paths
    const base = commonFolder(reads.map((r) => (r.kind === "file" ? path.dirname(r.abs) : r.abs)));
    const inputs = dedupe(reads).map((r) => ({
        src: relativeFrom(repo.projectRoot, r.abs),
        dest: relativeFrom(base, r.abs),
    }));
    return { inputs, main: relativeFrom(base, mainAbs), hasRequirements, lines };
}

/** The requirements of a runtime as the build uploads them, and how its Dockerfile installs them. */
export interface RequirementsUpload {
    /** Context files: `src` project-relative, `dest` in the context. */
    files: { src: string; dest: string }[];
    /** Unset when no file lists anything: nothing for pip. */
    layout?: RequirementsLayout;
}

/**
 * The upload of the runtime's requirements files, read in order. One file is uploaded as today:
 * `requirements.txt` alone, or the folder `requirements/` when it reads other files. Two or more
 * are layers: layer N (the Nth file) is the folder `requirements/N/` with the file and everything
 * it reads, so each layer's inputs are its own (a file read by two layers is in both). A file
 * that lists nothing adds no layer.
 */
export function requirementsUpload(files: Requirements[]): RequirementsUpload {
    if (files.length === 1) {
        const [r] = files;
        if (!r.hasRequirements) return { files: [] };
        if (r.inputs.length === 1) {
            return { files: [{ src: r.inputs[0].src, dest: "requirements.txt" }], layout: { layout: "file" } };
        }
        return {
            files: r.inputs.map((i) => ({ src: i.src, dest: `requirements/${i.dest}` })),
            layout: { layout: "folder", main: r.main },
        };
    }
    const layers = files.map((r, i) => ({ r, dir: `requirements/${i + 1}` })).filter(({ r }) => r.hasRequirements);
    if (layers.length === 0) return { files: [] };
    return {
        files: layers.flatMap(({ r, dir }) => r.inputs.map((i) => ({ src: i.src, dest: `${dir}/${i.dest}` }))),
        layout: { layout: "layers", layers: layers.map(({ r, dir }) => ({ dir, main: r.main })) },
    };
}

/** Lines of a requirements file: continuations joined, comments and blank lines dropped, numbered. */
function logicalLines(text: string): { line: string; no: number }[] {
    const out: { line: string; no: number }[] = [];
    const raw = text.split(/\r?\n/);
    for (let i = 0; i < raw.length; i++) {
        const no = i + 1;
        let line = raw[i];
        while (line.endsWith("\\") && i + 1 < raw.length) {
            line = `${line.slice(0, -1)}${raw[++i]}`;
        }
        line = line.replace(/(^|\s)#.*$/, "").trim();
        if (line !== "") out.push({ line, no });
    }
    return out;
}

/** `-r x`, `-rx`, `--requirement=x`, `--requirement x` to the option and its value. */
function splitOption(line: string): [string, string] {
    const m = /^(--[A-Za-z-]+)(?:=|\s+)(.*)$/.exec(line) ?? /^(-[A-Za-z])\s*(.*)$/.exec(line);
    if (m) return [m[1], m[2].trim()];
    return [line.split(/\s+/)[0], line.split(/\s+/).slice(1).join(" ")];
}

function isUrl(value: string): boolean {
    return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) && !/^file:/i.test(value);
}

/** pip reads a requirement as a local path when it starts with `.` or `/`, or names an archive. */
function looksLikePath(word: string): boolean {
    return (
        word.startsWith(".") ||
        word.startsWith("/") ||
        /\.(whl|tar\.gz|tgz|zip|tar\.bz2)$/i.test(word.split(/[;\s]/)[0])
    );
}

/** A local path a requirements file names, confined to the repository. */
function localPath(
    repo: Repository,
    where: string,
    value: string,
    base: string,
    what: "file" | "folder" | "either",
): Read {
    const p = value.split(/[\s;]/)[0].replace(/\[[^\]]*\]$/, ""); // drop markers and extras
    if (p === "") throw new RequirementsProblem(`${where}: names no path`);
    if (/\$\{?[A-Za-z_]/.test(p)) {
        throw new RequirementsProblem(`${where}: ${p} uses an environment variable; the plan cannot know its value`);
    }
    if (path.isAbsolute(p)) {
        throw new RequirementsProblem(
            `${where}: ${p} is an absolute path, which the builder does not have; write it relative to the requirements file`,
        );
    }
    let abs: string;
    try {
        abs = resolveInside({ ...repo, projectRoot: base }, p);
    } catch (err) {
        if (err instanceof InputProblem) throw new RequirementsProblem(`${where}: ${p} ${err.message}`);
        throw err;
    }
    const st = fs.statSync(abs);
    if (st.isDirectory() && what !== "file") return { abs, kind: "folder" };
    if (st.isFile() && what !== "folder") return { abs, kind: "file" };
    throw new RequirementsProblem(`${where}: ${p} is not a ${what === "either" ? "file or folder" : what}`);
}

/** The deepest folder holding every path. */
function commonFolder(dirs: string[]): string {
    let common = dirs[0];
    for (const d of dirs.slice(1)) {
        while (!(d === common || d.startsWith(`${common}${path.sep}`))) {
            common = path.dirname(common);
        }
    }
    return common;
}

/** Drops reads already covered: repeated paths, and files inside an uploaded folder. */
function dedupe(reads: Read[]): Read[] {
    const folders = reads.filter((r) => r.kind === "folder").map((r) => r.abs);
    const seen = new Set<string>();
    return reads.filter((r) => {
        if (seen.has(r.abs)) return false;
        seen.add(r.abs);
        return !folders.some((f) => f !== r.abs && r.abs.startsWith(`${f}${path.sep}`));
    });
}
