/**
 * `.dockerignore` exactly as the Docker CLI (28.2, which sends the build context) applies it,
 * ported from:
 *   github.com/moby/patternmatcher v0.6.0   ignorefile.ReadAll; New, Pattern.compile and match,
 *                                           MatchesUsingParentResults
 *   github.com/moby/go-archive v0.1.0       Tarballer.Do: parent results reused down the walk; an
 *                                           excluded folder is entered only when an exception's
 *                                           cleaned text starts with `folder/`
 *   Go's path/filepath Clean and Match (its syntax check), strings.TrimSpace; regexp via re2js
 *   (RE2 syntax, as Go's regexp)
 * No library is used: `@balena/dockerignore` (moby 19.03, case-insensitive by default), which we
 * used before, disagreed with real Docker builds on 18 of 40 hand-picked cases and on about one
 * random build in four: case, `!` exceptions under excluded folders (entered only as above, and
 * matched with the parent's results), `**foo` and `foo**` (suffix and prefix tests), escapes,
 * `|` `{` `}` reaching the regexp unescaped (patternmatcher's escape table keeps only `.+()$`), a
 * BOM, and patterns Docker refuses. test/lib/build/dockerIgnore.test.ts replays the real tool's
 * recorded answers; ignoreFiles.integration.test.ts compares with real builds.
 *
 * Where Docker refuses a pattern only when the walk happens to evaluate it (a regexp that RE2
 * rejects: the build fails, or the context is silently cut short), every pattern is checked up
 * front and refused.
 */
import { RE2JS } from "re2js";

/** A `.dockerignore` Docker would refuse: the message names the file and line. */
export class DockerIgnoreProblem extends Error {}

/** Go's unicode.IsSpace, for strings.TrimSpace. */
const GO_SPACE = "[\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");
const trimSpace = (s: string): string => s.replace(GO_TRIM, "");

/** Go's path/filepath.Clean (Unix). */
export function goClean(p: string): string {
    if (p === "") {
        return ".";
    }
    const rooted = p.startsWith("/");
    const out: string[] = [];
    for (const part of p.split("/")) {
        if (part === "" || part === ".") {
            continue;
        }
        if (part !== "..") {
            out.push(part);
        } else if (out.length > 0 && out[out.length - 1] !== "..") {
            out.pop();
        } else if (!rooted) {
            out.push("..");
        }
    }
    const cleaned = (rooted ? "/" : "") + out.join("/");
    return cleaned === "" ? "." : cleaned;
}

/** ignorefile.ReadAll: the patterns, each with its line number (1-based). */
function readAll(text: string): { pattern: string; line: number }[] {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") {
        lines.pop(); // bufio.ScanLines: no empty last line
    }
    const out: { pattern: string; line: number }[] = [];
    lines.forEach((raw, index) => {
        let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (index === 0 && line.startsWith("\ufeff")) {
            line = line.slice(1);
        }
        if (line.startsWith("#")) {
            return; // a comment only at the very start of the line
        }
        let pattern = trimSpace(line);
        if (pattern === "") {
            return;
        }
        const invert = pattern.startsWith("!");
        if (invert) {
            pattern = trimSpace(pattern.slice(1));
        }
        if (pattern.length > 0) {
            pattern = goClean(pattern);
            if (pattern.length > 1 && pattern.startsWith("/")) {
                pattern = pattern.slice(1);
            }
        }
        out.push({ pattern: invert ? `!${pattern}` : pattern, line: index + 1 });
    });
    return out;
}

/** Go's filepath.ErrBadPattern. */
class BadPattern extends Error {}

/**
 * Does patternmatcher.New refuse the pattern? It calls Go's filepath.Match(pattern, "."), which
 * reports ErrBadPattern only for a malformed part it reaches (a bad `[...]`, a `\` at the end):
 * once the name fails to match it stops, so `a\` is refused and `u*` followed by `/b\` is not.
 */
function refusedByMatch(pattern: string): boolean {
    try {
        goMatch([...pattern], ["."]);
        return false;
    } catch (err) {
        if (err instanceof BadPattern) return true;
        throw err;
    }
}

/** filepath.Match (Unix), on code points. */
function goMatch(patternIn: string[], nameIn: string[]): boolean {
    let pattern = patternIn;
    let name = nameIn;
    next: while (pattern.length > 0) {
        let star = false;
        while (pattern[0] === "*") {
            pattern = pattern.slice(1);
            star = true;
        }
        // scanChunk: up to the next * outside [...]
        let inRange = false;
        let i = 0;
        for (; i < pattern.length; i++) {
            const c = pattern[i];
            if (c === "\\" && i + 1 < pattern.length) i++;
            else if (c === "[") inRange = true;
            else if (c === "]") inRange = false;
            else if (c === "*" && !inRange) break;
        }
        const chunk = pattern.slice(0, i);
        pattern = pattern.slice(i);
        if (star && chunk.length === 0) {
            return !name.includes("/");
        }
        const here = matchChunk(chunk, name);
        if (here && (here.length === 0 || pattern.length > 0)) {
            name = here;
            continue;
        }
        if (star) {
            for (let k = 0; k < name.length && name[k] !== "/"; k++) {
                const rest = matchChunk(chunk, name.slice(k + 1));
                if (rest && !(pattern.length === 0 && rest.length > 0)) {
                    name = rest;
                    continue next;
                }
            }
        }
        return false;
    }
    return name.length === 0;
}

/** matchChunk: what is left of `s` after the chunk, or undefined when it does not match. */
function matchChunk(chunkIn: string[], sIn: string[]): string[] | undefined {
    let chunk = chunkIn;
    let s = sIn;
    let failed = false;
    /** getEsc: one class character and the rest of the chunk. */
    const classChar = (c: string[]): [number, string[]] => {
        let rest = c;
        if (rest.length === 0 || rest[0] === "-" || rest[0] === "]") throw new BadPattern();
        if (rest[0] === "\\") {
            rest = rest.slice(1);
            if (rest.length === 0) throw new BadPattern();
        }
        const r = rest[0].codePointAt(0) ?? 0;
        rest = rest.slice(1);
        if (rest.length === 0) throw new BadPattern();
        return [r, rest];
    };
    while (chunk.length > 0) {
        failed = failed || s.length === 0;
        if (chunk[0] === "[") {
            const r: number = failed ? -1 : (s[0].codePointAt(0) ?? 0);
            if (!failed) s = s.slice(1);
            chunk = chunk.slice(1);
            const negated = chunk[0] === "^";
            if (negated) chunk = chunk.slice(1);
            let match = false;
            for (let ranges = 0; ; ranges++) {
                if (chunk[0] === "]" && ranges > 0) {
                    chunk = chunk.slice(1);
                    break;
                }
                let lo: number;
                let hi: number;
                [lo, chunk] = classChar(chunk);
                hi = lo;
                if (chunk[0] === "-") [hi, chunk] = classChar(chunk.slice(1));
                match = match || (lo <= r && r <= hi);
            }
            failed = failed || match === negated;
        } else if (chunk[0] === "?") {
            if (!failed) {
                failed = s[0] === "/";
                s = s.slice(1);
            }
            chunk = chunk.slice(1);
        } else {
            if (chunk[0] === "\\") {
                chunk = chunk.slice(1);
                if (chunk.length === 0) throw new BadPattern();
            }
            if (!failed) {
                failed = chunk[0] !== s[0];
                s = s.slice(1);
            }
            chunk = chunk.slice(1);
        }
    }
    return failed ? undefined : s;
}

type Matcher = (p: string) => boolean;

/**
 * Pattern.compile: an exact, prefix (`foo**`) or suffix (`**foo`) test, or an RE2 regexp; only
 * `.+()$` are escaped (patternmatcher's escape table drops `|{}`). Throws the RE2 error.
 */
function compile(cleaned: string): Matcher {
    const chars = [...cleaned];
    let type: "exact" | "prefix" | "suffix" | "regexp" = "exact";
    let re = "^";
    for (let k = 0, i = 0; k < chars.length; i++) {
        const c = chars[k++];
        if (c === "*" && chars[k] === "*") {
            k++;
            if (chars[k] === "/") k++;
            if (k >= chars.length) {
                if (type === "exact") {
                    type = "prefix";
                } else {
                    re += ".*";
                    type = "regexp";
                }
            } else {
                re += "(.*/)?";
                type = "regexp";
            }
            if (i === 0) type = "suffix";
        } else if (c === "*") {
            re += "[^/]*";
            type = "regexp";
        } else if (c === "?") {
            re += "[^/]";
            type = "regexp";
        } else if (".+()$".includes(c)) {
            re += `\\${c}`;
        } else if (c === "\\") {
            if (k < chars.length) {
                re += `\\${chars[k++]}`;
                type = "regexp";
            } else {
                re += "\\";
            }
        } else if (c === "[" || c === "]") {
            re += c;
            type = "regexp";
        } else {
            re += c;
        }
    }
    switch (type) {
        case "exact":
            return (p) => p === cleaned;
        case "prefix": {
            const prefix = cleaned.slice(0, -2);
            return (p) => p.startsWith(prefix);
        }
        case "suffix": {
            const suffix = cleaned.slice(2);
            return (p) => p.endsWith(suffix) || (suffix.startsWith("/") && p === suffix.slice(1));
        }
        case "regexp": {
            const compiled = RE2JS.compile(`${re}$`);
            return (p) => compiled.test(p);
        }
    }
}

interface Pattern {
    /** The cleaned text, without its `!`. */
    cleaned: string;
    exception: boolean;
    matches: Matcher;
}

/** What matching a path left for its entries: which patterns it matched (MatchInfo). */
export type DockerMatchInfo = readonly boolean[];

/** The patterns of a `.dockerignore` (PatternMatcher), and which paths they exclude. */
export class DockerIgnore {
    private constructor(private readonly patterns: Pattern[]) {}

    /** No `.dockerignore`: nothing is excluded. */
    static readonly NONE = new DockerIgnore([]);

    /** A `.dockerignore`: `file` is its path as messages show it, `text` its content. */
    static parse(file: string, text: string): DockerIgnore {
        const patterns: Pattern[] = [];
        for (const { pattern, line } of readAll(text)) {
            const where = `${file}:${line}`;
            let p = goClean(trimSpace(pattern));
            const exception = p.startsWith("!");
            if (exception) {
                if (p.length === 1) {
                    throw new DockerIgnoreProblem(`${where}: "!" alone is not a pattern; Docker refuses it`);
                }
                p = p.slice(1);
            }
            if (refusedByMatch(p)) {
                throw new DockerIgnoreProblem(`${where}: ${quoted(p)} is not a valid pattern (Docker: syntax error)`);
            }
            let matches: Matcher;
            try {
                matches = compile(p);
            } catch (err) {
                const why = err instanceof Error ? err.message : String(err);
                throw new DockerIgnoreProblem(`${where}: ${quoted(p)} is not a valid pattern (Docker: ${why})`);
            }
            patterns.push({ cleaned: p, exception, matches });
        }
        return new DockerIgnore(patterns);
    }

    /**
     * MatchesUsingParentResults: is `p` excluded? `parent` is what matching its folder gave
     * (undefined at the top of the context); the result's `info` is for `p`'s own entries.
     */
    match(p: string, parent: DockerMatchInfo | undefined): { excluded: boolean; info: DockerMatchInfo } {
        let excluded = false;
        const info = this.patterns.map((pattern, i) => {
            let m = parent?.[i] ?? false;
            if (!m) {
                if (pattern.exception !== excluded) {
                    return false; // cannot change the result: not evaluated
                }
                m = pattern.matches(p) || (parent === undefined && parentMatches(pattern, p));
            }
            if (m) {
                excluded = !pattern.exception;
            }
            return m;
        });
        return { excluded, info };
    }

    /** An excluded folder is still walked when an exception's text starts with `folder/`. */
    entersExcluded(dir: string): boolean {
        return this.patterns.some((p) => p.exception && `${p.cleaned}/`.startsWith(`${dir}/`));
    }
}

/** Without the parent's results: does the pattern match a folder above `p`? */
function parentMatches(pattern: Pattern, p: string): boolean {
    const parts = p.split("/").slice(0, -1);
    return parts.some((_, i) => pattern.matches(parts.slice(0, i + 1).join("/")));
}

/** Text as a message shows it: quoted when it has spaces or characters that do not print. */
function quoted(text: string): string {
    return /^[\x21-\x7e]+$/.test(text) ? text : JSON.stringify(text);
}
