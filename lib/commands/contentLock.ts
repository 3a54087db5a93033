/**
 * A lock per image and content tag on this machine, for builds on the local Docker engine:
 * builders of the same content tag run one after another, so the second finds the first's image
 * instead of pushing another over a mutable tag. A directory under the system's temporary folder,
 * made atomically with mkdir, holding its owner's pid; a dead owner's lock is taken over.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sleep } from "./permissionRetry";

export interface LockOptions {
    /** Where locks live. @default <tmpdir>/fireworker-locks */
    dir?: string;
    /** Give up after this many seconds. @default 10800 (3 h: a long runtime build holds it) */
    timeoutSeconds?: number;
    /** Told once when the lock is held by another builder. */
    onWait?: (owner: string) => void;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Takes the lock of `key` (e.g. `image:tag`); resolves to its release. */
export async function lockContent(key: string, opts: LockOptions = {}): Promise<() => void> {
    const dir = opts.dir ?? path.join(os.tmpdir(), "fireworker-locks");
    fs.mkdirSync(dir, { recursive: true, mode: 0o1777 });
    const lock = path.join(dir, createHash("sha256").update(key).digest("hex").slice(0, 32));
    const end = Date.now() + (opts.timeoutSeconds ?? 10800) * 1000;
    let told = false;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
        try {
            fs.mkdirSync(lock);
            fs.writeFileSync(path.join(lock, "owner"), `${process.pid} ${key}\n`);
            return () => fs.rmSync(lock, { recursive: true, force: true });
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
        const owner = fs.existsSync(path.join(lock, "owner")) ? fs.readFileSync(path.join(lock, "owner"), "utf8") : "";
        const pid = Number(owner.split(" ")[0]);
        if (owner && Number.isInteger(pid) && pid > 0 && !alive(pid)) {
            fs.rmSync(lock, { recursive: true, force: true }); // its owner died holding it
            continue;
        }
        if (!told) {
            told = true;
            opts.onWait?.(owner.trim() || "a builder starting");
        }
        if (Date.now() > end) {
            throw new Error(
                `build-image: ${key} is being built by another builder (${owner.trim()}) for too long; lock ${lock}`,
            );
        }
        await sleep(delay);
    }
}
