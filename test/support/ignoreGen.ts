/**
 * Random trees and ignore files for the differential tests, from a seed (the same seed gives the
 * same cases on every machine). Names and patterns lean on what the tools disagree about:
 * wildcards, `**`, `!` exceptions under excluded folders, escapes, brackets, case, leading `/`
 * and `./`, trailing `/` and spaces, CRLF, a BOM, `#!include:` forms, `.git`/`.gitignore`
 * defaults, symlinks to files, folders and nothing.
 */
import * as path from "node:path";
import type { Tree } from "./ignoreCases";

/** mulberry32: a small seeded generator. */
export function seeded(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const NAMES = [
    ...["a", "b", "ab", "A", "aa", "secret", "keep.txt", "x.txt", "X.TXT", "y.log", "Y.LOG", ".hidden"],
    ...["node_modules", "build", "out", "foo", "bar", "sub", "src", "sp ace", "#h", "!b", "a+b", "p(q)"],
    ...["c[1]", "dir.txt", "\u00e9", "\u{1f600}.txt", "trail ", "x", "xfoo", "foobar", "ba$e", "a|b", "d{1}"],
    ...["^c", "st*r", "q?m", "b\\s", " lead", "d{1,2}", "dd", "a]b", "c-d", "UP", "up", "..x", "x.", "e=f", "~"],
];

/** Lines that are not built from the tree: odd syntax the tools read differently. */
const ODD = [
    ...["\\*", "\\?", "\\[a]", "[a-c]*", "[]a]", "[!]a]", "[^]a]", "[a-]", "[-a]*", "[[:alpha:]]*", "[\\d]*"],
    ...["d{1,2}", "d{2}", "a|b", "*|*", "(p)", "..", "a/../b", "../a", "a//b", "/", "//a", "!!b", "\\!b"],
    ...["\\#h", "#h", "**foo", "foo**", "**.txt", "*.txt", "*.TXT", "**/*.txt", "*/*", "*/*/*", "**/**", "**/"],
    ...["*/", ".", "./", "./*", "*.", "st\\*r", "b\\\\s", "\\ lead", " lead", "a\\\\", "a]b", "c-d", "x/**/"],
    ...["**/x/", "x/**/*", "x/**/**", "*x*", "?", "??", "???*", "[!.]*", "[.]*", "\u00a0a", "a\u00a0", "a\u0085"],
];

/** Patterns some tool refuses (they make the differential check a refusal on both sides). */
const REFUSED = ["!", "! ", "[", "a\\", "*\\", "\\", "[z-a]*", "\\u", "\\z", "]"];

export interface RandomCase {
    name: string;
    tree: Tree;
}

export function randomCases(kind: "gcloud" | "docker", count: number, seed: number): RandomCase[] {
    const rnd = seeded(seed);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const chance = (p: number) => rnd() < p;

    function genTree(): { tree: Tree; paths: string[] } {
        const tree: Tree = {};
        const files: string[] = [];
        const dirs: string[] = [];
        const links: string[] = [];
        const fill = (dir: string, depth: number) => {
            const n = 1 + Math.floor(rnd() * (depth === 0 ? 6 : 4));
            const used = new Set<string>();
            for (let i = 0; i < n; i++) {
                const name = depth === 0 && chance(0.15) ? pick([".git", ".gitignore"]) : pick(NAMES);
                if (used.has(name)) continue;
                used.add(name);
                const p = dir ? `${dir}/${name}` : name;
                const r = rnd();
                if (depth < 3 && r < 0.4) {
                    dirs.push(p);
                    if (chance(0.1)) tree[p] = { dir: true };
                    else fill(p, depth + 1);
                } else if (r < 0.46) {
                    links.push(p);
                } else {
                    files.push(p);
                    tree[p] = p;
                }
            }
        };
        fill("", 0);
        for (const l of links) {
            // targets stay inside the context: a file, a folder, nothing, or the link itself
            const target = pick([...files, ...dirs, "missing"]);
            const rel = path.posix.relative(path.posix.dirname(l), target) || ".";
            tree[l] = { link: chance(0.05) ? path.posix.basename(l) : rel };
        }
        return { tree, paths: [...files, ...dirs, ...links] };
    }

    function globify(p: string): string {
        return p
            .split("/")
            .map((c) => {
                const r = rnd();
                if (r < 0.1) return "*";
                if (r < 0.15) return "**";
                if (r < 0.2) return c.length > 1 ? `${c.slice(0, 1)}*` : `${c}*`;
                if (r < 0.25) return `*${c.slice(-1)}`;
                if (r < 0.28) return c.replace(/./u, "?");
                if (r < 0.31) return c.toUpperCase();
                if (r < 0.33) return `[${c[0]}x]${c.slice(1)}`;
                if (r < 0.35) return `[!${c[0]}]${c.slice(1)}`;
                if (r < 0.37) return `[^${c[0]}]${c.slice(1)}`;
                return c;
            })
            .join("/");
    }

    function genPattern(paths: string[]): string {
        if (chance(0.25)) return pick(ODD);
        if (chance(0.02)) return pick(REFUSED);
        const p = paths.length > 0 && chance(0.85) ? pick(paths) : pick(NAMES);
        let s = chance(0.5) ? globify(p) : p;
        const parts = s.split("/");
        const r = rnd();
        if (r < 0.1) s = parts[parts.length - 1];
        else if (r < 0.15) s = parts.slice(0, -1).join("/") || s;
        const f = rnd();
        if (f < 0.1) s = `/${s}`;
        else if (f < 0.15) s = `./${s}`;
        else if (f < 0.22) s = `**/${s}`;
        else if (f < 0.25) s = `*/${s}`;
        const g = rnd();
        if (g < 0.1) s = `${s}/`;
        else if (g < 0.16) s = `${s}/**`;
        else if (g < 0.2) s = `${s}/*`;
        else if (g < 0.22) s = `${s}**`;
        if (chance(0.3)) s = `!${s}`;
        const d = rnd();
        if (d < 0.05) s = `${s} `;
        else if (d < 0.07) s = `${s}\t`;
        else if (d < 0.09) s = ` ${s}`;
        else if (d < 0.1) s = `${s}\\ `;
        else if (d < 0.11) s = s.replace(/^([#!])/, "\\$1");
        return s;
    }

    function genIgnore(paths: string[], extra?: () => string): string {
        const lines: string[] = [];
        const n = 1 + Math.floor(rnd() * 6);
        for (let i = 0; i < n; i++) {
            const r = rnd();
            if (r < 0.05) lines.push("# comment");
            else if (r < 0.08) lines.push("");
            else if (extra && r < 0.16) lines.push(extra());
            else lines.push(genPattern(paths));
        }
        let text = lines.join("\n") + (chance(0.8) ? "\n" : "");
        if (chance(0.08)) text = text.replace(/\n/g, "\r\n");
        if (chance(0.05)) text = `\ufeff${text}`;
        return text;
    }

    const include = () => {
        const name = pick([".gitignore", "inc", "inc", ".dockerignore"]);
        return pick([`#!include:${name}`, `#!include:${name}`, `# !include:${name}`, `#\t!include:${name}`]);
    };

    const out: RandomCase[] = [];
    for (let i = 0; i < count; i++) {
        const { tree, paths } = genTree();
        const extra: Tree = {};
        if (kind === "gcloud") {
            if (chance(0.75)) extra[".gcloudignore"] = genIgnore(paths, include);
            if (chance(0.5)) extra.inc = genIgnore(paths);
            if (chance(0.5)) extra[".gitignore"] = genIgnore(paths);
            if (chance(0.3)) extra[".git/HEAD"] = "ref: refs/heads/main\n";
        } else {
            extra[".dockerignore"] = genIgnore(paths);
            const r = rnd();
            if (r < 0.3) extra[".gcloudignore"] = "#!include:.dockerignore\n";
            else if (r < 0.6) extra[".gcloudignore"] = genIgnore(paths);
            else if (r < 0.7) extra[".gitignore"] = genIgnore(paths);
        }
        // the ignore files replace what the tree had at (or above, or under) their paths
        const clash = (p: string) =>
            Object.keys(extra).some((x) => x === p || x.startsWith(`${p}/`) || p.startsWith(`${x}/`));
        const merged: Tree = Object.fromEntries(Object.entries(tree).filter(([p]) => !clash(p)));
        out.push({ name: `${kind}-${seed}-${i}`, tree: { ...merged, ...extra } });
    }
    return out;
}
