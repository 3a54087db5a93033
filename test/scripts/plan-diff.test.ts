import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Plan } from "../../lib/plan/offlinePlan";
import { diffPlans } from "../../lib/plan/planDiff";
import { renderDiff } from "../../lib/plan/planDiffMarkdown";
import { ROOT } from "../support/plan";

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

describe("npm run plan-diff (the CLI)", function () {
    this.timeout(120000);
    const cli = (...args: string[]) =>
        spawnSync("npm", ["run", "--silent", "--prefix", ROOT, "plan-diff", "--", ...args], { encoding: "utf8" });

    it("prints the same diff as renderDiff; /dev/null is no plan; bad input exits 2", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-diff-"));
        const old = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { a: "x\ny", secret: "hush" } }]);
        const next = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { a: "x\nz", secret: "hush2" } }]);
        fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(old));
        fs.writeFileSync(path.join(dir, "new.json"), JSON.stringify(next));
        fs.writeFileSync(path.join(dir, "bad.json"), '{"resources": 1}');
        const r = cli(path.join(dir, "old.json"), path.join(dir, "new.json"));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, renderDiff(diffPlans(old, next)));
        assert.ok(!r.stdout.includes("hush"));
        const added = cli("/dev/null", path.join(dir, "new.json"));
        assert.equal(added.status, 0, added.stderr);
        assert.equal(added.stdout, renderDiff(diffPlans(null, next)));
        const bad = cli(path.join(dir, "bad.json"), path.join(dir, "new.json"));
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /is not an offline plan/);
        assert.equal(cli(path.join(dir, "missing.json"), path.join(dir, "new.json")).status, 2);
        assert.equal(cli("/dev/null", "/dev/null").status, 2);
        assert.equal(cli(path.join(dir, "old.json")).status, 2);
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
