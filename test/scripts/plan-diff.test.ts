import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planDiffCommand } from "../../lib/plan/planDiffCommand";
import { ROOT } from "../support/plan";

// The cases are test/lib/plan/planDiffCommand.test.ts's: here, only what the CLI adds
describe("npm run plan-diff (the CLI)", function () {
    this.timeout(120000);
    const cli = (...args: string[]) =>
        spawnSync("npm", ["run", "--silent", "--prefix", ROOT, "plan-diff", "--", ...args], { encoding: "utf8" });

    it("prints what the command gives, byte for byte, past 64 KiB; refuses with its one line and exit 2", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-diff-"));
        try {
            // a changed input of thousands of lines: a diff far longer than a pipe's buffer
            const lines = (tag: string) => Array.from({ length: 3000 }, (_, i) => `line ${i} ${tag}`).join("\n");
            const plan = (tag: string) => ({
                stack: "s",
                resources: [{ type: "t:m:R", name: "r", parent: null, inputs: { text: lines(tag) } }],
                outputs: {},
            });
            fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(plan("old")));
            fs.writeFileSync(path.join(dir, "new.json"), JSON.stringify(plan("new")));
            // a reader that is slow to start: process.exit() in the CLI would cut the diff at 64 KiB
            const diff = spawnSync(
                "bash",
                ["-c", 'set -o pipefail; npm run --silent --prefix "$ROOT" plan-diff -- "$A" "$B" | { sleep 1; cat; }'],
                {
                    encoding: "utf8",
                    env: { ...process.env, ROOT, A: path.join(dir, "old.json"), B: path.join(dir, "new.json") },
                    maxBuffer: 16 << 20,
                },
            );
            const expected = planDiffCommand([path.join(dir, "old.json"), path.join(dir, "new.json")]);
            assert.equal(diff.status, 0, diff.stderr);
            assert.ok(expected.stdout.length > 65536, `${expected.stdout.length} bytes`);
            assert.equal(diff.stdout, expected.stdout);
            fs.writeFileSync(path.join(dir, "bad.json"), '{"resources": 1}');
            const bad = cli(path.join(dir, "bad.json"), path.join(dir, "new.json"));
            assert.equal(bad.status, 2);
            assert.equal(bad.stdout, "");
            assert.equal(bad.stderr, planDiffCommand([path.join(dir, "bad.json"), path.join(dir, "new.json")]).stderr);
            assert.match(bad.stderr, /^plan-diff: .*is not an offline plan.*\n$/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
