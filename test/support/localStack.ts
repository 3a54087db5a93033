/**
 * The local stack on the real Pulumi engine, in a copy of the project (its files as git sees
 * them, node_modules linked, a git repository of its own), with state in the copy's
 * `.pulumi-state/`: for the end-to-end tests and the benchmarks. Nothing of the project itself is
 * touched; stack settings go through `pulumi config set` in the copy.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
    appendFileSync,
    copyFileSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readlinkSync,
    rmSync,
    statSync,
    symlinkSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { keepBuildCache, removeImages } from "./docker";
import { commitAll, git } from "./git";
import { ROOT } from "./plan";
import type { TestEnv } from "./testEnv";

export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** The commit date of the copy's first commit: the payload's IMAGE_TIMESTAMP is 20240506.070809. */
export const FIRST_COMMIT_DATE = "2024-05-06T07:08:09Z";

export class LocalStack {
    /** The copy of the project. */
    readonly dir: string;
    /** The environment every command runs with: the test environment's, the copy's backend. */
    readonly env: NodeJS.ProcessEnv;
    /** Image repositories of this copy's stack (unique names: others share the engine). */
    readonly images: { runtime: string; application: string };

    /** Copies the project and selects a fresh `local` stack whose images have unique names. */
    constructor(
        private readonly t: TestEnv,
        engineEnv: NodeJS.ProcessEnv,
        id: string,
    ) {
        this.dir = mkdtempSync(path.join(os.tmpdir(), `fw-${id}-`));
        copyProject(this.dir);
        const clean = Object.fromEntries(Object.entries(engineEnv).filter(([k]) => !k.startsWith("GIT_")));
        this.env = {
            ...clean,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, ".pulumi-state")}`,
            PULUMI_CONFIG_PASSPHRASE: "",
            // the test engine has no bridge network: builds use the host's
            FW_DOCKER_BUILD_NETWORK: "host",
        };
        git(this.dir, ["init", "-q", "-b", "main"]);
        appendFileSync(path.join(this.dir, ".git", "info", "exclude"), "/node_modules\n");
        commitAll(this.dir, "the project, as cloned", FIRST_COMMIT_DATE);
        this.images = { runtime: `fireworker/${id}-runtime`, application: `fireworker/${id}-app` };
        mkdirSync(path.join(this.dir, ".pulumi-state"));
        this.pulumiOk(["stack", "init", "local"]);
        // the base comes from the test environment, the names are this run's own
        this.setConfig("runtime.base", t.pythonImage);
        this.setConfig("runtime.name", `${id}-runtime`);
        this.setConfig("application.name", `${id}-app`);
    }

    /** `pulumi config set --path fireworker-images:<key> <value>`: writes the copy's stack file. */
    setConfig(key: string, value: string): void {
        this.pulumiOk(["config", "set", "--path", `fireworker-images:${key}`, value]);
    }

    /** Runs a command in the copy. */
    run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Run {
        const started = Date.now();
        const r = spawnSync(file, args, {
            cwd: this.dir,
            env: { ...this.env, ...extraEnv },
            encoding: "utf8",
            maxBuffer: 256 << 20,
            timeout: 900_000,
        });
        return {
            status: r.status,
            stdout: r.stdout ?? "",
            stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
            seconds: (Date.now() - started) / 1000,
        };
    }

    /** `npm run local`, as the README says, with `args` for `pulumi up`. */
    local(...args: string[]): Run {
        return this.run("npm", ["run", "local", ...(args.length > 0 ? ["--", ...args] : [])]);
    }

    pulumi(args: string[]): Run {
        return this.run("pulumi", ["--non-interactive", "--color=never", ...args]);
    }

    /** A pulumi command that must succeed: its stdout. */
    pulumiOk(args: string[]): string {
        const r = this.pulumi(args);
        assert.equal(r.status, 0, `pulumi ${args.join(" ")} failed:\n${tail(r)}`);
        return r.stdout;
    }

    outputs(): Record<string, string> {
        return JSON.parse(this.pulumiOk(["stack", "output", "--json"])) as Record<string, string>;
    }

    /** What the last update did: counts by operation (`same`, `create`, `replace`, ...). */
    lastChanges(): Record<string, number> {
        const history = JSON.parse(this.pulumiOk(["stack", "history", "--json"])) as {
            resourceChanges?: Record<string, number>;
        }[];
        return history[0]?.resourceChanges ?? {};
    }

    /** The id of each resource in the state, by its name: a replaced command gets a new id. */
    ids(): Record<string, string> {
        const state = JSON.parse(this.pulumiOk(["stack", "export"])) as {
            deployment: { resources?: { urn: string; id?: string }[] };
        };
        return Object.fromEntries(
            (state.deployment.resources ?? []).map((r) => [r.urn.split("::").pop() ?? r.urn, r.id ?? ""]),
        );
    }

    /** Starts `npm run local` in its own process group, for a test that kills it. */
    startLocal(): { pgid: number; output: () => string; done: Promise<number | null> } {
        const child = spawn("npm", ["run", "local"], {
            cwd: this.dir,
            env: this.env,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d));
        child.stderr.on("data", (d: Buffer) => (output += d));
        const done = new Promise<number | null>((resolve) => child.on("close", resolve));
        return { pgid: child.pid!, output: () => output, done };
    }

    /** Commits the copy's changes at a later fixed date; the new commit. */
    commit(message: string, date: string): string {
        return commitAll(this.dir, message, date);
    }

    /**
     * Ends what still runs in the copy (e.g. after a failed test), by pid;
     * removes this stack's images and the copy.
     */
    dispose(): void {
        for (const pid of processesIn(this.dir)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // gone already
            }
        }
        keepBuildCache(this.t, this.images.runtime, "local-stack-runtime");
        removeImages(this.t, this.images.application);
        removeImages(this.t, this.images.runtime);
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The project's files as git sees them (tracked, and new ones not ignored), node_modules linked. */
function copyProject(dest: string): void {
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    });
    assert.equal(listed.status, 0, listed.stderr);
    for (const f of listed.stdout.split("\0").filter(Boolean)) {
        const from = path.join(ROOT, f);
        let isFile = false;
        try {
            isFile = statSync(from).isFile();
        } catch {
            // deleted in the work tree
        }
        if (isFile) {
            mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
            copyFileSync(from, path.join(dest, f));
        }
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"), "dir");
}

/** Pids of this machine's processes whose working directory is `dir` or inside it. */
export function processesIn(dir: string): number[] {
    const out: number[] = [];
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
            continue;
        }
        try {
            const cwd = readlinkSync(`/proc/${entry}/cwd`);
            if (cwd === dir || cwd.startsWith(`${dir}/`)) {
                out.push(Number(entry));
            }
        } catch {
            // gone, or not ours to read
        }
    }
    return out;
}

/** The last lines of a run's output, for a failure message. */
export function tail(r: Run, lines = 40): string {
    return `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-lines).join("\n");
}
