/**
 * The real gcloud as a checker: each command line goes through it with an empty CLOUDSDK_CONFIG.
 * A valid one fails only with "You do not currently have an active account selected"; an
 * unknown flag, a bad value or an unknown Cloud Build config field fails first, with gcloud's
 * own message. Many command lines go through one Python process (test/support/gcloudBatch.py),
 * which loads the SDK once: a check then costs a few tens of milliseconds instead of most of a
 * second.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** What the real gcloud says about a valid command line when no account is set up. */
export const NO_ACCOUNT = "You do not currently have an active account selected";

/** One thing to check: a command line, or a Cloud Build config (checked as `builds submit --config`). */
export interface GcloudItem {
    /** Where it comes from, e.g. `team: runBuild`, `README.md`. */
    origin: string;
    argv: string[];
    /** A rendered Cloud Build config (checked as `builds submit --config`), or a command line. */
    kind?: "config" | "command";
    /** Where gcloud runs (a document's commands read the files its heredocs write). */
    cwd?: string;
}

export interface GcloudVerdict extends GcloudItem {
    ok: boolean;
    /** gcloud's first ERROR line (or the reason it could not run). */
    message: string;
}

/** The real gcloud: its path and version, or undefined when it is not installed. */
export function realGcloud(): { path: string; version: string } | undefined {
    const which = spawnSync("sh", ["-c", "command -v gcloud"], { encoding: "utf8" });
    const p = which.stdout.trim();
    if (which.status !== 0 || !p) return undefined;
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "fw-gcloud-"));
    const v = spawnSync(p, ["version"], { encoding: "utf8", env: { ...process.env, CLOUDSDK_CONFIG: config } });
    fs.rmSync(config, { recursive: true, force: true });
    const m = /^Google Cloud SDK (\S+)/m.exec(v.stdout);
    return v.status === 0 && m ? { path: p, version: m[1] } : undefined;
}

/** The environment gcloud runs in: an empty configuration of its own, no prompts, no metadata server. */
function gcloudEnv(config: string): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH ?? "",
        // a Python chosen for gcloud holds for every check
        ...(process.env.CLOUDSDK_PYTHON ? { CLOUDSDK_PYTHON: process.env.CLOUDSDK_PYTHON } : {}),
        HOME: config,
        CLOUDSDK_CONFIG: config,
        CLOUDSDK_CORE_DISABLE_PROMPTS: "1",
        // no metadata server probe: this machine is no GCE VM
        GCE_METADATA_HOST: "127.0.0.1:9",
        CLOUDSDK_CORE_CHECK_GCE_METADATA: "false",
    };
}

function verdictOf(item: GcloudItem, code: number | null, stderr: string): GcloudVerdict {
    const first = stderr.split("\n").find((l) => l.startsWith("ERROR:")) ?? stderr.trim().split("\n")[0] ?? "";
    const ok = code !== 0 && stderr.includes(NO_ACCOUNT);
    return { ...item, ok, message: ok ? "" : first || `exit ${code} without an error` };
}

/** Runs one argv through the real gcloud, a process of its own, with an empty configuration. */
export function checkOne(gcloud: string, item: GcloudItem): Promise<GcloudVerdict> {
    return new Promise((resolve) => {
        const config = fs.mkdtempSync(path.join(os.tmpdir(), "fw-gcloud-config-"));
        const child = spawn(gcloud, item.argv, {
            cwd: item.cwd,
            env: gcloudEnv(config),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d));
        child.stdout.resume();
        const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("close", (code) => {
            clearTimeout(timer);
            fs.rmSync(config, { recursive: true, force: true });
            resolve(verdictOf(item, code, err));
        });
    });
}

/** A Cloud SDK install: its folder (which holds lib/googlecloudsdk) and the Python its launcher picks. */
export interface CloudSdk {
    root: string;
    python: string;
    /** The arguments and environment the launcher (bin/gcloud) gives that Python. */
    pythonArgs: string[];
    pythonEnv: Record<string, string>;
}

/**
 * The Cloud SDK that `gcloud` (a path) belongs to; undefined when it is no SDK install (a wrapper
 * of some other kind). The Python is bin/gcloud's choice: CLOUDSDK_PYTHON, else the bundled one
 * on x86_64 (with site-packages: its grpc and cryptography live there), else python3 with -S.
 */
export function cloudSdk(gcloud: string): CloudSdk | undefined {
    const root = path.dirname(path.dirname(fs.realpathSync(gcloud)));
    if (
        !fs.existsSync(path.join(root, "lib", "gcloud.py")) ||
        !fs.existsSync(path.join(root, "lib", "googlecloudsdk"))
    ) {
        return undefined;
    }
    const bundled = path.join(root, "platform", "bundledpythonunix", "bin", "python3");
    const useBundled = !process.env.CLOUDSDK_PYTHON && process.arch === "x64" && fs.existsSync(bundled);
    const sitePackages = useBundled || Boolean(process.env.CLOUDSDK_PYTHON_SITEPACKAGES);
    return {
        root,
        python: useBundled ? bundled : process.env.CLOUDSDK_PYTHON || "python3",
        pythonArgs: sitePackages ? [] : ["-S"],
        pythonEnv: {
            CLOUDSDK_ROOT_DIR: root,
            CLOUDSDK_ENCODING: "UTF-8",
            PYTHONIOENCODING: "UTF-8",
            ...(sitePackages ? { CLOUDSDK_PYTHON_SITEPACKAGES: "1" } : {}),
        },
    };
}

/** Command groups that change gcloud's configuration: each runs in a process (and configuration) of its own. */
const STATEFUL = new Set(["config", "auth", "init", "components"]);

/**
 * Whether a command may change gcloud's configuration: any word of it that is no flag (a flag's
 * value, a release track, a group) names such a group. A false alarm only costs a process.
 */
export function changesConfig(argv: string[]): boolean {
    return argv.some((w) => !w.startsWith("-") && STATEFUL.has(w));
}

/** Runs argvs through the real gcloud in one Python process (test/support/gcloudBatch.py), in order. */
export function checkBatch(sdk: CloudSdk, items: GcloudItem[]): Promise<GcloudVerdict[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
        const config = fs.mkdtempSync(path.join(os.tmpdir(), "fw-gcloud-config-"));
        const child = spawn(sdk.python, [...sdk.pythonArgs, path.join(__dirname, "gcloudBatch.py"), sdk.root], {
            env: { ...gcloudEnv(config), ...sdk.pythonEnv },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d));
        child.stderr.on("data", (d: Buffer) => (err += d));
        child.stdin.on("error", () => undefined); // a batch that dies early says so on close
        // a command without a folder of its own runs where checkOne runs it: here
        child.stdin.end(
            items.map((i) => `${JSON.stringify({ argv: i.argv, cwd: i.cwd ?? process.cwd() })}\n`).join(""),
        );
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000 + 5_000 * items.length);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            fs.rmSync(config, { recursive: true, force: true });
            const lines = out.split("\n").filter((l) => l !== "");
            if (lines.length !== items.length) {
                const why = err.trim().split("\n").slice(-3).join(" | ");
                reject(
                    new Error(`the gcloud batch ended after ${lines.length} of ${items.length} (exit ${code}): ${why}`),
                );
                return;
            }
            resolve(
                lines.map((l, i) => {
                    const r = JSON.parse(l) as { code: number; stderr: string };
                    return verdictOf(items[i], r.code, r.stderr);
                }),
            );
        });
    });
}

/**
 * Checks every distinct argv: in one batch when gcloud is a Cloud SDK install, except commands
 * that change gcloud's configuration, which (like everything, without the SDK's lib/) run one
 * process each, `parallel` at a time.
 */
export async function checkAll(gcloud: string, items: GcloudItem[], parallel = 3): Promise<GcloudVerdict[]> {
    const distinct = new Map<string, GcloudItem>();
    for (const i of items) {
        const key = JSON.stringify(i.argv);
        if (!distinct.has(key)) distinct.set(key, i);
    }
    const sdk = cloudSdk(gcloud);
    const batched = sdk ? [...distinct.values()].filter((i) => !changesConfig(i.argv)) : [];
    const queue = [...distinct.values()].filter((i) => !batched.includes(i));
    const verdicts: GcloudVerdict[] = [];
    await Promise.all([
        sdk ? checkBatch(sdk, batched).then((v) => verdicts.push(...v)) : undefined,
        ...Array.from({ length: parallel }, async () => {
            for (let next = queue.shift(); next; next = queue.shift()) {
                verdicts.push(await checkOne(gcloud, next));
            }
        }),
    ]);
    return verdicts;
}

/** The line of one verdict: the command and, when it failed, gcloud's message. */
export function verdictLine(v: GcloudVerdict): string {
    return `${v.ok ? "ok  " : "FAIL"} gcloud ${v.argv.join(" ").slice(0, 160)}  [${v.origin}]${v.ok ? "" : `\n     ${v.message}`}`;
}
