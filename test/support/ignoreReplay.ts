/**
 * Replaying the real tools' recorded answers (test/golden/ignore-cases.json) against our ports:
 * what each case should give, where we refuse on purpose, and each tool's port walked alone.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DockerIgnore } from "../../lib/build/dockerIgnore";
import {
    CONTEXT_TOP,
    type ContextFilter,
    type EntryKind,
    IgnoreFileProblem,
    IgnoreFilter,
    readDockerIgnore,
    readGcloudIgnore,
    type WalkedDir,
} from "../../lib/build/ignoreFiles";
import { findRepository, relativeFrom } from "../../lib/repository";
import { type IgnoreCase, materialise, readGolden, type Selection } from "./ignoreCases";

/**
 * Where we refuse although the real tool answers, on purpose: the case, the tool, our exact line
 * (paths relative to the case's folder) and why.
 */
export const OUR_REFUSALS: Record<string, { tool: "gcloud" | "docker"; line: string; why: string }> = {
    "g-gcloudignore-is-dir": {
        tool: "gcloud",
        line: ".gcloudignore is a directory, not a file",
        why: "gcloud falls back to its defaults when it cannot read .gcloudignore; an ignore file we cannot read is refused",
    },
    "d-walk-truncated": {
        tool: "docker",
        line: ".dockerignore:3: [z-a]* is not a valid pattern (Docker: error parsing regexp: invalid character class range: `z-a`)",
        why: "Docker compiles a pattern when its walk first needs it: here the context is silently cut short",
    },
    "d-daemon-keeps-dockerignore": {
        tool: "docker",
        line: ".dockerignore:2: \\u is not a valid pattern (Docker: error parsing regexp: invalid escape sequence: `\\u`)",
        why: "Docker never evaluates this pattern (everything is excluded before it); every pattern is checked up front",
    },
};

const made: string[] = [];
process.on("exit", () => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the tests end. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
}

/** The case's tree in a new temporary folder. */
export function caseTree(c: IgnoreCase): string {
    const dir = path.join(tempDir("fw-ignore-case-"), "ctx");
    materialise(c.tree, dir);
    return dir;
}

/** What `tool` should select from the case's tree: its recorded answer, or our refusal. */
export function expectedOf(c: IgnoreCase, tool: "gcloud" | "docker"): Selection {
    const refusal = OUR_REFUSALS[c.name];
    if (refusal?.tool === tool) {
        return { error: refusal.line };
    }
    const recorded = readGolden().find((r) => r.name === c.name);
    if (!recorded) {
        throw new Error(
            `${c.name} is not recorded: UPDATE_GOLDEN=1 npx mocha test/lib/build/ignoreFiles.integration.test.ts`,
        );
    }
    return recorded[tool];
}

/** What we select (both tools' filters), as the recorded answers are written. */
export function expectedOfBoth(c: IgnoreCase): Selection {
    const g = expectedOf(c, "gcloud");
    const d = expectedOf(c, "docker");
    if ("error" in g) return g;
    if ("error" in d) return d;
    const docker = new Set(d.files);
    return { files: g.files.filter((f) => docker.has(f)) };
}

/**
 * One tool's port alone, walking `dir` as that tool walks: gcloud builds submit (broken symlinks
 * dropped, a symlink to a folder matched as a folder) or docker build (symlinks are files).
 */
export function portSelection(dir: string, tool: "gcloud" | "docker"): Selection {
    const repo = findRepository(dir);
    const shown = (abs: string) => relativeFrom(dir, abs);
    try {
        const filter: ContextFilter =
            tool === "gcloud"
                ? new IgnoreFilter(readGcloudIgnore(dir, repo, shown), DockerIgnore.NONE)
                : dockerOnly(readDockerIgnore(dir, repo, shown));
        return { files: sortPaths(walk(dir, filter)) };
    } catch (err) {
        if (err instanceof IgnoreFileProblem) return { error: err.message };
        throw err;
    }
}

/** Docker's walk alone: symlinks, broken or not, are sent as files. */
function dockerOnly(docker: DockerIgnore): ContextFilter {
    const rel = (dir: WalkedDir, name: string) => (dir.rel === "" ? name : `${dir.rel}/${name}`);
    return {
        takes: (dir, name) => !docker.match(rel(dir, name), dir.docker).excluded,
        enters: (dir, name) => {
            const { excluded, info } = docker.match(rel(dir, name), dir.docker);
            return excluded && !docker.entersExcluded(rel(dir, name))
                ? undefined
                : { rel: rel(dir, name), docker: info };
        },
    };
}

/** The paths a filter takes from a real folder, walked as lib/build/context.ts walks. */
function walk(root: string, filter: ContextFilter): string[] {
    const out: string[] = [];
    const visit = (abs: string, dir: WalkedDir) => {
        for (const d of fs.readdirSync(abs, { withFileTypes: true })) {
            const p = path.join(abs, d.name);
            if (d.isDirectory()) {
                const sub = filter.enters(dir, d.name);
                if (sub) visit(p, sub);
            } else if (filter.takes(dir, d.name, d.isSymbolicLink() ? linkKind(p) : "file")) {
                out.push(dir.rel === "" ? d.name : `${dir.rel}/${d.name}`);
            }
        }
    };
    visit(root, CONTEXT_TOP);
    return out;
}

function linkKind(p: string): EntryKind {
    try {
        return fs.statSync(p).isDirectory() ? "dirSymlink" : "symlink";
    } catch {
        return "brokenSymlink";
    }
}

/** Paths in one order (code units), whoever listed them. */
export const sortPaths = (files: string[]): string[] => [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Both select the same files, or both refuse (an expected refusal with a line: that very line). */
export function assertSameSelection(actual: Selection, expected: Selection, what: string): void {
    const show = (s: Selection) => ("files" in s ? JSON.stringify(sortPaths(s.files)) : `refused: ${s.error}`);
    if ("error" in expected && "error" in actual) {
        const exact = Object.values(OUR_REFUSALS).some((r) => r.line === expected.error);
        if (exact) assert.equal(actual.error, expected.error, what);
        assert.equal(actual.error.split("\n").length, 1, `${what}: one line`);
        return;
    }
    assert.equal(show(actual), show(expected), what);
}
