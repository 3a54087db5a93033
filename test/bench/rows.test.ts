import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { table, toJson } from "../../bench/rows";
import { ROOT } from "../support/plan";

describe("benchmark rows (bench/rows.ts) and npm run bench's arguments", () => {
    const row = {
        name: "Runtime rebuild | one pin",
        unit: "s" as const,
        ours: [4.2, 3.9, 5.1],
        baseline: [97, 90, 101],
        goal: 0.25,
    };

    it("JSON: name, ours and baseline (medians), ratio ours / baseline, unit, runs and both spreads", () => {
        assert.deepEqual(toJson(row), {
            name: "Runtime rebuild | one pin",
            ours: 4.2,
            baseline: 97,
            ratio: Number((4.2 / 97).toPrecision(6)),
            unit: "s",
            runs: 3,
            oursSpread: { min: 3.9, median: 4.2, max: 5.1 },
            baselineSpread: { min: 90, median: 97, max: 101 },
            goal: 0.25,
        });
    });

    it("the table: min / median / max of each side, one value when measured once, the goal next to the ratio", () => {
        const lines = table([row, { name: "bytes", unit: "B", ours: [351_000], baseline: [85_300_000] }]).split("\n");
        assert.equal(
            lines[2],
            "| Runtime rebuild \\| one pin | 3.90 s / 4.20 s / 5.10 s | 90.0 s / 97.0 s / 101.0 s | 0.043 (goal ≤ 0.25) |",
        );
        assert.equal(lines[3], "| bytes | 351 kB | 85.3 MB | 0.004 |");
    });

    it("a bad argument is one line and exit 2, before anything is measured", function () {
        this.timeout(60_000);
        for (const [arg, line] of [
            [
                "--jsn",
                "bench: --jsn: unknown argument (usage: npm run bench -- [--json] [--only=images,runtime,compile,wheelhouse,engine,hashing,plan])",
            ],
            [
                "--only=runtime,wheels",
                "bench: --only: wheels: not one of images, runtime, compile, wheelhouse, engine, hashing, plan",
            ],
        ]) {
            const r = spawnSync("npm", ["run", "--silent", "bench", "--", arg], { cwd: ROOT, encoding: "utf8" });
            assert.equal(r.status, 2);
            assert.equal(r.stderr.trim(), line);
            assert.equal(r.stdout, "");
        }
    });
});
