/**
 * The hand-picked ignore-file cases: small trees whose selection by the real tools is recorded in
 * test/golden/ignore-cases.json (by ignoreFiles.integration.test.ts with UPDATE_GOLDEN=1) and
 * replayed by the unit tests. Names: g- mostly about .gcloudignore, d- about .dockerignore, b- both.
 * Each case is kept even where we agree: it pins the tools' behaviour.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A tree entry: a file's text (or bytes), an empty folder, or a symlink. */
export type Node = string | Buffer | { dir: true } | { link: string };
export type Tree = Record<string, Node>;

export interface IgnoreCase {
    name: string;
    note: string;
    tree: Tree;
}

const DIR = { dir: true } as const;
const link = (target: string) => ({ link: target });
const c = (name: string, note: string, tree: Tree): IgnoreCase => ({ name, note, tree });

export const IGNORE_CASES: IgnoreCase[] = [
    c("g-star-slash-root", "*/x matches root x, and depth-3 x under a 1-char top dir", {
        ".gcloudignore": "*/keep.txt\n",
        "keep.txt": "",
        "d/keep.txt": "",
        "d/e/keep.txt": "",
        "dd/e/keep.txt": "",
    }),
    c("g-unanchored-slash", "a/b is not anchored in gcloud", { ".gcloudignore": "a/b\n", "a/b": "", "x/a/b": "" }),
    c("g-doublestar-dir-itself", "dir/** matches dir itself", {
        ".gcloudignore": "dir/**\n!dir/keep\n",
        "dir/keep": "",
        "dir/other": "",
    }),
    c("g-doublestar-file-itself", "foo/** matches a FILE named foo", {
        ".gcloudignore": "foo/**\n",
        foo: "",
        foobar: "",
    }),
    c("g-case", "gcloud is case-sensitive", { ".gcloudignore": "*.LOG\n", "a.log": "", "b.LOG": "" }),
    c("g-bracket-bang", "[!s] negation", { ".gcloudignore": "[!s]rc\n", src: "", arc: "" }),
    c("g-bracket-caret", "[^a] is literal ^ or a in Python fnmatch", {
        ".gcloudignore": "[^a]bc\n",
        abc: "",
        bbc: "",
        "^bc": "",
    }),
    c("g-escaped-star", "\\* is unescaped to * before fnmatch", { ".gcloudignore": "\\*\n", "*": "", x: "" }),
    c("g-escaped-bracket", "\\[ is unescaped to [ before fnmatch", { ".gcloudignore": "\\[a]\n", "[a]": "", a: "" }),
    c("g-slash-then-space", "trailing '/' checked before spaces are stripped", {
        ".gcloudignore": "foo/ \n",
        "foo/x": "",
        "bar/foo/y": "",
    }),
    c("g-dirname-trailing-space", "space before '/' is stripped", { ".gcloudignore": "trail /\n", "trail /x": "" }),
    c("g-trailing-tab", "tabs are not stripped", { ".gcloudignore": "foo\t\n", foo: "" }),
    c("g-escaped-space", "escaped trailing space", { ".gcloudignore": "a\\ \n", "a ": "", a: "" }),
    c("g-lone-cr", "lone CR is a line break (universal newlines)", { ".gcloudignore": "a\rb\n", a: "", b: "" }),
    c("g-crlf", "CRLF", { ".gcloudignore": "a\r\nb\r\n", a: "", b: "", c: "" }),
    c("g-formfeed", "str.splitlines() also splits on \\f \\v \\x1c-\\x1e \\x85 \\u2028 \\u2029", {
        ".gcloudignore": "a\fb\n",
        a: "",
        b: "",
    }),
    c("g-bom", "BOM is kept: first pattern is U+FEFF a", { ".gcloudignore": "\ufeffa\nb\n", a: "", b: "" }),
    c("g-bom-comment", "BOM before a directive: neither comment nor include", {
        ".gcloudignore": "\ufeff#!include:inc\n",
        inc: "a\n",
        a: "",
        "\ufeff#!include:inc": "",
    }),
    c("g-include-space", "'# !include:' is an include", {
        ".gcloudignore": "# !include:inc\n",
        inc: "a\n",
        a: "",
        b: "",
    }),
    c("g-include-tab", "'#<tab>!include:' is an include", {
        ".gcloudignore": "#\t!include:inc\n",
        inc: "a\n",
        a: "",
        b: "",
    }),
    c("g-include-trailing-space", "file name not trimmed: 'inc ' is missing", {
        ".gcloudignore": "#!include:inc \n",
        inc: "a\n",
        a: "",
    }),
    c("g-include-space-after-colon", "file name not trimmed: ' inc' is missing", {
        ".gcloudignore": "#!include: inc\n",
        inc: "a\n",
        a: "",
    }),
    c("g-include-leading-space", "' #!include:' is a pattern", {
        ".gcloudignore": " #!include:inc\n",
        inc: "a\n",
        a: "",
    }),
    c("g-include-subdir", "'/' in the name is an error", {
        ".gcloudignore": "#!include:sub/inc\n",
        "sub/inc": "a\n",
        a: "",
    }),
    c("g-include-parent", "'/' in the name is an error (ours reads outside the dir)", {
        ".gcloudignore": "#!include:../inc\n",
        a: "",
    }),
    c("g-include-missing", "missing include is an error", { ".gcloudignore": "#!include:missing\n", a: "" }),
    c("g-include-empty", "empty include opens the directory: error", { ".gcloudignore": "#!include:\n", a: "" }),
    c("g-include-dir", "include of a directory: error", { ".gcloudignore": "#!include:sub\n", "sub/x": "" }),
    c("g-include-nested", "one level only", {
        ".gcloudignore": "#!include:inc\n",
        inc: "#!include:inc2\na\n",
        inc2: "b\n",
        a: "",
        b: "",
    }),
    c("g-include-nested-slash", "a '/' include inside an included file is still an error", {
        ".gcloudignore": "#!include:inc\n",
        inc: "#!include:x/inc2\na\n",
        a: "",
    }),
    c("g-include-text-after", "comment text before !include: is a comment", {
        ".gcloudignore": "#foo !include:inc\n",
        inc: "a\n",
        a: "",
    }),
    c("g-include-double", "name = text after the FIRST !include:", {
        ".gcloudignore": "#!include:inc!include:x\n",
        inc: "a\n",
        a: "",
    }),
    c("g-no-ignore-files", "no .gcloudignore/.git/.gitignore at the root: everything is uploaded", {
        "sub/.git/x": "",
        "sub/.gitignore": "",
        a: "",
    }),
    c("g-git-only", "defaults without .gitignore", { ".git/HEAD": "", "sub/.gitignore": "", a: "" }),
    c("g-gitignore-rules", "the .gitignore is read with gcloud semantics", {
        ".gitignore": "a/b\n*.LOG\n",
        "a/b": "",
        "x/a/b": "",
        "c.log": "",
    }),
    c("g-gcloudignore-is-dir", ".gcloudignore directory: defaults", {
        ".gcloudignore/x": "",
        ".gitignore": "a\n",
        a: "",
        b: "",
    }),
    c("g-invalid-utf8", "gcloud crashes on invalid UTF-8", { ".gcloudignore": Buffer.from("61ff0a", "hex"), a: "" }),
    c("g-negate-under-excluded", "no re-include under an excluded dir (agree)", {
        ".gcloudignore": "secret/\n!secret/keep.txt\n",
        "secret/keep.txt": "",
        "secret/x": "",
    }),
    c("g-leading-slash", "leading / anchors (agree)", { ".gcloudignore": "/a\n", a: "", "x/a": "" }),
    c("g-dot-slash", "./a matches nothing", { ".gcloudignore": "./a\n", a: "", "x/a": "" }),
    c("g-doublestar-middle", "a/**/b", { ".gcloudignore": "a/**/b\n", "a/b": "", "a/x/y/b": "", "z/a/b": "" }),
    c("g-doublestar-prefix", "**/b", { ".gcloudignore": "**/b\n", b: "", "x/y/b": "" }),
    c("g-doublestar-glued", "**.txt is *.txt", { ".gcloudignore": "**.txt\n", "a.txt": "", "d/b.txt": "" }),
    c("g-star-dir-trailing", "*/ matches directories only", { ".gcloudignore": "*/\n", f: "", "d/g": "" }),
    c("g-hash-escape", "escaped # and !", { ".gcloudignore": "\\#h\n\\!b\n", "#h": "", "!b": "" }),
    c("g-star-e-root", "*/*e matches root files (and itself)", { ".gcloudignore": "*/*e\n", le: "", "d/me": "" }),
    c("g-range-reversed", "empty range never matches", { ".gcloudignore": "[z-a]*\n", a: "", z: "" }),
    c("g-symlink-dir", "symlink to a dir: matched as a dir; meta follows it", {
        ".gcloudignore": "link/\n",
        "real/f": "",
        link: link("real"),
    }),
    c("g-symlink-dir-noignore", "symlink to a dir: meta lists link/f", {
        ".gcloudignore": "\n",
        "real/f": "",
        link: link("real"),
    }),
    c("g-symlink-broken", "broken symlink: meta crashes, builds submit drops it", {
        ".gcloudignore": "\n",
        a: "",
        broken: link("missing"),
    }),
    c("g-bang-alone", "a lone '!' is an invalid (skipped) line; node-ignore re-includes everything", {
        ".gcloudignore": "*\n!\n",
        a: "",
    }),
    c("g-escaped-qmark", "\\? is unescaped to the ? wildcard", { ".gcloudignore": "\\?\n", "?": "", x: "", xy: "" }),
    c("g-bracket-close-first", "[]a] is the class {], a}", { ".gcloudignore": "[]a]\n", a: "", "]": "", b: "" }),
    c("g-bracket-backslash", "[\\d] is the class {\\, d}", { ".gcloudignore": "[\\d]*\n", dx: "", x: "" }),
    c("g-nbsp", "only ' ' is stripped, not NBSP", { ".gcloudignore": "a\u00a0\n", a: "" }),
    c("g-star-star-star", "a leading */ can match an empty root component", {
        ".gcloudignore": "*/*/*\n",
        a: "",
        "d/e": "",
        "g/h/f": "",
    }),
    c("g-gitignore-include-slash", "default mode includes .gitignore: a '#!include:x/y' comment there is an error", {
        ".gitignore": "#!include:x/y\na\n",
        a: "",
        b: "",
    }),
    c("d-case", "Docker is case-sensitive; @balena/dockerignore defaults to ignorecase", {
        ".dockerignore": "*.LOG\n",
        "a.log": "",
        "b.LOG": "",
    }),
    c("d-plus-wild", "+ is escaped in Go", { ".dockerignore": "a+b*\n", "a+b": "", aab: "" }),
    c("d-paren-wild", "( ) are escaped in Go", { ".dockerignore": "p(q)*\n", "p(q)": "", pq: "" }),
    c("d-pipe-exact", "no wildcard: exact string compare", { ".dockerignore": "a|b\n", "a|b": "", a: "", xb: "" }),
    c("d-pipe-wild", "| is NOT escaped (patternmatcher bitmap bug): alternation", {
        ".dockerignore": "a|b*\n",
        "a|b": "",
        a: "",
        xb: "",
        "d/xb": "",
        c: "",
    }),
    c("d-brace-wild", "{ } NOT escaped: repetition", { ".dockerignore": "d{1}*\n", "d{1}": "", d: "", dx: "" }),
    c("d-caret-exact", "no wildcard: exact compare (balena builds ^^c$)", { ".dockerignore": "^c\n", "^c": "", c: "" }),
    c("d-suffix", "**foo is HasSuffix(foo)", { ".dockerignore": "**foo\n", foo: "", xfoo: "", "d/xfoo": "" }),
    c("d-suffix-ext", "**.txt is HasSuffix(.txt)", {
        ".dockerignore": "**.txt\n",
        "a.txt": "",
        "d/b.txt": "",
        ".txt": "",
    }),
    c("d-prefix", "foo** is HasPrefix(foo)", {
        ".dockerignore": "foo**\n",
        foo: "",
        foobar: "",
        "fooz/x": "",
        "d/foo": "",
    }),
    c("d-star-root-only", "*.txt only at the root (agree)", { ".dockerignore": "*.txt\n", "a.txt": "", "d/b.txt": "" }),
    c("d-except-dotslash", "exception is Clean()ed before the prefix test", {
        ".dockerignore": "secret\n!./secret/keep.txt\n",
        "secret/keep.txt": "",
        "secret/x": "",
    }),
    c("d-except-plain", "agree", {
        ".dockerignore": "secret\n!secret/keep.txt\n",
        "secret/keep.txt": "",
        "secret/x": "",
    }),
    c("d-except-leading-slash", "agree", {
        ".dockerignore": "secret\n!/secret/keep.txt\n",
        "secret/keep.txt": "",
        "secret/x": "",
    }),
    c("d-except-doublestar", "excluded dir is entered only if an exception starts with 'secret/'", {
        ".dockerignore": "secret\n!**/keep.txt\n",
        "secret/keep.txt": "",
        "keep.txt": "",
    }),
    c("d-except-wild-dir", "literal prefix test: 'secret*/keep.txt' does not start with 'secret/'", {
        ".dockerignore": "secret*\n!secret*/keep.txt\n",
        "secret/keep.txt": "",
        "secretx/keep.txt": "",
    }),
    c("d-except-star-file", "agree", {
        ".dockerignore": "secret\n!secret/*.txt\n",
        "secret/keep.txt": "",
        "secret/x": "",
    }),
    c("d-except-deeper", "agree", { ".dockerignore": "a\n!a/b/c\n", "a/b/c": "", "a/b/d": "" }),
    c("d-parent-results", "walk uses MatchesUsingParentResults: !a skipped at 'a' is not re-checked via parents", {
        ".dockerignore": "*/c\n!a\n",
        "a/c": "",
        "a/d": "",
    }),
    c("d-trailing-backslash", "'a\\ ' trims to 'a\\': syntax error, build fails", {
        ".dockerignore": "a\\ \n",
        a: "",
        "a ": "",
    }),
    c("d-bang-alone", "'!' alone: build fails", { ".dockerignore": "!\n", a: "" }),
    c("d-bad-bracket", "build fails (agree: both error)", { ".dockerignore": "[\n", a: "" }),
    c("d-reversed-range", "regexp compile error: build fails", { ".dockerignore": "[z-a]*\n", a: "" }),
    c("d-bad-escape", "RE2 rejects \\q: build fails", { ".dockerignore": "\\q*\n", q: "" }),
    c("d-bom-comment", "BOM stripped, then comment", { ".dockerignore": "\ufeff#h\n", "#h": "" }),
    c("d-bom-pattern", "agree", { ".dockerignore": "\ufeffa\n", a: "" }),
    c("d-space-hash", "' #h' is a pattern (agree)", { ".dockerignore": " #h\n", "#h": "" }),
    c("d-trailing-space-tab", "TrimSpace (agree)", { ".dockerignore": "a \nb\t\n", a: "", b: "" }),
    c("d-crlf", "agree", { ".dockerignore": "a\r\nb\r\n", a: "", b: "", c: "" }),
    c("d-lone-cr", "one line 'a\\rb' (agree)", { ".dockerignore": "a\rb\n", a: "", b: "", "a\rb": "" }),
    c("d-dotdot", "Clean (agree)", { ".dockerignore": "x/../a\n../b\n..\n", a: "", b: "" }),
    c("d-leading-slash-dot", "agree", { ".dockerignore": "/a\n./b\n", a: "", b: "", "d/a": "" }),
    c("d-doublestar", "agree", { ".dockerignore": "**/x\na/**/b\n", x: "", "d/x": "", "a/b": "", "a/y/b": "" }),
    c("d-unicode-qmark", "Go ? matches one rune; JS regex without u matches one UTF-16 unit", {
        ".dockerignore": "?.txt\n",
        "\u{1f600}.txt": "",
        "a.txt": "",
    }),
    c("d-empty-dir", "Docker sends (and COPY creates) empty directories", { ".dockerignore": "\n", empty: DIR, a: "" }),
    c("d-symlink", "symlinks are sent as symlinks (agree)", {
        ".dockerignore": "\n",
        "real/f": "",
        link: link("real"),
        broken: link("missing"),
    }),
    c("d-self-excluded", "the daemon drops an excluded .dockerignore (agree)", {
        ".dockerignore": ".dockerignore\n",
        a: "",
    }),
    c(
        "d-walk-truncated",
        "a regexp error first hit during the tar walk (not in validation) silently truncates the context",
        { ".dockerignore": "*\n!a/b\n[z-a]*\n", "a/b": "", "a/c": "", z: "" },
    ),
    c(
        "d-daemon-keeps-dockerignore",
        "engine 20.10 compiles every pattern when deciding to drop .dockerignore; \\u fails: .dockerignore stays",
        { ".dockerignore": "**\n\\u\n", a: "" },
    ),
    c("d-gitignore-style-dir", "trailing / is Clean()ed away: matches a FILE named build (agree)", {
        ".dockerignore": "build/\n",
        build: "",
        "x/build/y": "",
    }),
    c(
        "b-gcloud-excludes-dockerignore",
        "gcloud does not upload .dockerignore: Docker on Cloud Build would not apply it; we do",
        { ".gcloudignore": ".dockerignore\n", ".dockerignore": "a\n", a: "", b: "" },
    ),
    c(
        "b-include-exception-under-excluded",
        "the same lines: gcloud never re-includes under an ignored folder, Docker does",
        {
            ".gcloudignore": "#!include:.dockerignore\n",
            ".dockerignore": "secret\n!secret/keep\n",
            "secret/keep": "",
            "secret/x": "",
            y: "",
        },
    ),
    c("b-example-payload", "the example payload's ignore files", {
        ".gcloudignore": "#!include:.dockerignore\n",
        ".dockerignore":
            "# Go filepath patterns (Docker's syntax), not .gitignore patterns.\n.git*\n.gcloudignore\n**/*.pyc\n**/__pycache__\n*.so\n*.o\nout/\nfixtures/*\n!fixtures/keep.json\n",
        "main.py": "",
        "pkg/m.pyc": "",
        "pkg/__pycache__/m.pyc": "",
        "out/x": "",
        "sub/out/y": "",
        "fixtures/keep.json": "",
        "fixtures/big.dat": "",
        ".gitignore": "",
        "lib.so": "",
    }),
    c("b-bom-crlf-both", "a BOM and CRLF in both files", {
        ".gcloudignore": "\ufeffa\r\n#!include:.dockerignore\r\n",
        ".dockerignore": "\ufeffb\r\nc \r\n",
        a: "",
        b: "",
        c: "",
        "\ufeffa": "",
    }),
    c("b-symlink-dir-patterns", "a symlink to a folder: a folder for gcloud (dir/ patterns), a file for Docker", {
        ".gcloudignore": "ln/\n",
        ".dockerignore": "ln2/\n",
        "real/f": "",
        ln: link("real"),
        ln2: link("real"),
    }),
    c("b-leading-slash-doublestar", "leading / and ** in both", {
        ".gcloudignore": "/a\n**/b\n",
        ".dockerignore": "/c\n**/d\n",
        a: "",
        "x/a": "",
        b: "",
        "x/b": "",
        c: "",
        "x/c": "",
        d: "",
        "x/d": "",
    }),
    c("b-trailing-spaces", "trailing spaces: gcloud strips spaces only, Docker all white space", {
        ".gcloudignore": "a  \nb\\ \n",
        ".dockerignore": "c \t\n",
        a: "",
        b: "",
        "b ": "",
        c: "",
    }),
    c(
        "b-gitignore-defaults-with-dockerignore",
        "no .gcloudignore: gcloud's defaults with the .gitignore, and the .dockerignore",
        { ".gitignore": "*.log\n", ".dockerignore": "tmp\n", "a.log": "", "tmp/x": "", "main.py": "" },
    ),
];

/** Creates the tree under `dir` (which must not exist yet, or be empty). */
export function materialise(tree: Tree, dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const entries = Object.entries(tree).sort(([a], [b]) => a.split("/").length - b.split("/").length);
    for (const [rel, node] of entries) {
        const abs = path.join(dir, rel);
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        if (typeof node === "string" || Buffer.isBuffer(node)) fs.writeFileSync(abs, node);
        else if ("dir" in node) fs.mkdirSync(abs, { recursive: true });
        else fs.symlinkSync(node.link, abs);
    }
}

/** A tree as JSON holds it (bytes as hex), to keep it next to the recorded answers. */
export function treeJson(tree: Tree): Record<string, string | { hex: string } | { dir: true } | { link: string }> {
    return Object.fromEntries(
        Object.entries(tree).map(([k, v]) => [k, Buffer.isBuffer(v) ? { hex: v.toString("hex") } : v]),
    );
}

/** What the real tools selected from a case's tree (files and symlinks, sorted), or how they failed. */
export type Selection = { files: string[] } | { error: string };

/** One recorded case: `gcloud` is what `gcloud builds submit` uploads, `docker` what `docker build` takes. */
export interface Recorded {
    name: string;
    note: string;
    tree: ReturnType<typeof treeJson>;
    gcloud: Selection;
    docker: Selection;
}

export const GOLDEN_FILE = path.join(__dirname, "..", "golden", "ignore-cases.json");

/** The recorded answers ([] before the first recording). */
export function readGolden(): Recorded[] {
    return fs.existsSync(GOLDEN_FILE) ? (JSON.parse(fs.readFileSync(GOLDEN_FILE, "utf8")) as Recorded[]) : [];
}
