/**
 * Stack files: which file a stack name or path means, and Pulumi's flat config map read from it
 * (as the engine would pass it to the program). Secrets are never read, only marked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { InputProblem, readTextFile } from "../repository";

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

/** What the offline plan puts where the stack file holds an encrypted (`secure:`) value. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface StackFileConfig {
    /** Pulumi's flat config map: `ns:key` to a string (objects and lists as JSON). */
    config: Record<string, string>;
    /** Keys holding a secret anywhere in their value, as Pulumi marks them. */
    secretKeys: string[];
}

/**
 * The config of a stack file as the engine passes it to the program, without decrypting
 * anything: each `secure:` value, at any depth, becomes SECRET_PLACEHOLDER and its key is
 * listed as secret. A file that is not a YAML mapping is one line with its line number.
 */
export function readStackFile(file: string): StackFileConfig {
    const name = path.basename(file);
    let doc: unknown;
    try {
        const text = readTextFile(file);
        // unique keys, a bounded alias count, errors with a line number: yaml's defaults, spelled out
        doc = parse(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true }) ?? {};
    } catch (err) {
        const e = err as { linePos?: { line: number }[]; message?: string };
        const where = e.linePos?.[0] ? `${name}:${e.linePos[0].line}` : name;
        const message = err instanceof InputProblem ? err.message : firstLine(e.message ?? String(err));
        throw new PlanInputError(`plan: ${where}: ${message}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new PlanInputError(`plan: ${name}: is not a YAML mapping with a config: section`);
    }
    const cfg = (doc as { config?: unknown }).config ?? {};
    if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg)) {
        throw new PlanInputError(`plan: ${name}: config is not a mapping`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(cfg as Record<string, unknown>)) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        let secret = false;
        const plain = withoutSecrets(v, () => {
            secret = true;
        });
        if (secret) secretKeys.push(key);
        config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
    }
    return { config, secretKeys: secretKeys.sort() };
}

/** Pulumi's flat config map (`ns:key` to string; objects as JSON) from a stack file. */
export function stackConfig(file: string): Record<string, string> {
    return readStackFile(file).config;
}

/** `value` with every `{secure: ...}` replaced by the placeholder; `found` is called for each. */
function withoutSecrets(value: unknown, found: () => void, depth = 0): unknown {
    if (depth > 64) {
        throw new PlanInputError("plan: a config value nests deeper than 64 levels");
    }
    if (Array.isArray(value)) {
        return value.map((v) => withoutSecrets(v, found, depth + 1));
    }
    if (value !== null && typeof value === "object") {
        if (Object.keys(value).length === 1 && "secure" in value) {
            found();
            return SECRET_PLACEHOLDER;
        }
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutSecrets(v, found, depth + 1)]),
        );
    }
    return value;
}

function firstLine(text: string): string {
    return text.split("\n")[0].trim();
}
