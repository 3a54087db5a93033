// A fresh machine without a test tool: the real mocha runs a real suite (the shellcheck tests)
// with a PATH that has node and nothing else. Its tests are pending with one loud line and the
// run passes; FW_REQUIRE_TOOLS=1 (CI) turns the same run into a failure that says why.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseExports } from "./tools";

const ROOT = path.resolve(__dirname, "..", "..");

describe("tools", () => {
    describe("a suite whose tool is missing", function () {
        this.timeout(120_000);
        let bin: string;

        before(() => {
            bin = mkdtempSync(path.join(os.tmpdir(), "fw-tools-"));
            symlinkSync(process.execPath, path.join(bin, "node"));
        });

        after(() => rmSync(bin, { recursive: true, force: true }));

        function mocha(extra: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
            const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, ...extra };
            if (extra.FW_REQUIRE_TOOLS === undefined) {
                delete env.FW_REQUIRE_TOOLS;
            }
            const r = spawnSync(
                process.execPath,
                [path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js"), "test/scripts/shellcheck.test.ts"],
                { cwd: ROOT, env, encoding: "utf8", timeout: 110_000 },
            );
            return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        }

        it("is pending, with one loud line that names the tool and how to get it; the run passes", () => {
            const r = mocha({});
            assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
            const loud = r.stderr.split("\n").filter((l) => l.startsWith("PENDING:"));
            assert.deepEqual(loud.length, 1, r.stderr);
            assert.match(
                loud[0],
                /^PENDING: tests that need shellcheck \(.*\) are pending: shellcheck not found\. Install: apt-get install shellcheck, .*\. FW_REQUIRE_TOOLS=1 makes this an error\.$/,
            );
            assert.match(r.stdout, /\b1 passing\b/);
            assert.match(r.stdout, /\b[1-9]\d* pending\b/);
            assert.doesNotMatch(r.stdout, /failing/);
        });

        it("fails with FW_REQUIRE_TOOLS=1, saying which tool and how to get it", () => {
            const r = mocha({ FW_REQUIRE_TOOLS: "1" });
            assert.notEqual(r.status, 0, r.stdout);
            assert.match(r.stdout, /\b[1-9]\d* failing\b/);
            assert.match(
                r.stdout,
                /shellcheck \(.*\): shellcheck not found \(FW_REQUIRE_TOOLS=1 requires it\); install: apt-get install shellcheck/,
            );
            assert.doesNotMatch(r.stderr, /^PENDING:/m);
        });
    });

    describe("parseExports", () => {
        it("reads scripts/test-env's export lines as bash's eval does", () => {
            const base = { PATH: "/usr/bin:/bin" };
            const lines = [
                'export PATH=/var/tmp/fw\\ env/bin:"$PATH"',
                "export DOCKER_HOST='unix:///var/tmp/fw/docker.sock'",
                'export FW_ENGINE_DIR="/var/tmp/a b"',
                "# a comment",
                "PULUMI_SKIP_UPDATE_CHECK=true",
            ].join("\n");
            const names = ["PATH", "DOCKER_HOST", "FW_ENGINE_DIR", "PULUMI_SKIP_UPDATE_CHECK"];
            const bash = spawnSync(
                "/bin/bash",
                // --norc: with stdin a socket (as node's pipes are), Debian's bash reads ~/.bashrc
                [
                    "--norc",
                    "--noprofile",
                    "-c",
                    `eval "$1"; printf '%s\\n' ${names.map((n) => `"$${n}"`).join(" ")}`,
                    "bash",
                    lines,
                ],
                { env: base, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
            );
            assert.equal(bash.status, 0, bash.stderr);
            const expected = Object.fromEntries(names.map((n, i) => [n, bash.stdout.split("\n")[i]]));
            assert.equal(expected.PATH, "/var/tmp/fw env/bin:/usr/bin:/bin");
            assert.deepEqual(parseExports(lines, base), expected);
        });
    });
});
