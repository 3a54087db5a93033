/**
 * A settings problem as one line: `<full key>: <value> <what is wrong and what is allowed>`,
 * from a zod issue, with the closest valid key suggested for an unknown one. Pure.
 */
import { closest } from "fastest-levenshtein";
import { z } from "zod";
import { show } from "../errors";
import { hasControlCharacter } from "../patterns";
import { type makeSchema, NAMESPACE, unwrap } from "./schema";

type Issue = z.core.$ZodIssue;

/** The line of one zod issue (an unknown key gives one line per key, joined by newlines). */
export function issueLine(issue: Issue, input: Record<string, unknown>, schema: ReturnType<typeof makeSchema>): string {
    const pathParts = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)));
    if (issue.code === "unrecognized_keys") {
        const keys = issue.keys;
        const parent = issue.path as (string | number)[];
        const allowed = allowedKeysAt(schema, parent);
        return keys.map((k) => unknownKeyLine([...pathParts, k], valueAt(input, [...parent, k]), allowed)).join("\n");
    }
    const key = `${NAMESPACE}:${joinPath(pathParts)}`;
    const value = valueAt(input, issue.path as (string | number)[]);
    return `${key}: ${show(value)} ${describe(issue)}`;
}

function describe(issue: Issue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.message.startsWith("Invalid") ? `must be of type ${issue.expected}` : issue.message;
        case "too_big":
            return issue.message.startsWith("Too big") ? `is too large; at most ${issue.maximum}` : issue.message;
        case "too_small":
            return issue.message.startsWith("Too small") ? `is too small; at least ${issue.minimum}` : issue.message;
        default:
            return issue.message;
    }
}

/** `<key>: <value> is not a known setting; did you mean <closest>? known: ...`. */
export function unknownKeyLine(pathParts: string[], value: unknown, allowed: string[]): string {
    const last = pathParts[pathParts.length - 1];
    const prefix = pathParts.slice(0, -1);
    const guess = allowed.length > 0 ? closest(last, allowed) : undefined;
    const where = prefix.length > 0 ? ` under ${NAMESPACE}:${joinPath(prefix)}` : "";
    const hint = guess ? `did you mean ${NAMESPACE}:${joinPath([...prefix, guess])}? ` : "";
    return `${NAMESPACE}:${joinPath(pathParts)}: ${show(value)} is not a known setting; ${hint}known${where}: ${allowed.join(", ")}`;
}

/** `runtime.aptPackages[0]` from its parts; a key that is not a name is quoted: `labels["a b"]`. */
export function joinPath(parts: string[]): string {
    return parts
        .map((p, i) => {
            if (p.startsWith("[")) return p;
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) return `[${JSON.stringify(p)}]`;
            return i === 0 ? p : `.${p}`;
        })
        .join("");
}

/** The value at a path in the raw input (undefined when absent). */
export function valueAt(root: unknown, p: (string | number)[]): unknown {
    let cur: unknown = root;
    for (const k of p) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string | number, unknown>)[k];
    }
    return cur;
}

/** The keys an object in the schema accepts at `p`, for "did you mean" hints. */
function allowedKeysAt(schema: z.ZodType, p: (string | number)[]): string[] {
    let cur: z.ZodType | undefined = schema;
    for (const k of [...p, undefined]) {
        cur = unwrap(cur);
        if (k === undefined) {
            break;
        }
        if (cur instanceof z.ZodObject) {
            cur = (cur.shape as Record<string, z.ZodType>)[String(k)];
        } else if (cur instanceof z.ZodArray) {
            cur = cur.element as z.ZodType;
        } else {
            return [];
        }
    }
    return cur instanceof z.ZodObject ? Object.keys(cur.shape) : [];
}

/** Every setting is one line of text, and no value is huge or deeply nested. */
export const RAW_LIMITS = { text: 4096, items: 1000, keys: 200, depth: 8 } as const;

/**
 * Values no setting can have, found before the schema reads them: control characters (a
 * newline would add a line to a rendered Dockerfile), texts, lists and maps past the limits,
 * nesting past the limit. Each is one line naming the key.
 */
export function rawValueProblems(
    input: Record<string, unknown>,
    display: Record<string, unknown> = input,
): { path: (string | number)[]; line: string }[] {
    const out: { path: (string | number)[]; line: string }[] = [];
    const at = (p: (string | number)[]) =>
        `${NAMESPACE}:${joinPath(p.map((k) => (typeof k === "number" ? `[${k}]` : k)))}`;
    const walk = (value: unknown, p: (string | number)[]): void => {
        if (p.length > RAW_LIMITS.depth) {
            out.push({ path: p, line: `${at(p)}: nests deeper than ${RAW_LIMITS.depth} levels; no setting does` });
            return;
        }
        if (typeof value === "string") {
            if (hasControlCharacter(value)) {
                out.push({
                    path: p,
                    line: `${at(p)}: ${show(valueAt(display, p))} contains a control character (a newline, tab or NUL); settings are single lines of text`,
                });
            } else if (value.length > RAW_LIMITS.text) {
                out.push({ path: p, line: `${at(p)}: is ${value.length} characters long; at most ${RAW_LIMITS.text}` });
            }
        } else if (Array.isArray(value)) {
            if (value.length > RAW_LIMITS.items) {
                out.push({ path: p, line: `${at(p)}: has ${value.length} items; at most ${RAW_LIMITS.items}` });
                return;
            }
            value.forEach((v, i) => {
                walk(v, [...p, i]);
            });
        } else if (value !== null && typeof value === "object") {
            const keys = Object.keys(value);
            if (keys.length > RAW_LIMITS.keys) {
                out.push({ path: p, line: `${at(p)}: has ${keys.length} keys; at most ${RAW_LIMITS.keys}` });
                return;
            }
            for (const k of keys) {
                if (hasControlCharacter(k) || k.length > 256) {
                    out.push({
                        path: [...p, k],
                        line: `${at(p)}: has a key ${show(k)} that is not a single short line`,
                    });
                } else {
                    walk((value as Record<string, unknown>)[k], [...p, k]);
                }
            }
        }
    };
    for (const [k, v] of Object.entries(input)) walk(v, [k]);
    return out;
}
