/**
 * Canonical forms, so equal values always give equal bytes (hashes, plans, diffs): sorted-key
 * JSON and ordinal string order (never locale order). Pure.
 */

/** Ordinal order of two strings (UTF-16 code units, as `<` compares), for `sort`: the same on every machine and locale. */
export function compareOrdinal(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted-key JSON text of a value. */
export function canonicalJson(value: unknown): string {
    return JSON.stringify(sortKeys(value));
}

/** A deep copy of a value with every object's keys sorted. */
export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(sortKeys);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value as object)
                .sort()
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}
