/**
 * A copy of the example payload in a git repository of its own, at a fixed path inside the
 * project (so plans of it name the same context on every machine) with fixed commit dates (so
 * its git facts are the same too): for plan diffs of real payload changes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { commitAll, git } from "./git";
import { patchSetting, ROOT } from "./plan";

/** The first commit's date; later commits are a day apart. */
const FIRST_COMMIT = Date.UTC(2026, 0, 5, 9, 30, 0) / 1000;

export class Payload {
    /** Absolute path. */
    readonly dir: string;
    /** Project-relative path, as the settings name it. */
    readonly rel: string;
    private commits = 0;
    private first = "";

    /** Makes `.fireworker/test-payloads/<name>` afresh from `example/`, committed once. */
    constructor(name: string) {
        this.rel = `.fireworker/test-payloads/${name}`;
        this.dir = path.join(ROOT, this.rel);
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(path.dirname(this.dir), { recursive: true });
        fs.cpSync(path.join(ROOT, "example"), this.dir, { recursive: true });
        git(this.dir, ["init", "-q", "-b", "main"]);
        this.first = this.commit("The example payload");
    }

    /** Commits every change, a day after the previous commit; returns the commit. */
    commit(message: string): string {
        const date = `@${FIRST_COMMIT + 86400 * this.commits++} +0000`;
        return commitAll(this.dir, message, date);
    }

    /** Back to the first commit, untracked files removed. */
    reset(): void {
        git(this.dir, ["reset", "-q", "--hard", this.first]);
        git(this.dir, ["clean", "-q", "-fdx"]);
        this.commits = 1;
    }

    file(rel: string): string {
        return path.join(this.dir, rel);
    }

    /** Config overrides for an example stack: this payload as the application's context and its requirements as the runtime's. */
    settings(stack: string, runtime: Record<string, unknown> = {}): Record<string, string> {
        return {
            ...patchSetting(stack, "application", { context: this.rel }),
            ...patchSetting(stack, "runtime", { requirements: `${this.rel}/requirements.txt`, ...runtime }),
        };
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
