/**
 * Running the plan command on hostile input, in-process: a stack file and a payload tree made
 * inside the repository, planned as `npm run plan` plans them, with a canary environment
 * variable and a canary host file whose contents must never reach the output.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { type PlanOutcome, planCommand } from "../../lib/plan/planCommand";
import { ROOT } from "./plan";
import { repoTempDir } from "./tmp";

/** A canary every outcome is searched for: an environment value and a host file outside the repository. */
export const CANARY = {
    env: `env-canary-${randomBytes(6).toString("hex")}`,
    file: path.join(os.tmpdir(), `fw-canary-${randomBytes(6).toString("hex")}`),
    content: `host-canary-${randomBytes(6).toString("hex")}`,
};
process.env.FW_HOSTILE_CANARY = CANARY.env;
fs.writeFileSync(CANARY.file, `${CANARY.content}\n`);
process.on("exit", () => fs.rmSync(CANARY.file, { force: true }));

/** What a tree entry is: text, raw bytes, or a special file. */
export type Entry =
    | string
    | Buffer
    | { symlink: string }
    | { fifo: true }
    | { dir: true }
    | { device: true }
    | { socketLike: true };

/** Writes `tree` under `root`; names are relative, `\0`-free. */
export function writeTree(root: string, tree: Record<string, Entry>): void {
    for (const [name, entry] of Object.entries(tree)) {
        const p = path.join(root, name);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        if (typeof entry === "string" || Buffer.isBuffer(entry)) {
            fs.writeFileSync(p, entry);
        } else if ("symlink" in entry) {
            fs.symlinkSync(entry.symlink, p);
        } else if ("fifo" in entry) {
            execFileSync("mkfifo", [p]);
        } else if ("dir" in entry) {
            fs.mkdirSync(p, { recursive: true });
        } else if ("device" in entry) {
            execFileSync("mknod", [p, "c", "1", "3"]); // like /dev/null
        } else {
            execFileSync("python3", [
                "-c",
                `import socket;s=socket.socket(socket.AF_UNIX);s.bind(${JSON.stringify(p)})`,
            ]);
        }
    }
}

export interface Case {
    /** The class of hostile input, for the README's counts. */
    kind: string;
    what: string;
    /** The stack file's text; `{{dir}}` is the case's folder, relative to the project root. */
    stack: string;
    /** Files of the case's folder. */
    tree?: Record<string, Entry>;
    /** Refused (status 2) is the only acceptable answer; else a plan is fine when it is safe. */
    refused?: boolean;
    /** Runs in the case's folder once its tree is written (e.g. git commands). */
    setup?: (dir: string) => void;
}

export interface Result extends PlanOutcome {
    ms: number;
}

/** Plans a case; a throw (a stack trace) is left to the caller. Bounded in time. */
export async function runCase(c: Case, timeoutMs = 30_000): Promise<Result> {
    const dir = repoTempDir("hostile-");
    try {
        writeTree(dir, c.tree ?? {});
        c.setup?.(dir);
        const rel = path.relative(ROOT, dir).split(path.sep).join("/");
        const file = path.join(dir, "Pulumi.hostile.yaml");
        fs.writeFileSync(file, c.stack.split("{{dir}}").join(rel));
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`hang: no answer in ${timeoutMs} ms`)), timeoutMs);
        });
        try {
            const outcome = await Promise.race([planCommand(file), timeout]);
            return { ...outcome, ms: Date.now() - started };
        } finally {
            clearTimeout(timer);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Why an outcome breaks the rules every input must keep, or undefined. */
export function brokenRule(r: Result, refused: boolean): string | undefined {
    const out = r.stdout + r.stderr;
    if (out.includes(CANARY.env)) return "an environment variable's value reached the output";
    if (out.includes(CANARY.content)) return "a host file's content reached the output";
    if (r.status === 2) {
        const lines = r.stderr.trimEnd().split("\n");
        if (r.stdout !== "") return "refused, but something went to stdout";
        if (lines.some((l) => l.trim() === "" || /^\s+at /.test(l)))
            return "refused with a stack trace or an empty line";
        return undefined;
    }
    if (refused) return "planned what must be refused";
    return undefined;
}

/** The instructions of every Dockerfile a plan renders or brings, as keywords: an injection adds some. */
export function instructionShape(planJson: string): string[] {
    const plan = JSON.parse(planJson) as { resources: { inputs: { environment?: Record<string, string> } }[] };
    return plan.resources
        .map((r) => r.inputs.environment?.FW_DOCKERFILE)
        .filter((d): d is string => typeof d === "string")
        .map((d) =>
            DockerfileParser.parse(d)
                .getInstructions()
                .map((i) => i.getKeyword())
                .join(","),
        );
}
