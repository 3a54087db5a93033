/**
 * The ignore files of a directory context, as the real tools read them:
 * - `.gcloudignore` is gitignore syntax (the `ignore` package), with gcloud's `#!include:FILE`;
 *   without one, gcloud's defaults apply (`.git`, `.gitignore`, `.gcloudignore`, plus the
 *   `.gitignore` rules when there is one).
 * - `.dockerignore` is Docker's Go patterns with `!` exceptions (`@balena/dockerignore`).
 * A file is uploaded when neither excludes it.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import dockerignore from "@balena/dockerignore";
import ignore, { type Ignore } from "ignore";

export interface ContextFilter {
    excludes(rel: string, isDir: boolean): boolean;
    /** May an exception re-include something under this excluded directory? */
    mayReinclude(rel: string): boolean;
}

const GCLOUD_DEFAULTS = [".gcloudignore", ".git", ".gitignore"];

/** gcloud's `.gcloudignore` lines with `#!include:FILE` expanded (one level, as gcloud does). */
export function gcloudIgnoreLines(dir: string): string[] {
    const file = path.join(dir, ".gcloudignore");
    if (!fs.existsSync(file)) {
        const gitignore = path.join(dir, ".gitignore");
        return fs.existsSync(gitignore) ? [...GCLOUD_DEFAULTS, ...readLines(gitignore)] : GCLOUD_DEFAULTS;
    }
    return readLines(file).flatMap((line) => {
        const m = /^#!include:(.+)$/.exec(line.trim());
        return m ? readLines(path.join(dir, m[1].trim())) : [line];
    });
}

function readLines(file: string): string[] {
    return fs.readFileSync(file, "utf8").split(/\r?\n/);
}

/** The filter of the directory context `dir` (absolute). */
export function contextFilter(dir: string): ContextFilter {
    const gcloud: Ignore = ignore().add(gcloudIgnoreLines(dir));
    const dockerFile = path.join(dir, ".dockerignore");
    const dockerLines = fs.existsSync(dockerFile) ? readLines(dockerFile) : [];
    const docker = dockerignore().add(dockerLines);
    const exceptions = dockerLines
        .map((l) => l.trim())
        .filter((l) => l.startsWith("!"))
        .map((l) => l.slice(1).replace(/^\/+/, ""));
    return {
        excludes: (rel, isDir) => gcloud.ignores(isDir ? `${rel}/` : rel) || docker.ignores(rel),
        mayReinclude: (rel) => {
            if (gcloud.ignores(`${rel}/`)) {
                return false; // gitignore semantics: nothing inside an ignored directory comes back
            }
            return exceptions.some((ex) => {
                const literal = ex.split(/[*?[]/)[0];
                return literal === "" || literal.startsWith(`${rel}/`) || `${rel}/`.startsWith(literal);
            });
        },
    };
}

/** Takes everything (named directories are taken whole). */
export const NO_FILTER: ContextFilter = { excludes: () => false, mayReinclude: () => false };
