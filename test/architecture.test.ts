// The layout docs/architecture.md describes, kept true: lib/ grouped by concern, each module
// with a purpose line and a test named after it, components that never take the settings.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./support/plan";

/** Source files under `dir` (project-relative, forward slashes), sorted. */
function sources(dir: string): string[] {
    return (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
        .map((f) => `${dir}/${f.split(path.sep).join("/")}`)
        .filter((f) => f.endsWith(".ts"))
        .sort();
}

/** Modules with no logic of their own (types and constant tables): no test file of their own. */
const NO_LOGIC: Record<string, string> = {
    "lib/settings/types.ts": "types only",
    "lib/settings/defaults.ts": "constants only; schema.test.ts checks the schema applies them",
};

const testOf = (source: string) => source.replace(/\.ts$/, "");

describe("architecture (docs/architecture.md)", () => {
    const lib = sources("lib");
    const components = sources("components");

    it("lib/ holds at most 8 files directly; the rest is grouped in folders by concern", () => {
        const top = lib.filter((f) => f.split("/").length === 2);
        assert.ok(top.length <= 8, `lib/ holds ${top.length} files: ${top.join(", ")}`);
        assert.ok(lib.length - top.length > top.length);
    });

    it("every module starts with a comment that says what it is for", () => {
        for (const f of [...lib, ...components, "index.ts"]) {
            const text = fs.readFileSync(path.join(ROOT, f), "utf8");
            const head = f.startsWith("components/") ? text.slice(text.indexOf("\n/**") + 1) : text;
            assert.match(head, /^\/\*\*?\s*\S/, `${f} does not start with a purpose comment`);
        }
    });

    it("every lib/ module with logic, and every component, has a test named after it", () => {
        const missing = [...lib, ...components]
            .filter((f) => !(f in NO_LOGIC))
            .filter(
                (f) =>
                    !fs.existsSync(path.join(ROOT, "test", `${testOf(f)}.test.ts`)) &&
                    !fs.existsSync(path.join(ROOT, "test", `${testOf(f)}.integration.test.ts`)),
            );
        assert.deepEqual(missing, []);
        for (const f of Object.keys(NO_LOGIC)) assert.ok(lib.includes(f), `${f} is listed but does not exist`);
    });

    it("no component takes the stack's settings: each lists what it uses in its Args", () => {
        for (const f of components) {
            const text = fs.readFileSync(path.join(ROOT, f), "utf8");
            assert.doesNotMatch(text, /from "\.\.\/lib\/settings\/(types|loadSettings)"/, f);
            assert.doesNotMatch(text, /\b(Team|Developer|Local)?Settings\b(?!\/)/, f);
        }
    });

    it("no two modules share a name", () => {
        const names = [...lib, ...components].map((f) => path.basename(f));
        assert.deepEqual(
            names.filter((n, i) => names.indexOf(n) !== i),
            [],
        );
    });
});
