import assert from "node:assert/strict";
import { lineDiff, lines } from "../../../lib/plan/lineDiff";

describe("line diff (lib/plan/lineDiff.ts)", () => {
    it("lineDiff keeps two lines of context and folds the rest", () => {
        const a = ["1", "2", "3", "4", "5", "6", "7", "8"];
        const b = ["1", "2", "3", "4", "five", "6", "7", "8"];
        assert.deepEqual(lineDiff(a, b), [
            { op: "…", text: "2 unchanged lines" },
            { op: " ", text: "3" },
            { op: " ", text: "4" },
            { op: "-", text: "5" },
            { op: "+", text: "five" },
            { op: " ", text: "6" },
            { op: " ", text: "7" },
            { op: "…", text: "1 unchanged line" },
        ]);
    });

    it("splits text at newlines only, so a trailing newline is a last empty line on both sides", () => {
        assert.deepEqual(lines("a\nb\n"), ["a", "b", ""]);
        assert.deepEqual(lines("a\r\nb"), ["a\r", "b"]);
    });

    it("shows everything removed and added beyond the LCS limit", () => {
        const a = Array.from({ length: 4001 }, (_, i) => `a${i}`);
        const d = lineDiff(a, ["b"]);
        assert.equal(d.filter((l) => l.op === "-").length, 4001);
        assert.deepEqual(
            d.filter((l) => l.op === "+"),
            [{ op: "+", text: "b" }],
        );
    });

    it("equal inputs give only folded kept lines", () => {
        assert.deepEqual(lineDiff(["x", "y"], ["x", "y"]), [{ op: "…", text: "2 unchanged lines" }]);
    });
});
