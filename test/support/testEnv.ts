/**
 * Finding the Docker test environment for integration tests.
 *
 * The environment (a Docker engine, a registry on 127.0.0.1 and a base image) is provisioned by
 * `scripts/test-env` (CI: `.ci/run`); tests never provision it themselves. Use it like this:
 *
 *     import { requireDockerOrSkip, TestEnv } from "./support/testEnv";
 *
 *     describe("something with Docker", function () {
 *         let t: TestEnv;
 *         before(async function () {
 *             t = await requireDockerOrSkip(this); // skips (or fails) the whole suite without an engine
 *         });
 *         it("...", () => { spawnSync("docker", [...], { env: t.env }); });
 *     });
 *
 * Without an engine the suite is skipped with one loud line, or fails when FW_REQUIRE_DOCKER=1.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

export interface TestEnv {
    /** process.env plus DOCKER_HOST, FW_TEST_REGISTRY, FW_TEST_BASE_IMAGE, DOCKER_BUILDKIT: pass to child processes. */
    env: NodeJS.ProcessEnv;
    /** The test registry, "127.0.0.1:PORT" (plain HTTP, no auth). */
    registry: string;
    /** A local base image to build FROM, e.g. "fireworker-test/debian:bookworm". */
    baseImage: string;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TEST_ENV_SCRIPT = path.join(REPO_ROOT, "scripts", "test-env");
const SKIP_LINE =
    "SKIPPED integration tests: no Docker engine (run scripts/test-env, or set FW_REQUIRE_DOCKER=1 to make this an error)";

interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a command in its own process group; on timeout the whole group is killed (code -1). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve) => {
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const child = spawn(file, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve({ code: 127, stdout, stderr: stderr + String(e) });
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: timedOut ? -1 : (code ?? 1), stdout, stderr });
        });
    });
}

async function engineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
    const version = await run("docker", ["version", "--format", "{{.Server.Version}}"], env, 20_000);
    return version.code === 0 && version.stdout.trim() !== "";
}

/** Parses `export NAME=VALUE` lines (VALUE bare, '...' or "..." quoted, or bash %q-escaped). */
export function parseExports(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (!m) {
            continue;
        }
        const raw = m[2].trim();
        let value: string;
        if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
            value = raw.slice(1, -1);
        } else if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
            value = raw.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
        } else {
            value = raw.replace(/\\(.)/g, "$1");
        }
        out[m[1]] = value;
    }
    return out;
}

async function findTestEnv(): Promise<TestEnv | null> {
    const complete = (env: NodeJS.ProcessEnv): TestEnv | null =>
        env.FW_TEST_REGISTRY && env.FW_TEST_BASE_IMAGE
            ? { env, registry: env.FW_TEST_REGISTRY, baseImage: env.FW_TEST_BASE_IMAGE }
            : null;

    // 1. Set by the caller (CI: eval "$(scripts/test-env env)").
    const given = complete({ ...process.env });
    if (given) {
        return (await engineAnswers(given.env)) ? given : null;
    }

    // 2. An environment provisioned before: its state directory has the export lines. Tests never
    //    provision; the env file is read first because it needs no lock and starts nothing.
    const stateDir = process.env.FW_TEST_ENV_DIR || "/var/tmp/fireworker-test-env";
    const envFile = path.join(stateDir, "env");
    if (!existsSync(envFile)) {
        return null;
    }
    const fromFile = complete({ ...process.env, ...parseExports(readFileSync(envFile, "utf8")) });
    if (fromFile && (await engineAnswers(fromFile.env))) {
        return fromFile;
    }

    // 3. Stale state: `scripts/test-env env` brings the provisioned environment back (bounded).
    if (!existsSync(TEST_ENV_SCRIPT)) {
        return null;
    }
    const r = await run(TEST_ENV_SCRIPT, ["env"], { ...process.env }, 120_000);
    if (r.code !== 0) {
        const why =
            r.code === -1 ? "timed out after 120s" : `exit ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}`;
        process.stderr.write(`scripts/test-env env failed (${why})\n`);
        return null;
    }
    const fromScript = complete({ ...process.env, ...parseExports(r.stdout) });
    return fromScript && (await engineAnswers(fromScript.env)) ? fromScript : null;
}

let cached: Promise<TestEnv | null> | undefined;

/**
 * The test environment, or null when no Docker engine answers. Uses DOCKER_HOST / FW_TEST_REGISTRY /
 * FW_TEST_BASE_IMAGE from process.env when set; else, only when scripts/test-env provisioned an
 * environment before, its export lines (the state's env file, or `scripts/test-env env` when that
 * file's engine does not answer). Looked up once per process.
 */
export function getTestEnv(): Promise<TestEnv | null> {
    cached ??= findTestEnv();
    return cached;
}

let skipLinePrinted = false;

/**
 * For a `before` hook (or a test): resolves to the test environment; without one, fails with one line
 * when FW_REQUIRE_DOCKER=1, else prints one loud line (once per run) and skips via `ctx.skip()`.
 */
export async function requireDockerOrSkip(ctx: Mocha.Context): Promise<TestEnv> {
    if (ctx.timeout() !== 0 && ctx.timeout() < 300_000) {
        ctx.timeout(300_000); // `scripts/test-env env` may restart a stopped engine
    }
    const found = await getTestEnv();
    if (found) {
        return found;
    }
    if (process.env.FW_REQUIRE_DOCKER === "1") {
        throw new Error("no Docker engine for the integration tests (FW_REQUIRE_DOCKER=1): run scripts/test-env");
    }
    if (!skipLinePrinted) {
        skipLinePrinted = true;
        process.stderr.write(`${SKIP_LINE}\n`);
    }
    ctx.skip();
}
