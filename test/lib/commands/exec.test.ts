import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { exec, shellQuote } from "../../../lib/commands/exec";
import { recorder } from "../../support/recorder";

describe("the tool runner (lib/commands/exec.ts) with real sh children", () => {
    let dir: string;
    before(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), "fw-exec-"));
    });
    after(() => {
        rmSync(dir, { recursive: true, force: true });
    });

    it("returns the child's stdout and copies only its stderr to the log", async () => {
        const log = recorder();
        const out = await exec("sh", ["-c", "echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2"], {
            who: "t",
            log: log.stream,
        });
        assert.equal(out, "out-1\nout-2\n");
        assert.equal(log.text(), "err-1\nerr-2\n");
    });

    it("with echoStdout, copies stdout to the log too and still returns it", async () => {
        const log = recorder();
        const out = await exec("sh", ["-c", "echo only-out"], { who: "t", log: log.stream, echoStdout: true });
        assert.equal(out, "only-out\n");
        assert.equal(log.text(), "only-out\n");
    });

    it("returns an empty string for a child that prints nothing", async () => {
        const log = recorder();
        assert.equal(await exec("sh", ["-c", "true"], { who: "t", log: log.stream }), "");
        assert.equal(log.text(), "");
    });

    it("adds the env option to the process environment (PATH is kept)", async () => {
        const out = await exec(
            "sh",
            ["-c", 'printf "%s|%s" "$FW_EXEC_TEST" "$(command -v sh >/dev/null && echo found)"'],
            {
                who: "t",
                env: { FW_EXEC_TEST: "value with spaces" },
            },
        );
        assert.equal(out, "value with spaces|found");
    });

    it("pipes the stdin stream into the child (cat), bytes unchanged", async () => {
        const out = await exec("cat", [], { who: "t", stdin: Readable.from(["first\n", "second\n"]) });
        assert.equal(out, "first\nsecond\n");
        const big = "0123456789abcdef".repeat(1 << 16); // 1 MiB, more than a pipe holds
        const outBig = await exec("sh", ["-c", "wc -c"], { who: "t", stdin: Readable.from([big]) });
        assert.equal(outBig.trim(), String(big.length));
    });

    it("without a stdin stream, the child's stdin is empty (not the test's)", async () => {
        assert.equal(await exec("sh", ["-c", "cat; echo end"], { who: "t" }), "end\n");
    });

    it("a non-zero exit rejects with who, the command, its first two arguments, the code and the last 5 lines of stderr", async () => {
        const log = recorder();
        const script = "for i in 1 2 3 4 5 6 7; do echo line-$i >&2; done; echo out; exit 3";
        await assert.rejects(exec("sh", ["-c", script, "extra-arg"], { who: "build-image", log: log.stream }), {
            message: `build-image: sh -c ${script} failed (exit 3): line-3\nline-4\nline-5\nline-6\nline-7`,
        });
        // the whole stderr still went to the log as it came
        assert.equal(log.text(), "line-1\nline-2\nline-3\nline-4\nline-5\nline-6\nline-7\n");
    });

    it("a non-zero exit with an empty stderr ends the message at the code", async () => {
        await assert.rejects(exec("sh", ["-c", "exit 7"], { who: "bake-image" }), {
            message: "bake-image: sh -c exit 7 failed (exit 7): ",
        });
    });

    it("the stderr tail is trimmed of surrounding blank lines", async () => {
        const log = recorder();
        await assert.rejects(
            exec("sh", ["-c", "printf '\\n\\nonly problem\\n\\n\\n' >&2; exit 1"], { who: "t", log: log.stream }),
            { message: "t: sh -c printf '\\n\\nonly problem\\n\\n\\n' >&2; exit 1 failed (exit 1): only problem" },
        );
    });

    it("a command that does not exist rejects with cannot run", async () => {
        await assert.rejects(exec("fw-no-such-tool", ["x"], { who: "build-image" }), {
            message: "build-image: cannot run fw-no-such-tool: spawn fw-no-such-tool ENOENT",
        });
        await assert.rejects(exec("fw-no-such-tool", [], { who: "build-image", stdin: Readable.from(["input"]) }), {
            message: "build-image: cannot run fw-no-such-tool: spawn fw-no-such-tool ENOENT",
        });
    });

    it("a file that is not executable rejects with cannot run", async () => {
        const file = path.join(dir, "not-executable.sh");
        writeFileSync(file, "#!/bin/sh\necho hi\n", { mode: 0o644 });
        await assert.rejects(exec(file, [], { who: "t" }), {
            message: `t: cannot run ${file}: spawn ${file} EACCES`,
        });
    });

    it("a child that exits before reading its stdin does not crash the runner", async () => {
        const big = "x".repeat(8 << 20); // 8 MiB: the pipe fills, then breaks (EPIPE)
        assert.equal(await exec("sh", ["-c", "echo early"], { who: "t", stdin: Readable.from([big]) }), "early\n");
        // its own exit and stderr decide the outcome
        const log = recorder();
        await assert.rejects(
            exec("sh", ["-c", "echo refused >&2; exit 4"], { who: "t", log: log.stream, stdin: Readable.from([big]) }),
            { message: "t: sh -c echo refused >&2; exit 4 failed (exit 4): refused" },
        );
    });

    it("an error of the stdin stream rejects with that error and stops the child", async () => {
        const pidFile = path.join(dir, "child.pid");
        const stdin = new PassThrough();
        const run = exec("sh", ["-c", `echo $$ >${pidFile}; exec cat >/dev/null`], { who: "t", stdin });
        stdin.write("some input\n");
        while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") {
            await sleep(10);
        }
        const pid = Number(readFileSync(pidFile, "utf8"));
        stdin.destroy(new Error("the context could not be read"));
        await assert.rejects(run, { message: "the context could not be read" });
        const alive = () => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        };
        for (let i = 0; i < 500 && alive(); i++) {
            await sleep(10);
        }
        assert.equal(alive(), false, `child ${pid} still runs`);
    });

    it("returns multi-byte characters whole, however the output is cut into chunks", async () => {
        const file = path.join(dir, "euro.txt");
        writeFileSync(file, "€".repeat(100000));
        assert.equal(await exec("cat", [file], { who: "t", log: recorder().stream }), "€".repeat(100000));
    });

    it("a child killed by a signal says so", async () => {
        await assert.rejects(
            exec("sh", ["-c", "kill -TERM $$"], { who: "t", log: recorder().stream }),
            /^Error: t: sh -c kill -TERM \$\$ failed \(killed by SIGTERM\): $/,
        );
    });

    it("quotes words for bash so that bash reads them back unchanged", () => {
        const words = ["plain/path:tag@x", "two words", "it's", "$HOME", 'a"b', "`x`", "*", ""];
        assert.equal(shellQuote("plain/path:tag@x"), "plain/path:tag@x");
        assert.equal(shellQuote("it's"), "'it'\\''s'");
        const script = `printf '%s\\n' ${words.map(shellQuote).join(" ")}`;
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
        assert.equal(r.stdout, `${words.join("\n")}\n`);
    });
});
