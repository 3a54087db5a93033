import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planCli, ROOT } from "../support/plan";

describe("npm run plan (the CLI)", function () {
    this.timeout(300000);

    for (const stack of ["team", "local", "dev-example"]) {
        it(`prints the same bytes for ${stack} under another TZ, working directory and umask`, () => {
            const a = planCli(stack, { env: { ...process.env, TZ: "UTC" }, cwd: ROOT });
            const other = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
            const b = planCli(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), {
                env: { ...process.env, TZ: "Pacific/Kiritimati", LANG: "de_DE.UTF-8", USER: "somebody-else" },
                cwd: other,
            });
            // and once more under another umask
            const c = spawnSync("bash", ["-c", `umask 077 && npm run --silent --prefix "$ROOT" plan -- ${stack}`], {
                cwd: other,
                encoding: "utf8",
                env: { ...process.env, ROOT, TZ: "America/St_Johns" },
            });
            assert.equal(a.status, 0, a.stderr);
            assert.equal(a.stdout, b.stdout);
            assert.equal(a.stdout, c.stdout);
            const plan = JSON.parse(a.stdout);
            assert.equal(plan.stack, stack);
            assert.ok(plan.resources.length > 0);
            assert.ok(!a.stdout.includes(ROOT), "the plan holds an absolute path");
            assert.ok(!a.stdout.includes(`${os.userInfo().username}/`), "the plan holds a user name");
        });
    }

    it("prints the one line and exits 2 on invalid settings, nothing on stdout", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(
            file,
            "config:\n  fireworker-images:mode: local\n  fireworker-images:runtime:\n    base: python:3.11-alpine\n",
        );
        const r = planCli(file);
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            'fireworker-images:runtime.base: "python:3.11-alpine" is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm\n',
        );
    });

    it("exits 2 with one line for a stack that does not exist", () => {
        const r = planCli("nope");
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^plan: no stack file for "nope" \(looked for .*Pulumi\.nope\.yaml\)\n$/);
    });
});
