import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLAN_USAGE, planCommand } from "../../../lib/plan/planCommand";

const ROOT = path.resolve(__dirname, "../../..");

describe("the plan command (lib/plan/planCommand.ts)", function () {
    this.timeout(120000);

    it("without a stack: the usage line, status 2", async () => {
        assert.deepEqual(await planCommand(undefined, ROOT), { status: 2, stdout: "", stderr: `${PLAN_USAGE}\n` });
    });

    it("a stack by name: its plan on stdout, status 0", async () => {
        const out = await planCommand("local", ROOT);
        assert.equal(out.status, 0, out.stderr);
        assert.equal(out.stderr, "");
        assert.equal(JSON.parse(out.stdout).stack, "local");
    });

    it("settings the program refuses: one line each on stderr, status 2, nothing on stdout", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-command-"));
        try {
            const file = path.join(dir, "Pulumi.broken.yaml");
            fs.writeFileSync(file, "config:\n  fireworker-images:mode: locall\n");
            const out = await planCommand(file, dir);
            assert.equal(out.status, 2);
            assert.equal(out.stdout, "");
            assert.match(out.stderr, /^fireworker-images:mode: "locall" /);
            assert.equal(out.stderr.trimEnd().split("\n").length, 1);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a stack file that cannot be read is refused before the Pulumi SDK and the program load", () => {
        const script = [
            'const { planCommand } = require("./lib/plan/planCommand");',
            "const loaded = () => Object.keys(require.cache).some((f) => /[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]/.test(f));",
            "planCommand(process.argv[1]).then(async (bad) => {",
            "    const before = loaded();",
            '    const good = await planCommand("local");',
            "    console.log(JSON.stringify([bad.status, before, good.status, loaded()]));",
            "});",
        ].join("\n");
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script, "nope"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        // the control: planning a stack does load it
        assert.deepEqual(JSON.parse(r.stdout), [2, false, 0, true]);
    });
});
