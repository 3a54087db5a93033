// Every shell script under scripts/ (a *.sh file, or any file with a sh/bash shebang) must be
// shellcheck clean. Without shellcheck these tests are pending, loudly (test/support/tools.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { requireTool } from "../support/tools";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SCRIPTS_DIR = path.join(REPO_ROOT, "scripts");
const SHEBANG = /^#!\s*(?:\/usr\/bin\/env\s+(?:-S\s+)?)?(?:\/usr)?(?:\/bin\/)?(?:ba|da)?sh(?:\s|$)/;

function shellScripts(dir: string): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            found.push(...shellScripts(file));
            continue;
        }
        if (!entry.isFile() || statSync(file).size === 0) {
            continue;
        }
        const head = readFileSync(file, { encoding: "utf8" }).slice(0, 200).split("\n")[0];
        if (entry.name.endsWith(".sh") || SHEBANG.test(head)) {
            found.push(file);
        }
    }
    return found.sort();
}

describe("shellcheck", () => {
    const scripts = shellScripts(SCRIPTS_DIR);

    it("finds the shell scripts under scripts/", () => {
        assert.ok(scripts.length > 0, "no shell scripts found under scripts/");
    });

    for (const script of scripts) {
        const name = path.relative(REPO_ROOT, script);
        it(`${name} is shellcheck clean`, function () {
            requireTool(this, "shellcheck");
            const r = spawnSync("shellcheck", ["--external-sources", name], {
                cwd: REPO_ROOT,
                encoding: "utf8",
            });
            assert.equal(r.status, 0, `shellcheck ${name} (exit ${r.status}):\n${r.stdout}${r.stderr}`);
        });
    }
});
