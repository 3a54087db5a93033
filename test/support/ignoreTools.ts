/**
 * The real tools as oracles for the ignore files: gcloud's own Python code (in one process, or
 * the `gcloud meta list-files-for-upload` command) and real Docker builds, whose context is read
 * back from the image they make.
 *
 *     const g = await requireGcloudOrSkip(this);   // pending (or fails with FW_REQUIRE_TOOLS=1)
 *     const answers = await gcloudSelection(g, dirs, "snapshot");
 *     const listed = await dockerSelection(t, dir);   // t from requireDockerOrSkip
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { layerIds, scanLayers } from "./docker";
import type { Selection } from "./ignoreCases";
import { cloudSdk } from "./realGcloud";
import type { TestEnv } from "./testEnv";
import { requireTool } from "./tools";

export type { Selection };

export interface Gcloud {
    /** The SDK's folder (holds lib/googlecloudsdk). */
    sdkRoot: string;
    /** The Python gcloud runs with (the SDK's bundled one when it has it). */
    python: string;
    /** process.env with an empty CLOUDSDK_CONFIG: gcloud works offline and touches no user config. */
    env: NodeJS.ProcessEnv;
    version: string;
}

const ORACLE = path.join(__dirname, "gcloudIgnoreOracle.py");

function findGcloud(): Gcloud | null {
    const which = spawnSync("sh", ["-c", "command -v gcloud"], { encoding: "utf8" });
    const bin = which.stdout.trim();
    if (which.status !== 0 || bin === "") {
        return null;
    }
    const sdk = cloudSdk(bin);
    if (
        !sdk ||
        !fs.existsSync(path.join(sdk.root, "lib", "googlecloudsdk", "command_lib", "util", "gcloudignore.py"))
    ) {
        return null;
    }
    const { root: sdkRoot, python } = sdk;
    const env = { ...process.env, CLOUDSDK_CONFIG: fs.mkdtempSync(path.join(os.tmpdir(), "fw-gcloud-config-")) };
    const v = spawnSync("gcloud", ["version", '--format=value("Google Cloud SDK")'], { env, encoding: "utf8" });
    return { sdkRoot, python, env, version: v.stdout.trim() || "unknown" };
}

let cached: Gcloud | null | undefined;

/**
 * For a `before` hook: gcloud, or (through `requireTool`) one loud line and a pending suite;
 * a failure when FW_REQUIRE_TOOLS=1 (CI).
 */
export function requireGcloudOrSkip(ctx: Mocha.Context): Gcloud {
    requireTool(ctx, "gcloud");
    if (cached === undefined) {
        cached = findGcloud();
    }
    if (!cached) {
        throw new Error("gcloud answers, but its SDK's lib/googlecloudsdk was not found beside it");
    }
    return cached;
}

/** gcloud's selection of each directory, from its own code in one process (thousands a second). */
export function gcloudSelection(g: Gcloud, dirs: string[], mode: "snapshot" | "meta"): Promise<Map<string, Selection>> {
    return new Promise((resolve, reject) => {
        const child = spawn(g.python, [ORACLE, g.sdkRoot, mode], { env: g.env, stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code !== 0) {
                reject(new Error(`gcloud oracle exited ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
                return;
            }
            const answers = new Map<string, Selection>();
            for (const line of out.split("\n").filter(Boolean)) {
                const j = JSON.parse(line) as { dir: string; files?: string[]; error?: string };
                answers.set(
                    j.dir,
                    j.files ? { files: j.files } : { error: (j.error ?? "?").split(j.dir).join("<dir>") },
                );
            }
            resolve(answers);
        });
        child.stdin.on("error", () => undefined); // its failure shows in its exit status
        child.stdin.end(`${dirs.join("\n")}\n`);
    });
}

/** `gcloud meta list-files-for-upload DIR`, the command itself. */
export function gcloudCommand(g: Gcloud, dir: string): Selection {
    const r = spawnSync("gcloud", ["meta", "list-files-for-upload", dir], { env: g.env, encoding: "utf8", cwd: "/" });
    if (r.status !== 0) {
        return { error: (r.stderr.split("\n").find((l) => l.startsWith("ERROR")) ?? r.stderr).trim() };
    }
    return { files: r.stdout.split("\n").filter(Boolean).sort() };
}

/**
 * What a real `docker build DIR` (classic builder, the Dockerfile outside DIR) puts in its
 * context: a build FROM scratch that copies the context, whose one layer `docker save` then
 * lists. Files, hard links and symlinks (not folders). No container runs: a `RUN` that lists
 * /ctx cost twice the engine's time per build for the same answer.
 */
export async function dockerSelection(t: TestEnv, dir: string): Promise<Selection> {
    const dockerfile = "FROM scratch\nCOPY . /ctx\n";
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
        const child = spawn(
            "docker",
            ["build", "--no-cache", "--rm", "--force-rm", "--network", "none", "-f", "-", dir],
            {
                env: t.env,
                stdio: ["pipe", "pipe", "pipe"],
            },
        );
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (text += d.toString("utf8")));
        child.on("close", (code) => resolve({ code, text }));
        child.stdin.on("error", () => undefined); // docker may stop before it reads the Dockerfile
        child.stdin.end(dockerfile);
    });
    const id = /^Successfully built ([0-9a-f]+)$/m.exec(out.text)?.[1];
    if (out.code !== 0 || !id) {
        if (id) spawnSync("docker", ["rmi", "-f", id], { env: t.env, stdio: "ignore" });
        const lines = out.text
            .split("\n")
            .filter((l) => l.trim() !== "" && !/DEPRECATED|BuildKit|environment-variable/.test(l));
        return { error: lines.slice(-2).join(" ").trim().split(dir).join("<dir>") };
    }
    const files: string[] = [];
    try {
        const scanned = await scanLayers(t, id, layerIds(t, id), (e) => {
            const rel = e.path.replace(/\/$/, "");
            if (rel.startsWith("ctx/") && ["file", "link", "symlink"].includes(e.type)) {
                files.push(rel.slice("ctx/".length));
            }
        });
        if (scanned !== 1) throw new Error(`docker save ${id}: read ${scanned} layers of the one the build made`);
    } finally {
        spawnSync("docker", ["rmi", "-f", id], { env: t.env, stdio: "ignore" });
    }
    return {
        files: files
            // the CLI sends a Dockerfile from outside the context as .dockerfile.<random>
            .filter((p) => !/^\.dockerfile\.[0-9a-f]{20}$/.test(p))
            .sort(),
    };
}

/** Runs `fn` over `items`, `width` at a time, keeping the order of the results. */
export async function pooled<T, R>(
    items: T[],
    width: number,
    fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i], i);
        }
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
    return out;
}
