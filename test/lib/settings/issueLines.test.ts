import assert from "node:assert/strict";
import { issueLine, joinPath, unknownKeyLine, valueAt } from "../../../lib/settings/issueLines";
import { makeSchema } from "../../../lib/settings/schema";
import { ROOT } from "../../support/plan";

const schema = makeSchema({ projectRoot: ROOT });

function linesOf(input: Record<string, unknown>): string[] {
    const r = schema.safeParse(input);
    assert.ok(!r.success);
    return r.error.issues.flatMap((i) => issueLine(i, input, schema).split("\n"));
}

describe("settings problems as lines (lib/settings/issueLines.ts)", () => {
    it("joins a path with dots and indices", () => {
        assert.equal(joinPath(["runtime", "aptPackages", "[2]"]), "runtime.aptPackages[2]");
        assert.equal(joinPath(["mode"]), "mode");
    });

    it("reads the raw value at a path, undefined past a leaf", () => {
        const input = { runtime: { aptPackages: ["a", "b"] } };
        assert.equal(valueAt(input, ["runtime", "aptPackages", 1]), "b");
        assert.equal(valueAt(input, ["runtime", "aptPackages", 1, "x"]), undefined);
        assert.equal(valueAt(input, ["nope"]), undefined);
    });

    it("suggests the closest known key and lists the known ones", () => {
        assert.equal(
            unknownKeyLine(["runtime", "bse"], "x", ["name", "base"]),
            'fireworker-images:runtime.bse: "x" is not a known setting; did you mean fireworker-images:runtime.base? known under fireworker-images:runtime: name, base',
        );
    });

    it("one line per bad value, naming the full key, the value and what is allowed", () => {
        assert.deepEqual(linesOf({ mode: "team", runtime: { aptPackages: ["ok", "Not OK"] } }), [
            'fireworker-images:runtime.aptPackages[1]: "Not OK" is not a Debian package name',
        ]);
        assert.deepEqual(linesOf({ mode: "team", fireworker: { keep: "two" } }), [
            'fireworker-images:fireworker.keep: "two" must be of type number',
        ]);
    });

    it("one line per unknown key, also inside lists of objects", () => {
        assert.deepEqual(
            linesOf({ mode: "team", registry: { cleanupPolicies: [{ id: "a", action: "KEEP", keepCnt: 1, x: 2 }] } }),
            [
                "fireworker-images:registry.cleanupPolicies[0].keepCnt: 1 is not a known setting; did you mean fireworker-images:registry.cleanupPolicies[0].keepCount? known under fireworker-images:registry.cleanupPolicies[0]: id, action, tagState, tagPrefixes, packageNamePrefixes, olderThanDays, keepCount",
                "fireworker-images:registry.cleanupPolicies[0].x: 2 is not a known setting; did you mean fireworker-images:registry.cleanupPolicies[0].id? known under fireworker-images:registry.cleanupPolicies[0]: id, action, tagState, tagPrefixes, packageNamePrefixes, olderThanDays, keepCount",
            ],
        );
    });
});
