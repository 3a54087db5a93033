/**
 * The one hand-off pattern of the commands `pulumi up` runs (image builds, bakes): the component
 * writes a typed spec into the command's environment, one readable key each (what the plan
 * shows); the script reads it back validated; the script prints its result as one JSON line on
 * stdout, which the component reads back validated. A bad value is one line naming the key.
 */
import type { z } from "zod";

/** A hand-off that does not hold: a missing or malformed key, or a malformed result line. */
export class HandoffError extends Error {}

/** The value of `key` in a command's environment. */
export function need(env: NodeJS.ProcessEnv, key: string, who: string): string {
    const v = env[key];
    if (v === undefined) {
        throw new HandoffError(`${who}: ${key} is not set (this script runs from the program's commands)`);
    }
    return v;
}

/** The JSON held by `key` in a command's environment. */
export function needJson(env: NodeJS.ProcessEnv, key: string, who: string): unknown {
    const text = need(env, key, who);
    try {
        return JSON.parse(text);
    } catch {
        throw new HandoffError(`${who}: ${key} is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
}

/** `value` checked against `schema`; the first problem becomes one line naming its path. */
export function validated<S extends z.ZodType>(schema: S, value: unknown, who: string, what: string): z.output<S> {
    const r = schema.safeParse(value);
    if (r.success) {
        return r.data;
    }
    const issue = r.error.issues[0];
    const where = issue.path.length > 0 ? ` ${issue.path.join(".")}` : "";
    throw new HandoffError(`${who}: ${what}${where}: ${issue.message}`);
}

/** The one JSON line a command prints as its result. */
export function resultLine(result: unknown): string {
    return `${JSON.stringify(result)}\n`;
}

/** A command's result: the last line of its stdout, parsed and checked against `schema`. */
export function parseResultLine<S extends z.ZodType>(schema: S, stdout: string, who: string): z.output<S> {
    const last = stdout.trim().split("\n").pop() ?? "";
    let value: unknown;
    try {
        value = JSON.parse(last);
    } catch {
        throw new HandoffError(`${who}: the result line is not JSON: ${JSON.stringify(last.slice(0, 200))}`);
    }
    return validated(schema, value, who, "result");
}
