/**
 * An error in the user's input: its message is one line naming the setting, the bad value
 * and what is allowed. Callers print the message alone, never a stack trace.
 */
export class SettingsError extends Error {
    /** Every problem found, one line each (the message is these joined). */
    readonly lines: string[];

    constructor(lines: string | string[]) {
        const all = Array.isArray(lines) ? lines : [lines];
        super(all.join("\n"));
        this.name = "SettingsError";
        this.lines = all;
    }
}

/** How a secret shows wherever a value would: in plans, diffs and error lines. */
export const MASK = "[secret]";

/** JSON text of a value as it appears in an error line (`undefined` shows as "unset"). */
export function show(value: unknown): string {
    if (value === undefined) {
        return "unset";
    }
    let text: string | undefined;
    try {
        text = JSON.stringify(value);
    } catch {
        text = undefined; // a BigInt, or a cycle
    }
    text ??= String(value); // a function or a symbol
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
