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
 * Without the environment the suite is pending with one loud line that says what is missing (no
 * docker command, no engine, or an engine but no provisioned environment), or, with
 * FW_REQUIRE_TOOLS=1 (CI), fails.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { announceOnce, parseExports, REQUIRE_TOOLS, STATE_DIR, toolsRequired } from "./tools";

export interface TestEnv {
    /** process.env plus DOCKER_HOST, FW_TEST_REGISTRY, FW_TEST_*_IMAGE, DOCKER_BUILDKIT and the engine's: pass to child processes. */
    env: NodeJS.ProcessEnv;
    /** The test registry, "127.0.0.1:PORT" (plain HTTP, no auth). */
    registry: string;
    /** A local base image to build FROM, e.g. "fireworker-test/debian:bookworm". */
    baseImage: string;
    /** A local Python base image (pip first on PATH), e.g. "fireworker-test/python:3.11-bookworm". */
    pythonImage: string;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TEST_ENV_SCRIPT = path.join(REPO_ROOT, "scripts", "test-env");
const PROVISION =
    'run scripts/test-env (as root on Debian: it starts what is missing), then eval "$(scripts/test-env env)"';

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

/** The environment, or why there is none (one clause, for the pending line). */
type Found = TestEnv | { missing: string };

async function findTestEnv(): Promise<Found> {
    const complete = (env: NodeJS.ProcessEnv): TestEnv | null =>
        env.FW_TEST_REGISTRY && env.FW_TEST_BASE_IMAGE && env.FW_TEST_PYTHON_IMAGE
            ? {
                  env,
                  registry: env.FW_TEST_REGISTRY,
                  baseImage: env.FW_TEST_BASE_IMAGE,
                  pythonImage: env.FW_TEST_PYTHON_IMAGE,
              }
            : null;
    const version = await run("docker", ["--version"], process.env, 20_000);
    if (version.code === 127) {
        return { missing: "Docker is not installed (no docker command): https://docs.docker.com/engine/install/" };
    }

    // 1. Set by the caller (CI: eval "$(scripts/test-env env)").
    const given = complete({ ...process.env });
    if (given) {
        return (await engineAnswers(given.env))
            ? given
            : { missing: `the Docker engine at ${given.env.DOCKER_HOST ?? "the default socket"} does not answer` };
    }

    // 2. An environment provisioned before: its state directory has the export lines. Tests never
    //    provision; the env file is read first because it needs no lock and starts nothing.
    const envFile = path.join(STATE_DIR, "env");
    if (!existsSync(envFile)) {
        return (await engineAnswers(process.env))
            ? {
                  missing: `Docker answers, but the test environment (registry, base images) is not provisioned: ${PROVISION}`,
              }
            : { missing: `no Docker engine answers and the test environment is not provisioned: ${PROVISION}` };
    }
    const fromFile = complete({ ...process.env, ...parseExports(readFileSync(envFile, "utf8")) });
    if (fromFile && (await engineAnswers(fromFile.env))) {
        return fromFile;
    }

    // 3. Stale state: `scripts/test-env env` brings the provisioned environment back (bounded).
    const r = await run(TEST_ENV_SCRIPT, ["env"], { ...process.env }, 120_000);
    if (r.code !== 0) {
        const why =
            r.code === -1 ? "timed out after 120s" : `exit ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}`;
        return { missing: `the test environment in ${STATE_DIR} is stale and scripts/test-env env failed (${why})` };
    }
    const fromScript = complete({ ...process.env, ...parseExports(r.stdout) });
    return fromScript && (await engineAnswers(fromScript.env))
        ? fromScript
        : { missing: `scripts/test-env env gave no Docker engine that answers: ${PROVISION}` };
}

let cached: Promise<Found> | undefined;

/**
 * The test environment, or null when there is none (no engine answers, or none is provisioned).
 * Uses DOCKER_HOST / FW_TEST_REGISTRY / FW_TEST_*_IMAGE from process.env when set; else, only
 * when scripts/test-env provisioned an environment before, its export lines (the state's env file,
 * or `scripts/test-env env` when that file's engine does not answer). Looked up once per process.
 */
export async function getTestEnv(): Promise<TestEnv | null> {
    cached ??= findTestEnv();
    const found = await cached;
    return "missing" in found ? null : found;
}

/** Why there is no test environment, or undefined when there is one. */
export async function testEnvMissing(): Promise<string | undefined> {
    cached ??= findTestEnv();
    const found = await cached;
    return "missing" in found ? found.missing : undefined;
}

/**
 * For a `before` hook (or a test): resolves to the test environment; without one, fails with one line
 * when FW_REQUIRE_TOOLS=1, else prints one loud line (once per run) and makes the suite pending.
 */
export async function requireDockerOrSkip(ctx: Mocha.Context): Promise<TestEnv> {
    if (ctx.timeout() !== 0 && ctx.timeout() < 300_000) {
        ctx.timeout(300_000); // `scripts/test-env env` may restart a stopped engine
    }
    const found = await getTestEnv();
    if (found) {
        return found;
    }
    const why = (await testEnvMissing()) ?? "no test environment";
    if (toolsRequired()) {
        throw new Error(`no Docker test environment (${REQUIRE_TOOLS}=1 requires it): ${why}`);
    }
    announceOnce(
        "docker",
        `PENDING: the integration and end-to-end tests are pending: ${why}. ${REQUIRE_TOOLS}=1 makes this an error.`,
    );
    ctx.skip();
}
