import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { PLAN_DIFF_USAGE, planDiffCommand } from "../../../lib/plan/planDiffCommand";
import { renderPlanDiff } from "../../../lib/plan/planDiffMarkdown";
import { planOf } from "../../support/plan";

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

describe("the plan-diff command (lib/plan/planDiffCommand.ts)", function () {
    this.timeout(120000);
    const cli = (...args: string[]) => planDiffCommand(args);

    it("prints the same diff as renderPlanDiff; /dev/null is no plan; bad input exits 2", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-diff-"));
        const old = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { a: "x\ny", secret: "hush" } }]);
        const next = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { a: "x\nz", secret: "hush2" } }]);
        fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(old));
        fs.writeFileSync(path.join(dir, "new.json"), JSON.stringify(next));
        fs.writeFileSync(path.join(dir, "bad.json"), '{"resources": 1}');
        const r = cli(path.join(dir, "old.json"), path.join(dir, "new.json"));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, renderPlanDiff(old, next));
        assert.ok(!r.stdout.includes("hush"));
        const added = cli("/dev/null", path.join(dir, "new.json"));
        assert.equal(added.status, 0, added.stderr);
        assert.equal(added.stdout, renderPlanDiff(null, next));
        const bad = cli(path.join(dir, "bad.json"), path.join(dir, "new.json"));
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /is not an offline plan/);
        assert.equal(cli(path.join(dir, "missing.json"), path.join(dir, "new.json")).status, 2);
        assert.equal(cli("/dev/null", "/dev/null").status, 2);
        assert.deepEqual(cli(path.join(dir, "old.json")), { status: 2, stdout: "", stderr: `${PLAN_DIFF_USAGE}\n` });
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reads every section of a real plan, and a plan from before the builds and settings sections", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-diff-"));
        try {
            const local = await planOf("local");
            const { builds: _b, settings: _s, placeholders: _p, ...older } = local;
            const changed = await planOf("local", {
                "fireworker-images:runtime": JSON.stringify({
                    aptPackages: ["swig"],
                    writableDirs: ["/.theano", "/.cache"],
                }),
            });
            fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(local));
            fs.writeFileSync(path.join(dir, "older.json"), JSON.stringify(older));
            fs.writeFileSync(path.join(dir, "new.json"), JSON.stringify(changed));
            const r = cli(path.join(dir, "old.json"), path.join(dir, "new.json"));
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, renderPlanDiff(local, changed));
            assert.match(r.stdout, /- setting: `runtime\.aptPackages`: `\[\]` → `\["swig"\]`\n/);
            const o = cli(path.join(dir, "older.json"), path.join(dir, "new.json"));
            assert.equal(o.status, 0, o.stderr);
            assert.equal(o.stdout, renderPlanDiff(older, changed));
            assert.match(o.stdout, /reasons above are partial/);
            // a section of the wrong shape is one line, exit 2
            fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ ...local, builds: {} }));
            const bad = cli(path.join(dir, "bad.json"), path.join(dir, "new.json"));
            assert.equal(bad.status, 2);
            assert.equal(bad.stderr, `plan-diff: ${path.join(dir, "bad.json")}: builds: is not a list\n`);
            const badly = (section: Record<string, unknown>) => {
                fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ ...local, ...section }));
                const b = cli(path.join(dir, "bad.json"), path.join(dir, "new.json"));
                assert.equal(b.status, 2);
                assert.equal(b.stdout, "");
                return b.stderr.replace(`plan-diff: ${path.join(dir, "bad.json")}: `, "");
            };
            assert.equal(badly({ settings: [] }), "settings: is not an object\n");
            const [app] = local.builds ?? [];
            assert.match(
                badly({ builds: [{ ...app, context: { ...app.context, entries: "x" } }] }),
                /^builds\[0\]\.context\.entries: .+\n$/,
            );
            assert.match(badly({ placeholders: [{ value: 1 }] }), /^placeholders\[0\]\.value: .+\n$/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
