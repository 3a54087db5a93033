/**
 * Temporary folders for fixtures a build reads: inside the repository (builds read nothing
 * outside it), under the program's ignored `.fireworker/test/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./plan";

/** A new empty folder inside the repository; remove it with `fs.rmSync(dir, { recursive: true })`. */
export function repoTempDir(prefix: string): string {
    const base = path.join(ROOT, ".fireworker", "test");
    fs.mkdirSync(base, { recursive: true });
    return fs.mkdtempSync(path.join(base, prefix));
}
