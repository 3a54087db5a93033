// The offline plan diff (lib/plan/planDiff.ts) of real plans and of hand-made ones.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { diffPlans } from "../../../lib/plan/planDiff";
import { renderPlanDiff, resourceLabel } from "../../../lib/plan/planDiffMarkdown";
import { patchSetting, planOf, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

const APP_BUILD = "command:local:Command application-build (application)";

/** A temp copy of the example payload, as the `application.context` setting (relative to the root). */
function payloadCopy(): { dir: string; setting: Record<string, string> } {
    const dir = repoTempDir("payload-");
    fs.cpSync(path.join(ROOT, "example"), dir, { recursive: true });
    const application = JSON.parse(patchSetting("local", "application", {})["fireworker-images:application"]);
    return {
        dir,
        setting: {
            "fireworker-images:application": JSON.stringify({ ...application, context: path.relative(ROOT, dir) }),
        },
    };
}

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

describe("plan diff", function () {
    this.timeout(300000);

    it("a one-line payload change is one changed resource: the application build (tags, context digest, trigger)", async () => {
        const { dir, setting } = payloadCopy();
        try {
            const before = await planOf("local", setting);
            const main = path.join(dir, "main.py");
            fs.writeFileSync(main, fs.readFileSync(main, "utf8").replace(/\n$/, "\n# one more line\n"));
            const after = await planOf("local", setting);
            const diff = diffPlans(before, after);
            assert.equal(diff.status, "changed");
            assert.deepEqual(diff.added, []);
            assert.deepEqual(diff.removed, []);
            // the ApplicationImage component has no inputs in the plan: its outputs (the new
            // reference) show among the stack outputs, the component itself is unchanged
            assert.deepEqual(diff.changed.map(resourceLabel), [APP_BUILD]);
            assert.deepEqual(
                diff.changed[0].inputs.map((c) => c.path),
                ["environment.FW_CONTEXT_DIGEST", "environment.FW_TAGS", "triggers[0]"],
            );
            assert.deepEqual(diff.changed[0].options, []);
            assert.equal(diff.unchanged, before.resources.length - 1);
            assert.deepEqual(
                diff.outputs.map((c) => c.path),
                ["applicationReference", "applicationTaggedReference", "runCommand"],
            );
            const tags = diff.changed[0].inputs[1];
            assert.equal(tags.kind, "changed");
            assert.match(String(tags.old), /^[0-9a-f]{20},latest$/);
            assert.match(String(tags.new), /^[0-9a-f]{20},latest$/);

            const text = renderPlanDiff(before, after);
            assert.equal(text, renderPlanDiff(before, after), "not deterministic");
            assert.ok(text.startsWith("## Stack `local`: application rebuilds\n"), text);
            assert.ok(
                text.includes(
                    "<summary>Full plan diff (resources: 1 changed, 4 unchanged; outputs: 3 changed)</summary>",
                ),
                text,
            );
            assert.ok(text.includes(`- \`${APP_BUILD}\``));
            assert.ok(text.includes(`~ environment.FW_TAGS: "${tags.old}" → "${tags.new}"`));
            assert.ok(!text.includes("### Added") && !text.includes("### Removed"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a Dockerfile change shows as a line diff, a label change as a path inside FW_LABELS", async () => {
        const before = await planOf("local");
        const after = await planOf(
            "local",
            patchSetting("local", "application", {
                cmd: ["python", "other.py"],
                labels: { application: "Fireworker example payload", email: "team@example.org" },
            }),
        );
        const diff = diffPlans(before, after);
        assert.deepEqual(diff.changed.map(resourceLabel), [APP_BUILD]);
        const byPath = new Map(diff.changed[0].inputs.map((c) => [c.path, c]));
        assert.deepEqual(
            [...byPath.keys()],
            [
                "environment.FW_DOCKERFILE",
                "environment.FW_LABELS<json>.email",
                "environment.FW_LABELS<json>.license",
                'environment.FW_LABELS<json>["org.opencontainers.image.licenses"]',
                'environment.FW_LABELS<json>["org.opencontainers.image.url"]',
                'environment.FW_LABELS<json>["org.opencontainers.image.vendor"]',
                "environment.FW_LABELS<json>.organization",
                "environment.FW_LABELS<json>.website",
                "environment.FW_TAGS",
                "triggers[0]",
            ],
        );
        assert.deepEqual(byPath.get("environment.FW_LABELS<json>.email"), {
            path: "environment.FW_LABELS<json>.email",
            kind: "changed",
            old: "lab@example.org",
            new: "team@example.org",
        });
        // the labels setting was replaced whole: the other labels are gone
        assert.deepEqual(byPath.get("environment.FW_LABELS<json>.license"), {
            path: "environment.FW_LABELS<json>.license",
            kind: "removed",
            old: "https://example.org/LICENSE",
        });
        const dockerfile = byPath.get("environment.FW_DOCKERFILE")!;
        const changedLines = dockerfile.lines!.filter((l) => l.op === "-" || l.op === "+");
        assert.deepEqual(changedLines, [
            { op: "-", text: 'CMD ["python","main.py"]' },
            { op: "+", text: 'CMD ["python","other.py"]' },
        ]);
        const text = renderPlanDiff(before, after);
        assert.ok(text.includes("~ environment.FW_DOCKERFILE: (changed, line diff)\n"), text);
        assert.ok(text.includes('\n  -   CMD ["python","main.py"]\n  +   CMD ["python","other.py"]\n'), text);
        assert.ok(!text.includes("\\nCOPY"), "the Dockerfile is shown as one blob");
    });

    it("a stack new in the change is all added; a removed stack all removed; equal plans no change", async () => {
        const p = await planOf("dev-example");
        const added = diffPlans(null, p);
        assert.equal(added.status, "added");
        assert.equal(added.added.length, p.resources.length);
        assert.deepEqual(added.changed, []);
        assert.ok(renderPlanDiff(null, p).startsWith("## Stack `dev-example` (new stack): builds application\n"));
        assert.ok(renderPlanDiff(null, p).includes("- `pulumi:pulumi:StackReference team`\n"));
        const removed = diffPlans(p, null);
        assert.equal(removed.status, "removed");
        assert.equal(removed.removed.length, p.resources.length);
        assert.ok(
            renderPlanDiff(p, null).startsWith(
                `## Stack \`dev-example\` (stack removed): ${p.resources.length} resources removed, nothing builds\n`,
            ),
        );
        const same = diffPlans(p, p);
        assert.equal(same.status, "unchanged");
        assert.equal(renderPlanDiff(p, p), `## Stack \`dev-example\`: no changes (${p.resources.length} resources)\n`);
        assert.throws(() => diffPlans(null, null), /no plan/);
    });

    it("added, removed and changed resources are sorted; options and re-parenting are changes", () => {
        const r = (
            type: string,
            name: string,
            parent: string | null,
            inputs: Record<string, unknown> = {},
            options?: { protect?: true },
        ) => ({ type, name, parent, inputs, ...(options ? { options } : {}) });
        const old = plan("team", [
            r("b:x:Y", "keep", null, { a: 1 }),
            r("a:x:Y", "gone", "p"),
            r("c:x:Y", "moved", "p1"),
            r("d:x:Y", "prot", null, {}, { protect: true }),
        ]);
        const next = plan("team", [
            r("d:x:Y", "prot", null, {}),
            r("c:x:Y", "moved", "p2"),
            r("b:x:Y", "keep", null, { a: 1 }),
            r("a:x:Y", "new2", null),
            r("a:x:Y", "new1", "p", {}, { protect: true }),
        ]);
        const diff = diffPlans(old, next);
        assert.deepEqual(diff.added.map(resourceLabel), ["a:x:Y new1 (p)", "a:x:Y new2", "c:x:Y moved (p2)"]);
        assert.deepEqual(diff.removed.map(resourceLabel), ["a:x:Y gone (p)", "c:x:Y moved (p1)"]);
        assert.deepEqual(diff.changed.map(resourceLabel), ["d:x:Y prot"]);
        assert.deepEqual(diff.changed[0].options, [{ path: "protect", kind: "removed", old: true }]);
        assert.equal(diff.unchanged, 1);
        const text = renderPlanDiff(old, next);
        assert.ok(text.includes("- `a:x:Y new1 (p)` (protect)\n"));
        assert.ok(text.includes("- protect (resource option): true\n"));
        assert.ok(
            text.indexOf("### Added") < text.indexOf("### Changed") &&
                text.indexOf("### Changed") < text.indexOf("### Removed"),
        );
    });

    it("primitive lists of another length show per element; nested objects by path; odd keys quoted", () => {
        const old = plan("s", [
            {
                type: "t:m:R",
                name: "r",
                parent: null,
                inputs: { list: ["a", "b"], obj: { "a.b": 1, deep: { x: [1, { y: 2 }] } } },
            },
        ]);
        const next = plan("s", [
            {
                type: "t:m:R",
                name: "r",
                parent: null,
                inputs: { list: ["a", "c", "b"], obj: { "a.b": 2, deep: { x: [1, { y: 3 }] } } },
            },
        ]);
        const changes = diffPlans(old, next).changed[0].inputs;
        assert.deepEqual(
            changes.map((c) => c.path),
            ["list", 'obj["a.b"]', "obj.deep.x[1].y"],
        );
        assert.deepEqual(changes[0].lines, [
            { op: " ", text: '"a"' },
            { op: "+", text: '"c"' },
            { op: " ", text: '"b"' },
        ]);
    });
});
