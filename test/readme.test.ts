import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { KIND_RULES } from "../lib/settings/crossChecks";
import { makeSchema, settingKeys } from "../lib/settings/schema";
import { ROOT } from "./support/plan";

const schemaKeys = () => settingKeys(makeSchema({ projectRoot: ROOT }));

describe("README", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("documents every setting in the schema, and no setting that does not exist", () => {
        const table = [...readme.matchAll(/^\| `([a-zA-Z.]+)` \|/gm)].map((m) => m[1]);
        const keys = schemaKeys();
        const objectKeys = new Set(keys.filter((k) => keys.some((o) => o.startsWith(`${k}.`))));
        assert.deepEqual(
            keys.filter((k) => !objectKeys.has(k) && !table.includes(k)),
            [],
            "settings missing from the README table",
        );
        assert.deepEqual(
            table.filter((k) => !keys.includes(k)),
            [],
            "README documents settings that do not exist",
        );
    });

    it("says which kinds of stack use each setting, as the settings checks enforce", () => {
        const rows = [...readme.matchAll(/^\| `([a-zA-Z.]+)` \| ([a-z, ]+) \|/gm)];
        assert.ok(rows.length > 40);
        for (const [, key, stacks] of rows) {
            const rule = KIND_RULES.find((r) => r.key === key) ?? KIND_RULES.find((r) => r.key === key.split(".")[0]);
            const expected = rule ? rule.kinds.join(", ") : "all";
            assert.equal(stacks, expected, key);
        }
    });

    it("has exactly two quickstart set-up commands, the local stack and the tests", () => {
        const quick = readme.split("## Quickstart")[1].split("\n## ")[0];
        const blocks = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
        assert.deepEqual(blocks[0].split("\n"), ["npm ci && npm run local", "npm test"]);
    });

    it("shows real plan-diff summaries in the pull-request section: the golden diffs' (a one-line and a requirements change)", () => {
        // the section ends at the next heading outside a code block (the examples hold headings)
        const lines = readme.split("\n## Pull requests\n")[1].split("\n");
        let fenced = false;
        const end = lines.findIndex((l) => {
            if (l.startsWith("```")) fenced = !fenced;
            return !fenced && l.startsWith("## ");
        });
        const section = `${lines.slice(0, end).join("\n")}\n`;
        const examples = [...section.matchAll(/```markdown\n([\s\S]*?)\n```\n/g)].map((m) => m[1]);
        const summaryOf = (name: string) =>
            fs
                .readFileSync(path.join(ROOT, "test", "golden", "plan-diff", `${name}.md`), "utf8")
                .split("\n<details>\n")[0]
                .trimEnd();
        assert.deepEqual(examples, [summaryOf("one-line-change"), summaryOf("requirements-change")]);
    });

    it("names the test command that .ci/run calls", () => {
        const tests = readme.split("## Tests")[1];
        assert.match(tests, /```sh\nnpm test\n```/);
        assert.match(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8"), /^npm test$/m);
    });

    it("Pulumi.yaml declares the project, the stack folder and the one key every stack must set", () => {
        const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.equal(project.name, "fireworker-images");
        assert.equal(project.stackConfigDir, "stacks");
        assert.equal(project.config["fireworker-images:mode"].type, "string");
        assert.ok(project.config["fireworker-images:mode"].description);
        // the CLI refuses a stack that lacks a key declared here without a default
        const required = Object.entries(project.config as Record<string, { default?: unknown }>)
            .filter(([, v]) => v.default === undefined)
            .map(([k]) => k);
        for (const file of fs.readdirSync(path.join(ROOT, "stacks"))) {
            const config = parse(fs.readFileSync(path.join(ROOT, "stacks", file), "utf8")).config ?? {};
            assert.deepEqual(
                required.filter((k) => !(k in config)),
                [],
                `stacks/${file} lacks a key Pulumi.yaml requires`,
            );
        }
    });
});
