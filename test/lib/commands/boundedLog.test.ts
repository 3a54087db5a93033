import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Writable } from "node:stream";
import { boundedLog } from "../../../lib/commands/boundedLog";
import { recorder } from "../../support/recorder";

describe("the bounded log of a command (lib/commands/boundedLog.ts)", () => {
    const write = (w: Writable, s: string) => new Promise<void>((r) => w.write(s, () => r()));

    it("keeps the whole log in its file, shows only the head, and the tail after a failure", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-log-"));
        const out = recorder();
        const log = boundedLog(path.join(dir, "logs", "b.log"), out.stream, 1000, 3);
        const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`);
        for (const l of lines) await write(log.stream, l);
        log.close(true);
        assert.equal(fs.readFileSync(log.file, "utf8"), lines.join(""));
        const shown = out.text();
        assert.ok(shown.length < 1500, `shown ${shown.length} bytes`);
        assert.ok(shown.startsWith("line 0\nline 1\n"));
        assert.match(shown, /… the rest of this log is in .*b\.log/);
        assert.match(shown, /line 1998\nline 1999\n\n$/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a short log is shown whole, and nothing more on success", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-log-"));
        const out = recorder();
        const log = boundedLog(path.join(dir, "b.log"), out.stream, 1000);
        await write(log.stream, "built\n");
        log.close(false);
        assert.equal(out.text(), "built\n");
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
