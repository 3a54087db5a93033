// The Markdown of plan diffs (lib/plan/planDiffMarkdown.ts): golden diffs of real plans of the
// team stack (test/golden/plan-diff/), whose payload is a git repository of its own with fixed
// commit dates, for each kind of change a reviewer meets; and the rendering rules.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { baseLine, formatBytes, renderPlanDiff, resourceLabel } from "../../../lib/plan/planDiffMarkdown";
import { assertGolden } from "../../support/golden";
import { Payload } from "../../support/payload";
import { planOf } from "../../support/plan";

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

/** The summary: everything before the collapsed full diff. */
function summaryOf(markdown: string): string {
    return markdown.split("\n<details>\n")[0];
}

describe("plan diff Markdown (lib/plan/planDiffMarkdown.ts)", function () {
    this.timeout(300000);

    describe("golden diffs of the team stack (test/golden/plan-diff/)", () => {
        let payload: Payload;
        let base: Plan;
        const planned = () => planOf("team", payload.settings("team"));
        before(async () => {
            payload = new Payload("golden");
            base = await planned();
        });
        afterEach(() => payload.reset());
        after(() => payload.remove());

        const golden = async (name: string, change: () => Promise<Plan>) => {
            const text = renderPlanDiff(base, await change());
            assertGolden(`plan-diff/${name}.md`, text);
            return text;
        };

        it("a one-line payload change: the application rebuilds one layer, nothing else", async () => {
            const text = await golden("one-line-change", async () => {
                fs.appendFileSync(payload.file("main.py"), "# one more line\n");
                payload.commit("One more line");
                return planned();
            });
            const summary = summaryOf(text);
            assert.match(summary, /^## Stack `team`: application rebuilds\n/);
            assert.match(
                summary,
                /\*\*Will run, on Cloud Build:\*\* only the application build FROM the unchanged runtime \(1 layer; uploads /,
            );
            assert.match(summary, /- 1 file changed: `main\.py` \(\+16 B\)\n/);
            assert.match(summary, /- \*\*runtime\*\* unchanged/);
            assert.match(summary, /- \*\*Fireworker disk image\*\* unchanged/);
            assert.doesNotMatch(summary, /[0-9a-f]{20}/, "a hash in the summary");
        });

        it("a new file", async () => {
            const text = await golden("new-file", async () => {
                fs.writeFileSync(payload.file("util.py"), "def helper() -> int:\n    return 42\n");
                payload.commit("A helper");
                return planned();
            });
            assert.match(summaryOf(text), /- 1 file changed: `util\.py` \(new, 35 B\)\n/);
        });

        it("a deleted file", async () => {
            const text = await golden("deleted-file", async () => {
                fs.rmSync(payload.file("fixtures/keep.json"));
                payload.commit("No fixture");
                return planned();
            });
            assert.match(summaryOf(text), /- 1 file changed: `fixtures\/keep\.json` \(deleted, was 15 B\)\n/);
        });

        it("a requirements change: the runtime, then the application, then the bake", async () => {
            const text = await golden("requirements-change", async () => {
                fs.writeFileSync(
                    payload.file("requirements.txt"),
                    "# Python requirements of the runtime image, one per line.\nnumpy==2.0.0\nscipy==1.11.4  # the solver\n",
                );
                payload.commit("numpy 2, scipy");
                return planned();
            });
            const summary = summaryOf(text);
            assert.match(summary, /^## Stack `team`: runtime, application and Fireworker disk image rebuild\n/);
            assert.match(
                summary,
                /in order:\*\* the runtime build \(4 layers; uploads .*\), then the application build FROM the new runtime \(1 layer; uploads .*\), then the Fireworker bake of the new runtime/,
            );
            assert.match(
                summary,
                / {2}- requirements \(`requirements\.txt`\):\n {4}- `numpy==1\.26\.4` → `numpy==2\.0\.0`\n {4}- added `scipy==1\.11\.4`\n/,
            );
            assert.match(
                summary,
                /- \*\*Fireworker disk image\*\* re-bakes: family `fireworker`\n {2}- with the new runtime\n/,
            );
        });

        it("a settings change, named by the setting", async () => {
            const text = await golden("settings-change", async () =>
                planOf("team", payload.settings("team", { aptPackages: ["swig", "gfortran", "libopenblas-dev"] })),
            );
            const summary = summaryOf(text);
            assert.match(
                summary,
                /- setting: `runtime\.aptPackages`: `\["swig","gfortran"\]` → `\["swig","gfortran","libopenblas-dev"\]`\n/,
            );
            assert.doesNotMatch(summary, /FW_DOCKERFILE/);
        });

        it("a base image change", async () => {
            const text = await golden("base-change", async () =>
                planOf("team", payload.settings("team", { base: "python:3.12-slim-bookworm" })),
            );
            assert.match(
                summaryOf(text),
                /- base image: `python:3\.11-slim-bookworm` → `python:3\.12-slim-bookworm` \(its digest is resolved at pulumi up\)\n/,
            );
        });

        it("a base republished under the same tag: the digest the tag resolves to moves, and everything rebuilds", async () => {
            // as pulumi preview sees it: the registry answers a new digest for the same tag
            const resolvedTo = (hex: string) => async (reference: string) => ({
                digest: `sha256:${hex.repeat(64)}`,
                reference: `${reference.split(":")[0]}@sha256:${hex.repeat(64)}`,
            });
            const before = await planOf("team", payload.settings("team"), { resolveBase: resolvedTo("a") });
            const after = await planOf("team", payload.settings("team"), { resolveBase: resolvedTo("b") });
            const text = renderPlanDiff(before, after);
            assertGolden("plan-diff/base-update.md", text);
            const summary = summaryOf(text);
            assert.match(summary, /^## Stack `team`: runtime, application and Fireworker disk image rebuild\n/);
            assert.ok(
                summary.includes(
                    `- base image \`python:3.11-slim-bookworm\` has a new digest: \`python@sha256:${"a".repeat(64)}\` → \`python@sha256:${"b".repeat(64)}\`\n`,
                ),
                summary,
            );
            assert.match(summary, /- \*\*application\*\* rebuilds: .*\n {2}- FROM the new runtime/);
            // the same answer twice: nothing changes
            const again = await planOf("team", payload.settings("team"), { resolveBase: resolvedTo("b") });
            assert.match(renderPlanDiff(after, again), /^## Stack `team`: no changes/);
        });

        it("a new stack: everything builds, in order; a removed one: nothing builds", () => {
            const text = renderPlanDiff(null, base);
            assert.match(
                summaryOf(text),
                /^## Stack `team` \(new stack\): builds runtime, application and Fireworker disk image\n\n\*\*Will run, on Cloud Build, in order:\*\* the runtime build \(4 layers; uploads [\d.]+ kB\), then the application build FROM the new runtime \(1 layer; uploads [\d.]+ kB\), then the Fireworker bake \(/,
            );
            const n = base.resources.length;
            const outputs = Object.keys(base.outputs).length;
            assert.ok(
                text.includes(
                    `\n<summary>Full plan diff (resources: ${n} added; outputs: ${outputs} added)</summary>\n`,
                ),
            );
            const gone = renderPlanDiff(base, null);
            assert.ok(
                gone.startsWith(
                    `## Stack \`team\` (stack removed): ${n} resources removed, nothing builds\n\n- **runtime** removed: `,
                ),
                gone,
            );
            assert.doesNotMatch(gone, /Will run/);
        });

        it("no change", async () => {
            const text = await golden("no-change", planned);
            assert.equal(text, `## Stack \`team\`: no changes (${base.resources.length} resources)\n`);
        });
    });

    describe("large changes of real plans", () => {
        let payload: Payload;
        before(() => {
            payload = new Payload("large");
        });
        after(() => payload.remove());

        it("a large context: its plan lists folders, and the diff still names the one file that changed in one", async () => {
            for (let i = 0; i < 1100; i++) {
                fs.mkdirSync(payload.file("data"), { recursive: true });
                fs.writeFileSync(payload.file(`data/f${String(i).padStart(4, "0")}.txt`), `${i}\n`);
            }
            payload.commit("Data");
            const before = await planOf("local", payload.settings("local"));
            const app = before.builds?.find((b) => b.kind === "application");
            assert.deepEqual(
                app?.context.folders?.map((f) => [f.path, f.files]),
                [["data/", 1100]],
            );
            assert.ok((app?.context.entries.length ?? 0) < 10);
            fs.writeFileSync(payload.file("data/f0500.txt"), "five hundred\n");
            payload.commit("One datum");
            const text = renderPlanDiff(before, await planOf("local", payload.settings("local")));
            assert.match(summaryOf(text), / {2}- 1 file changed: `data\/f0500\.txt` \(\+9 B\)\n/);
        });

        it("more changed files than a summary lists: the first ones, then the rest in the full diff", async () => {
            payload.reset();
            const before = await planOf("local", payload.settings("local"));
            for (let i = 0; i < 25; i++) fs.writeFileSync(payload.file(`m${String(i).padStart(2, "0")}.py`), "");
            payload.commit("Modules");
            const text = renderPlanDiff(before, await planOf("local", payload.settings("local")));
            const summary = summaryOf(text);
            assert.match(summary, / {2}- 25 files changed:\n {4}- `m00\.py` \(new, 0 B\)\n/);
            assert.match(summary, / {4}- `m19\.py` \(new, 0 B\)\n {4}- … and 5 more, in the full diff below\n/);
            assert.ok(!summary.includes("m20.py"));
            const details = text.slice(summary.length);
            assert.match(
                details,
                /### Every changed input of the application build\n\n(- `m\d\d\.py` \(new, 0 B\)\n){25}/,
            );
        });
    });

    describe("rendering", () => {
        it("a value holding backticks cannot close the code block", () => {
            const old = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "a" } }]);
            const next = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "```\n# injected" } }]);
            const text = renderPlanDiff(old, next);
            assert.ok(text.includes("\n  ````diff\n"), text);
            assert.ok(text.includes("\n  ````\n"), text);
        });

        it("names a resource by type, name and parent", () => {
            assert.equal(resourceLabel({ type: "t:m:R", name: "r", parent: null }), "t:m:R r");
            assert.equal(resourceLabel({ type: "t:m:R", name: "r", parent: "p" }), "t:m:R r (p)");
        });

        it("a base image line shows each side's tag and digest; a placeholder digest is resolved at pulumi up", () => {
            const a = `python@sha256:${"a".repeat(64)}`;
            const b = `python@sha256:${"b".repeat(64)}`;
            const p = `python@sha256:${"0".repeat(32)}${"c".repeat(32)}`;
            const tag = "python:3.11-slim-bookworm";
            assert.equal(
                baseLine({ old: a, new: b, oldTag: tag, newTag: tag }),
                `base image \`${tag}\` has a new digest: \`${a}\` → \`${b}\``,
            );
            assert.equal(
                baseLine({ old: a, new: p, oldTag: tag, newTag: "python:3.12-slim-bookworm" }),
                `base image: \`${tag}\` (\`${a}\`) → \`python:3.12-slim-bookworm\` (its digest is resolved at pulumi up)`,
            );
            // from a tag to a digest in the settings, and plans from before bases were resolved
            assert.equal(baseLine({ old: a, new: b, oldTag: tag }), `base image: \`${tag}\` (\`${a}\`) → \`${b}\``);
            assert.equal(
                baseLine({ old: "python:3.11-slim-bookworm", new: "python:3.12-slim-bookworm" }),
                "base image: `python:3.11-slim-bookworm` → `python:3.12-slim-bookworm`",
            );
        });

        it("sizes in SI units", () => {
            assert.deepEqual([0, 16, 999, 1000, 7168, 351_000, 85_300_000, -16, -4500].map(formatBytes), [
                "0 B",
                "16 B",
                "999 B",
                "1.0 kB",
                "7.2 kB",
                "351.0 kB",
                "85.3 MB",
                "−16 B",
                "−4.5 kB",
            ]);
        });

        it("the full diff is collapsed: a <details> block after the summary, closed at the end", () => {
            const old = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "a" } }]);
            const next = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "b" } }]);
            const text = renderPlanDiff(old, next);
            assert.equal(
                text,
                [
                    "## Stack `s`: no image rebuilds; 1 other resource changes",
                    "",
                    "**Will run:** no build and no bake.",
                    "",
                    "- Other resources: changed `t:m:R r`: `v`",
                    "",
                    "_The base plan was made before plans recorded files and settings: the reasons above are partial; the full diff has every change._",
                    "",
                    "<details>",
                    "<summary>Full plan diff (resources: 1 changed)</summary>",
                    "",
                    "### Changed (1)",
                    "",
                    "- `t:m:R r`",
                    "",
                    "  ```diff",
                    '  ~ v: "a" → "b"',
                    "  ```",
                    "",
                    "</details>",
                    "",
                ].join("\n"),
            );
        });
    });
});
