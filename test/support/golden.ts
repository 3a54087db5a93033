/** Golden files: compare with test/golden/NAME; `UPDATE_GOLDEN=1 npm test` rewrites them. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

export function assertGolden(name: string, actual: string): void {
    const file = path.join(__dirname, "..", "golden", name);
    if (process.env.UPDATE_GOLDEN === "1") {
        fs.writeFileSync(file, actual);
    }
    assert.equal(
        actual,
        fs.readFileSync(file, "utf8"),
        `differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it)`,
    );
}
