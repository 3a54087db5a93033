import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lockContent } from "../../../lib/commands/contentLock";

describe("the per-content lock of local builds (lib/commands/contentLock.ts)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-lock-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("holders of one key take turns; other keys do not wait", async () => {
        const order: string[] = [];
        const hold = async (key: string, name: string, ms: number) => {
            const release = await lockContent(key, { dir });
            order.push(`${name}+`);
            await new Promise((r) => setTimeout(r, ms));
            order.push(`${name}-`);
            release();
        };
        await Promise.all([hold("a:1", "x", 80), hold("a:1", "y", 10), hold("b:1", "z", 10)]);
        // x and y never overlap; z runs during x
        const x = order.indexOf("x+");
        const y = order.indexOf("y+");
        assert.ok(order.indexOf(x < y ? "x-" : "y-") < Math.max(x, y), order.join(" "));
        assert.ok(order.indexOf("z-") < order.indexOf("x-"), order.join(" "));
    });

    it("takes over the lock of a dead owner", async () => {
        const child = spawn("sleep", ["0"]);
        await new Promise((r) => child.on("exit", r));
        const first = await lockContent("k", { dir });
        fs.writeFileSync(path.join(dir, fs.readdirSync(dir)[0], "owner"), `${child.pid} k\n`);
        const second = await lockContent("k", { dir, timeoutSeconds: 2 });
        second();
        first();
    });

    it("gives up with one line after its timeout, naming the holder", async () => {
        const release = await lockContent("k", { dir });
        let told = "";
        await assert.rejects(lockContent("k", { dir, timeoutSeconds: 0.3, onWait: (o) => (told = o) }), (err: Error) =>
            /^build-image: k is being built by another builder \(\d+ k\) for too long; lock /.test(err.message),
        );
        assert.match(told, /^\d+ k$/);
        release();
    });
});
