/**
 * Temporary folders for fixtures a build reads: inside the repository (builds read nothing
 * outside it), under the program's ignored `.fireworker/test/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./plan";

const made: string[] = [];

// whatever a test leaves is removed when the test process ends
process.on("exit", () => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder inside the repository, removed when the tests end (or earlier by the test). */
export function repoTempDir(prefix: string): string {
    const base = path.join(ROOT, ".fireworker", "test");
    fs.mkdirSync(base, { recursive: true });
    const dir = fs.mkdtempSync(path.join(base, prefix));
    made.push(dir);
    return dir;
}
