// lib/build/gcloudIgnore.ts: .gcloudignore as gcloud 528's `builds submit` reads it. Every
// hand-picked case is replayed against gcloud's recorded answer (test/golden/ignore-cases.json);
// ignoreFiles.integration.test.ts compares with gcloud itself on random cases.
import assert from "node:assert/strict";
import { fnmatchRegExp, GcloudIgnore, GcloudIgnoreProblem, pythonLines } from "../../../lib/build/gcloudIgnore";
import { InputProblem } from "../../../lib/repository";
import { IGNORE_CASES } from "../../support/ignoreCases";
import { assertSameSelection, caseTree, expectedOf, portSelection } from "../../support/ignoreReplay";

/** A .gcloudignore from text; includes come from `files` (a missing one does not exist). */
function chooser(text: string, files: Record<string, string> = {}): GcloudIgnore {
    return GcloudIgnore.parse("p/.gcloudignore", text, (name) => {
        if (!(name in files)) throw new InputProblem("does not exist");
        return files[name];
    });
}

/** The problem line of a .gcloudignore gcloud refuses. */
function refusal(text: string, files: Record<string, string> = {}): string {
    try {
        chooser(text, files);
    } catch (err) {
        if (err instanceof GcloudIgnoreProblem) return err.message;
        throw err;
    }
    return "accepted";
}

describe("gcloudIgnore.ts: .gcloudignore as gcloud builds submit reads it", () => {
    describe("every hand-picked case, against gcloud 528's recorded answer", () => {
        for (const c of IGNORE_CASES) {
            it(`${c.name}: ${c.note}`, () => {
                assertSameSelection(portSelection(caseTree(c), "gcloud"), expectedOf(c, "gcloud"), c.name);
            });
        }
    });

    it("matches a pattern's parts from the right: unanchored unless it starts with / or holds **", () => {
        // [pattern, path, is a folder, ignored?]
        const table: [string, string, boolean, boolean][] = [
            ["a/b", "a/b", false, true],
            ["a/b", "x/a/b", false, true], // not anchored
            ["/a", "a", false, true],
            ["/a", "x/a", false, false],
            ["*/k", "k", false, true], // the first * also matches nothing
            ["*/k", "d/k", false, true],
            ["*/k", "d/e/k", false, true], // sic: a one-character folder above
            ["*/k", "dd/e/k", false, false],
            ["dir/**", "dir", false, true], // dir/** matches dir itself, even a file
            ["**/b", "x/y/b", false, true],
            ["a/**/b", "a/b", false, true],
            ["a/**/b", "z/a/b", false, false],
            ["out/", "out", false, false], // a folder only
            ["out/", "out/x", false, true],
            ["*.LOG", "a.log", false, false], // case-sensitive
            ["\\*", "x", false, true], // \* is unescaped, then a wildcard
            ["[!s]rc", "src", false, false],
            ["[^a]bc", "^bc", false, true], // ^ is no negation
            ["a ", "a", false, true], // trailing spaces stripped
            ["a\\ ", "a ", false, true],
            ["a\t", "a", false, false], // not tabs
            ["!", "a", false, false], // a lone ! is no pattern
        ];
        for (const [pattern, p, isDir, ignored] of table) {
            assert.equal(chooser(`${pattern}\n`).isIncluded(p, isDir), !ignored, `${pattern} on ${p}`);
        }
    });

    it("takes nothing back from under an ignored folder", () => {
        const c = chooser("secret/\n!secret/keep.txt\n");
        assert.equal(c.isIncluded("secret/keep.txt", false), false);
        assert.equal(chooser("*\n!keep\n").isIncluded("keep", false), true);
    });

    it("translates fnmatch as Python 3.12 does: classes, ranges, empty ranges", () => {
        const table: [string, string, boolean][] = [
            ["[a-c]x", "bx", true],
            ["[z-a]", "a", false], // an empty range never matches
            ["[!z-a]", "q", true], // a negated empty range matches anything
            ["[]a]", "]", true],
            ["[a-]", "-", true],
            ["[\\d]", "\\", true],
            ["[", "[", true],
            ["?", "\u{1f600}", true], // one character, not one UTF-16 unit
            ["*", "", true],
        ];
        for (const [pattern, name, matches] of table) {
            assert.equal(fnmatchRegExp(pattern).test(name), matches, `${pattern} on ${JSON.stringify(name)}`);
        }
    });

    it("reads lines as Python does: universal newlines, str.splitlines(), a BOM kept", () => {
        assert.deepEqual(pythonLines("a\r\nb\rc\fd\u2028e\n"), ["a", "b", "c", "d", "e"]);
        assert.deepEqual(pythonLines("\ufeffa\n\n"), ["\ufeffa", ""]);
        assert.deepEqual(pythonLines(""), []);
    });

    it("#!include: any space after #, the name untrimmed, one level only", () => {
        const files = { inc: "a\n#!include:inc2\n", inc2: "b\n" };
        for (const line of ["#!include:inc", "# !include:inc", "#\t!include:inc"]) {
            const c = chooser(`${line}\n`, files);
            assert.equal(c.isIncluded("a", false), false, line);
            assert.equal(c.isIncluded("b", false), true, `${line}: not followed in an included file`);
        }
        assert.equal(chooser(" #!include:inc\n", files).isIncluded(" #!include:inc", false), false); // a pattern
        assert.equal(chooser("#foo !include:inc\n", files).isIncluded("a", false), true); // a comment
    });

    it("refuses a bad #!include: with one line naming the file and line", () => {
        assert.equal(
            refusal("a\n#!include:sub/x\n"),
            "p/.gcloudignore:2: #!include:sub/x may only include files in the same directory",
        );
        assert.equal(refusal("#!include:missing\n"), "p/.gcloudignore:1: #!include:missing: p/missing does not exist");
        assert.equal(
            refusal("#!include:inc \n", { inc: "" }),
            'p/.gcloudignore:1: "#!include:inc ": "p/inc " does not exist',
        );
        assert.equal(
            refusal("#!include:inc\n", { inc: "x\n#!include:../y\n" }),
            "p/inc:2: #!include:../y may only include files in the same directory",
        );
    });

    it("without a .gcloudignore: .gcloudignore, .git, .gitignore and the .gitignore's own patterns", () => {
        const c = GcloudIgnore.defaults("p", true, () => "*.log\n#!include:other\n");
        for (const p of [".gcloudignore", ".git", ".gitignore", "x/a.log"])
            assert.equal(c.isIncluded(p, false), false, p);
        assert.equal(c.isIncluded("main.py", false), true);
        assert.throws(
            () =>
                GcloudIgnore.defaults("p", true, () => {
                    throw new InputProblem("is a directory, not a file");
                }),
            {
                message:
                    "p/.gitignore is a directory, not a file (without a .gcloudignore, gcloud reads the .gitignore)",
            },
        );
    });
});
