/**
 * `.gcloudignore` exactly as `gcloud builds submit DIR` applies it, ported from Google Cloud SDK
 * 528 (the google-cloud-cli Debian package, whose bundled Python is 3.12):
 *   lib/googlecloudsdk/command_lib/util/gcloudignore.py  FileChooser (FromString, IsIncluded,
 *                                                       _GetIncludedPatterns), GetFileChooserForDir
 *   lib/googlecloudsdk/command_lib/util/glob.py          Glob, _HandleSpaces, _Unescape, GetPathPrefixes
 *   lib/googlecloudsdk/api_lib/storage/storage_util.py   Snapshot (what `builds submit` packs)
 *   Python 3.12 fnmatch.translate, str.splitlines, universal newlines
 * No library is used: gcloud's patterns are not gitignore's. The `ignore` package (gitignore) we
 * used before disagreed with gcloud 528 on 37 of 57 hand-picked cases and on about one random
 * case in five: gcloud matches a pattern's parts from the right, so `a/b` is not anchored, and a
 * first part `*` also matches nothing, or a folder inside a one-character folder; `dir/**` also
 * matches `dir`; `\*` is a wildcard; it is case-sensitive; a lone `!` is no pattern; a BOM stays part of
 * the first line; `#!include:` takes any space after `#`, keeps the name untrimmed, refuses a
 * `/` in it and reads one level only. test/lib/build/gcloudIgnore.test.ts replays the real
 * tool's recorded answers; ignoreFiles.integration.test.ts compares with gcloud itself.
 *
 * Paths are relative to the context, clean (no `.`, `..` or empty parts), with forward slashes.
 */
import * as path from "node:path";
import { InputProblem } from "../repository";

/** A `.gcloudignore` gcloud refuses (a bad `#!include:`): the message names the file and line. */
export class GcloudIgnoreProblem extends Error {}

/** Reads an included file of the same folder (by name); throws InputProblem when it cannot. */
export type ReadIncluded = (name: string) => string;

const INCLUDE_DIRECTIVE = "!include:";

/** gcloud's default `.gcloudignore` (DEFAULT_IGNORE_FILE), used when a context has none. */
const DEFAULT_PATTERNS = [".gcloudignore", ".git", ".gitignore"];

/** Python's str.splitlines() separators (after universal newlines made \r\n and \r into \n). */
const PY_LINE_BREAKS = new Set(["\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]);

/** Python's str.isspace() characters, for str.lstrip(). */
const PY_SPACES = new Set([
    ..."\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000",
    ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
]);

/** The lines Python reads from a text file: io.open(newline=None) then str.splitlines(). */
export function pythonLines(text: string): string[] {
    const lines: string[] = [];
    let line = "";
    for (const c of text.replace(/\r\n?/g, "\n")) {
        if (PY_LINE_BREAKS.has(c)) {
            lines.push(line);
            line = "";
        } else {
            line += c;
        }
    }
    if (line !== "") {
        lines.push(line);
    }
    return lines;
}

/** Python's str.lstrip(). */
function pythonLstrip(text: string): string {
    let i = 0;
    while (i < text.length && PY_SPACES.has(text[i])) i++;
    return text.slice(i);
}

/** One part of a glob between slashes, as fnmatch compiles it. */
interface Part {
    text: string;
    regexp: RegExp;
}

/** glob.Glob: parts are matched against the path from the right. */
class Glob {
    private readonly doubleStar: boolean;

    constructor(
        private readonly parts: Part[],
        private readonly mustBeDir: boolean,
    ) {
        this.doubleStar = parts.some((p) => p.text === "**");
    }

    matches(p: string, isDir: boolean): boolean {
        return (!this.mustBeDir || isDir) && matchParts(this.parts, p, this.doubleStar ? new Map() : undefined);
    }
}

const EMPTY_PART: Part = { text: "", regexp: /^$/ };

/**
 * Glob._MatchesHelper: do the parts match the path (null: above the root)? `seen` remembers
 * answers, so that many `**` cost polynomial time, not exponential.
 */
function matchParts(parts: readonly Part[], p: string | null, seen?: Map<string, boolean>): boolean {
    if (parts.length === 0) {
        return true;
    }
    if (p === null) {
        return false; // '*' matches the root (''), '/*' does not
    }
    // the parts are the pattern's first ones, after an inserted EMPTY_PART or not
    const key = `${parts.length}:${parts[0] === EMPTY_PART}:${p}`;
    const known = seen?.get(key);
    if (known !== undefined) {
        return known;
    }
    const part = parts[parts.length - 1];
    const rest = parts.slice(0, -1);
    const cut = p.lastIndexOf("/");
    const last = p.slice(cut + 1);
    const remaining = last === "" ? null : p.slice(0, Math.max(cut, 0));
    let result: boolean;
    if (part.text === "**") {
        // '**' matches any number of trailing parts, and anchors what is left of the pattern
        if (!(rest.length > 0 && rest[0].text === "")) {
            rest.unshift(EMPTY_PART);
        }
        result = pathPrefixes(p).some((prefix) => matchParts(rest, prefix, seen));
    } else if (part.text === "*" && rest.length === 0 && remaining !== null && [...remaining].length > 1) {
        result = false; // sic: a leading '*' refuses a remaining path longer than one character
    } else {
        result = part.regexp.test(last) && matchParts(rest, remaining, seen);
    }
    seen?.set(key, result);
    return result;
}

/** glob.GetPathPrefixes: "a/b" gives ["", "a", "a/b"]. */
function pathPrefixes(p: string): string[] {
    const out = [""];
    if (p === "") {
        return out;
    }
    const parts = p.split("/");
    for (let i = 1; i <= parts.length; i++) {
        out.push(parts.slice(0, i).join("/"));
    }
    return out;
}

/** glob._HandleSpaces: strips unescaped trailing spaces, then unescapes every `\ `. */
function handleSpaces(line: string): string {
    const tokens: string[] = [];
    const chars = [...line];
    for (let i = 0; i < chars.length; i++) {
        tokens.push(chars[i] === "\\" && i + 1 < chars.length ? chars[i] + chars[++i] : chars[i]);
    }
    while (tokens.length > 0 && tokens[tokens.length - 1] === " ") {
        tokens.pop();
    }
    return tokens.join("").split("\\ ").join(" ");
}

/** Pattern.FromString and Glob.FromString: undefined for a line gcloud skips as invalid. */
function parsePattern(line: string): { glob: Glob; negated: boolean } | undefined {
    let text = line;
    const negated = text.startsWith("!");
    if (negated) {
        text = text.slice(1);
    }
    const mustBeDir = text.endsWith("/");
    if (mustBeDir) {
        text = text.slice(0, -1);
    }
    text = handleSpaces(text);
    if (/(?<!\\)\\(\\\\)*$/.test(text)) {
        return undefined; // ends in an odd number of backslashes
    }
    text = text
        .replace(/\\([^\\])/g, "$1")
        .split("\\\\")
        .join("\\");
    if (text === "") {
        return undefined;
    }
    const parts = text.split("/").map((p) => ({ text: p, regexp: fnmatchRegExp(p) }));
    return { glob: new Glob(parts, mustBeDir), negated };
}

/** A code point as a RegExp literal (u flag). */
const literal = (c: string): string => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;

const ANY = "[\\s\\S]";

/** Python 3.12 fnmatch.translate (case-sensitive, as on POSIX), as a JS RegExp. */
export function fnmatchRegExp(pattern: string): RegExp {
    const pat = [...pattern];
    let out = "";
    let star = false;
    let i = 0;
    while (i < pat.length) {
        const c = pat[i++];
        const wasStar = star;
        star = c === "*";
        if (c === "*") {
            out += wasStar ? "" : `${ANY}*`;
        } else if (c === "?") {
            out += ANY;
        } else if (c === "[") {
            let j = i;
            if (j < pat.length && pat[j] === "!") j++;
            if (j < pat.length && pat[j] === "]") j++;
            while (j < pat.length && pat[j] !== "]") j++;
            if (j >= pat.length) {
                out += literal("[");
                continue;
            }
            out += characterClass(classChunks(pat, i, j));
            i = j + 1;
        } else {
            out += literal(c);
        }
    }
    try {
        return new RegExp(`^${out}$`, "u");
    } catch {
        throw new GcloudIgnoreProblem(`${pattern} is a pattern gcloud cannot compile`);
    }
}

/**
 * The set `pat[i:j]` split where a `-` makes a range (fnmatch's chunks): consecutive chunks are
 * joined by ranges; empty ranges are removed as fnmatch does.
 */
function classChunks(pat: string[], start: number, j: number): string[][] {
    if (!pat.slice(start, j).includes("-")) {
        return [pat.slice(start, j)];
    }
    const chunks: string[][] = [];
    let i = start;
    let k = pat[i] === "!" ? i + 2 : i + 1;
    for (;;) {
        k = pat.indexOf("-", k);
        if (k < 0 || k >= j) break;
        chunks.push(pat.slice(i, k));
        i = k + 1;
        k += 3;
    }
    const chunk = pat.slice(i, j);
    if (chunk.length > 0) {
        chunks.push(chunk);
    } else {
        chunks[chunks.length - 1] = [...chunks[chunks.length - 1], "-"];
    }
    for (let q = chunks.length - 1; q > 0; q--) {
        const a = chunks[q - 1];
        const b = chunks[q];
        if ((a[a.length - 1].codePointAt(0) ?? 0) > (b[0].codePointAt(0) ?? 0)) {
            chunks[q - 1] = [...a.slice(0, -1), ...b.slice(1)];
            chunks.splice(q, 1);
        }
    }
    return chunks;
}

function characterClass(chunks: string[][]): string {
    const [first, ...more] = chunks;
    if (more.length === 0 && first.length === 0) {
        return "(?!)"; // an empty range never matches
    }
    if (more.length === 0 && first.length === 1 && first[0] === "!") {
        return ANY; // a negated empty range matches any character
    }
    const negated = first[0] === "!";
    const body = [negated ? first.slice(1) : first, ...more].map((c) => c.map(literal).join("")).join("-");
    return negated ? `[^${body}]` : `[${body}]`;
}

/** The patterns of a `.gcloudignore` (FileChooser), and which paths they let through. */
export class GcloudIgnore {
    private constructor(private readonly patterns: { glob: Glob; negated: boolean }[]) {}

    /** No `.gcloudignore`, and neither `.git` nor `.gitignore`: gcloud uploads everything. */
    static readonly NONE = new GcloudIgnore([]);

    /**
     * A `.gcloudignore`: `file` is its path as messages show it (project-relative), `text` its
     * content; `#!include:NAME` lines read NAME from the same folder with `read` (one level).
     */
    static parse(file: string, text: string, read: ReadIncluded): GcloudIgnore {
        return new GcloudIgnore(parseLines(file, text, read, true));
    }

    /**
     * gcloud's defaults when the context has no `.gcloudignore` but has `.git` or `.gitignore`
     * (`dir` as messages show it): `.gcloudignore`, `.git`, `.gitignore` and, when `.gitignore`
     * exists, its patterns.
     */
    static defaults(dir: string, hasGitignore: boolean, read: ReadIncluded): GcloudIgnore {
        const patterns = DEFAULT_PATTERNS.flatMap((p) => parsePattern(p) ?? []);
        if (hasGitignore) {
            const file = path.posix.join(dir, ".gitignore");
            let text: string;
            try {
                text = read(".gitignore");
            } catch (err) {
                if (err instanceof InputProblem) {
                    throw new GcloudIgnoreProblem(
                        `${file} ${err.message} (without a .gcloudignore, gcloud reads the .gitignore)`,
                    );
                }
                throw err;
            }
            patterns.push(...parseLines(file, text, read, false));
        }
        return new GcloudIgnore(patterns);
    }

    /**
     * FileChooser.IsIncluded: no prefix of the path (its folders, then itself) is ignored by the
     * last pattern that matches it. A symlink to a folder counts as a folder.
     */
    isIncluded(p: string, isDir: boolean): boolean {
        return pathPrefixes(p)
            .slice(1)
            .every((prefix) => !this.ignores(prefix, prefix !== p || isDir));
    }

    /**
     * Is the path itself ignored (the last pattern that matches it is not a `!` one)? For an
     * entry of a folder that is included, this is all that IsIncluded has left to check.
     */
    ignores(p: string, isDir: boolean): boolean {
        for (let i = this.patterns.length - 1; i >= 0; i--) {
            const { glob, negated } = this.patterns[i];
            if (glob.matches(p, isDir)) {
                return !negated;
            }
        }
        return false;
    }
}

/** FileChooser.FromString: `include` is false inside an included file (one level only). */
function parseLines(file: string, text: string, read: ReadIncluded, include: boolean) {
    const patterns: { glob: Glob; negated: boolean }[] = [];
    pythonLines(text).forEach((line, index) => {
        const where = `${file}:${index + 1}`;
        if (!line.startsWith("#")) {
            try {
                const p = parsePattern(line);
                if (p) patterns.push(p);
            } catch (err) {
                if (err instanceof GcloudIgnoreProblem) throw new GcloudIgnoreProblem(`${where}: ${err.message}`);
                throw err;
            }
            return;
        }
        if (!pythonLstrip(line.slice(1)).startsWith(INCLUDE_DIRECTIVE)) {
            return; // a comment
        }
        // the name is everything after the first "!include:", spaces and all
        const name = line.slice(line.indexOf(INCLUDE_DIRECTIVE) + INCLUDE_DIRECTIVE.length);
        const directive = `#!include:${name}`;
        if (name.includes("/")) {
            throw new GcloudIgnoreProblem(
                `${where}: ${quoted(directive)} may only include files in the same directory`,
            );
        }
        if (!include) {
            return; // gcloud does not follow #!include: in an included file
        }
        const included = path.posix.join(path.posix.dirname(file), name);
        let content: string;
        try {
            content = read(name);
        } catch (err) {
            if (err instanceof InputProblem) {
                throw new GcloudIgnoreProblem(`${where}: ${quoted(directive)}: ${quoted(included)} ${err.message}`);
            }
            throw err;
        }
        patterns.push(...parseLines(included, content, read, false));
    });
    return patterns;
}

/** Text as a message shows it: quoted when it has spaces or characters that do not print. */
function quoted(text: string): string {
    return /^[\x21-\x7e]+$/.test(text) ? text : JSON.stringify(text);
}
