import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { stackConfig } from "../../lib/plan/stackFile";
import { loadSettings } from "../../lib/settings/loadSettings";
import { ROOT } from "../support/plan";

function stacksCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-stacks-"));
    fs.copyFileSync(path.join(ROOT, "stacks", "Pulumi.dev-example.yaml"), path.join(dir, "Pulumi.dev-example.yaml"));
    return dir;
}

const run = (id: string, dir: string) => {
    // the same entry point as `npm run new-developer -- <id>`, against a copy of stacks/
    const code = `require("./scripts/new-developer").newDeveloperStack(${JSON.stringify(id)}, ${JSON.stringify(dir)})`;
    return spawnSync("node", ["--require", "ts-node/register/transpile-only", "-e", code], {
        cwd: ROOT,
        encoding: "utf8",
    });
};

describe("npm run new-developer", () => {
    it("writes stacks/Pulumi.dev-<id>.yaml from the example, valid as a developer stack", () => {
        const dir = stacksCopy();
        assert.equal(run("ann", dir).status, 0);
        const file = path.join(dir, "Pulumi.dev-ann.yaml");
        assert.equal(parse(fs.readFileSync(file, "utf8")).config["fireworker-images:developer"], "ann");
        const s = loadSettings(stackConfig(file), { stack: "dev-ann", projectRoot: ROOT });
        assert.ok(s.mode === "developer");
        assert.equal(s.developer, "ann");
    });

    it("refuses an invalid id and an existing file, with one line each", () => {
        const dir = stacksCopy();
        const bad = spawnSync("npm", ["run", "--silent", "new-developer", "--", "Ann_B"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.equal(bad.status, 2);
        assert.equal(
            bad.stderr,
            'new-developer: "Ann_B" is not a valid developer id; use lowercase letters, digits and single dashes, 1 to 30 characters (it becomes the image name prefix <id>-)\n',
        );
        assert.equal(run("bob", dir).status, 0);
        const again = run("bob", dir);
        assert.notEqual(again.status, 0);
        assert.match(
            again.stderr,
            /new-developer: stacks\/Pulumi\.dev-bob\.yaml exists already; edit it, or pick another id/,
        );
    });
});
