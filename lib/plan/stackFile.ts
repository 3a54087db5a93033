/**
 * Stack files: which file a stack name or path means, and Pulumi's flat config map read from it
 * (as the engine would pass it to the program). Secrets are never read, only marked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const PROJECT = "fireworker-images";
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** A stack name (`team`) or a path to `Pulumi.<stack>.yaml`, to the stack name and its file. */
export function resolveStackFile(arg: string, cwd = process.cwd()): { stack: string; file: string } {
    const asPath = path.resolve(cwd, arg);
    const file =
        arg.endsWith(".yaml") || arg.endsWith(".yml")
            ? asPath
            : path.join(PROJECT_ROOT, "stacks", `Pulumi.${arg}.yaml`);
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    if (!m) {
        throw new PlanInputError(`plan: ${JSON.stringify(arg)} is not a stack name nor a Pulumi.<stack>.yaml file`);
    }
    if (!fs.existsSync(file)) {
        throw new PlanInputError(
            `plan: no stack file for ${JSON.stringify(arg)} (looked for ${path.relative(cwd, file) || file})`,
        );
    }
    return { stack: m[1], file };
}

export class PlanInputError extends Error {}

/** Pulumi's flat config map (`ns:key` to string; objects as JSON) from a stack file. */
export function stackConfig(file: string): Record<string, string> {
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        if (v !== null && typeof v === "object" && "secure" in (v as object)) {
            out[key] = "[secret]";
        } else {
            out[key] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return out;
}
