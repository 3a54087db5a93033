import assert from "node:assert/strict";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { diffPlans } from "../../../lib/plan/planDiff";
import { renderDiff, resourceLabel } from "../../../lib/plan/planDiffMarkdown";

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

describe("plan diff Markdown (lib/plan/planDiffMarkdown.ts)", () => {
    it("a value holding backticks cannot close the code block", () => {
        const old = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "a" } }]);
        const next = plan("s", [{ type: "t:m:R", name: "r", parent: null, inputs: { v: "```\n# injected" } }]);
        const text = renderDiff(diffPlans(old, next));
        assert.ok(text.includes("\n  ````diff\n"), text);
        assert.ok(text.includes("\n  ````\n"), text);
    });

    it("names a resource by type, name and parent", () => {
        assert.equal(resourceLabel({ type: "t:m:R", name: "r", parent: null }), "t:m:R r");
        assert.equal(resourceLabel({ type: "t:m:R", name: "r", parent: "p" }), "t:m:R r (p)");
    });
});
