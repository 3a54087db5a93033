import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support/plan";

const SCRIPT = path.join(ROOT, "scripts", "test-env");

/** `scripts/test-env status` with its state in `dir`: reads the folder, starts nothing. */
function status(dir: string) {
    return spawnSync(SCRIPT, ["status"], {
        encoding: "utf8",
        env: { ...process.env, FW_TEST_ENV_DIR: dir },
        timeout: 30_000,
    });
}

/**
 * Runs the script's own apt_install (the script sourced, so only its functions) with
 * `apt-get` replaced by `aptGet`, a shell function body, and policy-rc.d at `policy`.
 */
function aptInstall(policy: string, aptGet: string) {
    const script = [
        `source ${JSON.stringify(SCRIPT)}`,
        `POLICY_RC_D=${JSON.stringify(policy)}`,
        "APT_UPDATED=1",
        "need_root() { :; }",
        "dpkg-query() { return 1; }",
        `apt-get() { ${aptGet}; }`,
        "apt_install fireworker-no-such-package",
        "echo finished",
    ].join("\n");
    return spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30_000 });
}

describe("scripts/test-env", () => {
    let tmp: string;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fw-test-env-"));
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("refuses a state folder others could plant files in", () => {
        it("up creates a missing folder (and its parents) that only its owner can open", () => {
            const dir = path.join(tmp, "new", "state");
            assert.equal(status(dir).status, 0);
            assert.equal(fs.existsSync(dir), false, "status creates nothing");
            // the check `up` and `env` run first, on their own (the rest would start daemons)
            const r = spawnSync(
                "bash",
                ["-c", `source ${JSON.stringify(SCRIPT)}; STATE_DIR=${JSON.stringify(dir)}; check_state_dir`],
                {
                    encoding: "utf8",
                    timeout: 30_000,
                },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
            assert.equal(fs.statSync(path.dirname(dir)).mode & 0o777, 0o700);
        });

        it("accepts a folder of its own that only it can write", () => {
            const dir = path.join(tmp, "state");
            fs.mkdirSync(dir, { mode: 0o755 });
            fs.chmodSync(dir, 0o755);
            const r = status(dir);
            assert.equal(r.status, 0, r.stderr);
        });

        for (const mode of [0o777, 0o775, 0o757, 0o1777]) {
            it(`refuses a folder of mode ${mode.toString(8)}, in one line`, () => {
                const dir = path.join(tmp, "state");
                fs.mkdirSync(dir);
                fs.chmodSync(dir, mode);
                const r = status(dir);
                assert.equal(r.status, 1);
                assert.equal(
                    r.stderr,
                    `test-env: error: state folder ${dir} is writable by others (mode ${mode.toString(8)}); run: chmod go-w ${dir}\n`,
                );
                assert.equal(r.stdout, "");
            });
        }

        it("refuses a folder another user owns", function () {
            if (process.getuid?.() !== 0) this.skip(); // only root can give a folder away
            const dir = path.join(tmp, "state");
            fs.mkdirSync(dir, { mode: 0o700 });
            fs.chownSync(dir, 65534, 65534);
            const r = status(dir);
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /^test-env: error: state folder .* belongs to uid 65534, not to uid 0 who runs this; use a folder of your own \(FW_TEST_ENV_DIR\)\n$/,
            );
        });

        it("refuses a symbolic link, even to a good folder", () => {
            const real = path.join(tmp, "real");
            fs.mkdirSync(real, { mode: 0o700 });
            const link = path.join(tmp, "state");
            fs.symlinkSync(real, link);
            const r = status(link);
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                `test-env: error: state folder ${link} is a symbolic link; set FW_TEST_ENV_DIR to a real folder\n`,
            );
        });

        it("refuses a folder inside a parent others can write without the sticky bit", () => {
            const parent = path.join(tmp, "open");
            fs.mkdirSync(parent);
            fs.chmodSync(parent, 0o777);
            const dir = path.join(parent, "state");
            fs.mkdirSync(dir, { mode: 0o700 });
            assert.equal(status(dir).status, 1);
            fs.chmodSync(parent, 0o1777); // like /tmp and /var/tmp: others cannot rename it
            assert.equal(status(dir).status, 0);
        });

        it("down refuses it too, before it kills anything a pid file names", () => {
            const dir = path.join(tmp, "state");
            fs.mkdirSync(dir);
            fs.chmodSync(dir, 0o777);
            const r = spawnSync(SCRIPT, ["down"], {
                encoding: "utf8",
                env: { ...process.env, FW_TEST_ENV_DIR: dir },
                timeout: 30_000,
            });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /is writable by others/);
        });
    });

    describe("policy-rc.d, which keeps apt from starting services, is removed on every exit", () => {
        it("is present while apt-get runs and gone after it succeeds", () => {
            const policy = path.join(tmp, "policy-rc.d");
            const r = aptInstall(policy, `[ -x "$POLICY_RC_D" ] && echo present >&2; return 0`);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stderr, /present/);
            assert.match(r.stdout, /finished/);
            assert.equal(fs.existsSync(policy), false);
        });

        it("is gone after apt-get fails and the script dies", () => {
            const policy = path.join(tmp, "policy-rc.d");
            const r = aptInstall(policy, "return 100");
            assert.equal(r.status, 1);
            assert.match(r.stderr, /apt-get install fireworker-no-such-package failed/);
            assert.equal(fs.existsSync(policy), false);
        });

        for (const [signal, code] of [
            ["INT", 130],
            ["TERM", 143],
            ["HUP", 143],
        ] as const) {
            it(`is gone after a SIG${signal} during apt-get`, () => {
                const policy = path.join(tmp, "policy-rc.d");
                const r = aptInstall(policy, `kill -${signal} $$; sleep 5`);
                assert.equal(r.status, code, r.stderr);
                assert.doesNotMatch(r.stdout, /finished/);
                assert.equal(fs.existsSync(policy), false);
            });
        }

        it("keeps a policy-rc.d that was there before", () => {
            const policy = path.join(tmp, "policy-rc.d");
            fs.writeFileSync(policy, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
            const r = aptInstall(policy, "return 100");
            assert.equal(r.status, 1);
            assert.equal(fs.readFileSync(policy, "utf8"), "#!/bin/sh\nexit 0\n");
        });
    });
});
