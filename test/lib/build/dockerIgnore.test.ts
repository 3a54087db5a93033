// lib/build/dockerIgnore.ts: .dockerignore as the Docker CLI applies it when it sends a context.
// Every hand-picked case is replayed against a real build's recorded answer
// (test/golden/ignore-cases.json); ignoreFiles.integration.test.ts compares with real builds.
import assert from "node:assert/strict";
import { DockerIgnore, DockerIgnoreProblem, goClean } from "../../../lib/build/dockerIgnore";
import { IGNORE_CASES } from "../../support/ignoreCases";
import { assertSameSelection, caseTree, expectedOf, portSelection } from "../../support/ignoreReplay";

const parse = (text: string) => DockerIgnore.parse("p/.dockerignore", text);

/** Is `p` excluded, its folders matched first as Docker's walk matches them? */
function excluded(d: DockerIgnore, p: string): boolean {
    const parts = p.split("/");
    let info: readonly boolean[] | undefined;
    for (let i = 1; i < parts.length; i++) info = d.match(parts.slice(0, i).join("/"), info).info;
    return d.match(p, info).excluded;
}

function refusal(text: string): string {
    try {
        parse(text);
    } catch (err) {
        if (err instanceof DockerIgnoreProblem) return err.message;
        throw err;
    }
    return "accepted";
}

describe("dockerIgnore.ts: .dockerignore as the Docker CLI applies it", () => {
    describe("every hand-picked case, against a real docker build's recorded answer", () => {
        for (const c of IGNORE_CASES) {
            it(`${c.name}: ${c.note}`, () => {
                assertSameSelection(portSelection(caseTree(c), "docker"), expectedOf(c, "docker"), c.name);
            });
        }
    });

    it("matches Go patterns from the root: exact, prefix (foo**), suffix (**foo) and regexp", () => {
        // [pattern, path, excluded?]
        const table: [string, string, boolean][] = [
            ["*.txt", "a.txt", true],
            ["*.txt", "d/a.txt", false], // from the root only
            ["**/*.txt", "d/e/a.txt", true],
            ["**foo", "d/xfoo", true], // HasSuffix
            ["foo**", "fooz/x", true], // HasPrefix
            ["*.LOG", "a.log", false], // case-sensitive
            ["a+b*", "aab", false], // + is escaped
            ["a|b*", "xb", true], // | is not: alternation
            ["d{1}*", "d", true], // { } are not: repetition
            ["^c", "^c", true], // no wildcard: an exact compare
            ["out/", "out", true], // Clean drops the trailing /
            ["./b", "b", true],
            ["/a", "a", true],
            ["x/../a", "a", true],
            ["?.txt", "\u{1f600}.txt", true], // ? is one character
            ["a", "a/b/c", true], // a folder's exclusion reaches inside
        ];
        for (const [pattern, p, isExcluded] of table) {
            assert.equal(excluded(parse(`${pattern}\n`), p), isExcluded, `${pattern} on ${p}`);
        }
    });

    it("reads lines as Docker does: a BOM stripped, comments only at column 0, CRLF, space trimmed", () => {
        const d = parse("\ufeff#h\r\n #x\r\n  b \t\r\n! c\n");
        assert.equal(excluded(d, "#h"), false);
        assert.equal(excluded(d, "#x"), true);
        assert.equal(excluded(d, "b"), true);
        assert.equal(excluded(parse("*\n! c\n"), "c"), false);
    });

    it("walks into an excluded folder only when an exception's text starts with folder/", () => {
        assert.equal(parse("secret\n!secret/keep.txt\n").entersExcluded("secret"), true);
        assert.equal(parse("secret\n!./secret/keep.txt\n").entersExcluded("secret"), true); // cleaned first
        assert.equal(parse("secret\n!**/keep.txt\n").entersExcluded("secret"), false);
        assert.equal(parse("secret*\n!secret*/keep.txt\n").entersExcluded("secret"), false);
        assert.equal(parse("secret\n").entersExcluded("secret"), false);
    });

    it("reuses the folder's results: an exception skipped at a folder is not checked again below", () => {
        const d = parse("*/c\n!a\n");
        assert.equal(excluded(d, "a/c"), true);
        assert.equal(excluded(d, "a/d"), false);
    });

    it("cleans paths as Go's filepath.Clean", () => {
        assert.equal(goClean(""), ".");
        assert.equal(goClean("a//b/./c/.."), "a/b");
        assert.equal(goClean("../../a"), "../../a");
        assert.equal(goClean("/../a/"), "/a");
    });

    it("refuses what Docker refuses, every pattern up front, with one line naming the file and line", () => {
        assert.equal(refusal("a\n!\n"), 'p/.dockerignore:2: "!" alone is not a pattern; Docker refuses it');
        assert.equal(refusal("[\n"), "p/.dockerignore:1: [ is not a valid pattern (Docker: syntax error)");
        assert.equal(refusal("a\\ \n"), "p/.dockerignore:1: a\\ is not a valid pattern (Docker: syntax error)");
        assert.equal(
            refusal("*\n\n[z-a]*\n"),
            "p/.dockerignore:3: [z-a]* is not a valid pattern (Docker: error parsing regexp: invalid character class range: `z-a`)",
        );
        assert.equal(refusal("u*/build\\\n"), "accepted"); // Go's Match stops at the first mismatch
        assert.equal(excluded(parse("u*/build\\\n"), "up/build$"), true); // the \ escapes the regexp's $
        assert.equal(refusal("# just a comment\n\n"), "accepted");
    });
});
