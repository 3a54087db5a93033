/**
 * Masking of secrets in plans and plan diffs (the pull-request summary is readable by anyone
 * who can read the repository, and by everyone for a public one). Pure.
 *
 * A value becomes "[secret]" when
 * - it is a Pulumi secret as it appears in serialized inputs (an object whose signature key is
 *   SECRET_SIG_KEY with the value SECRET_SIG, the secret itself under `value`), or
 * - it sits under a key whose name looks like a token, password, secret, key file or credential
 *   (whatever its type; only null and undefined stay as they are, to show a value is unset).
 * A string holding a JSON object (e.g. `FW_BUILD_ARGS`) is masked inside; it keeps its exact
 * bytes when nothing in it needs masking.
 */

import { MASK } from "../errors";

export { MASK };

/** Pulumi's special signature key and the signature of a secret value. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Key names whose values are secret: token, password/passwd, secret, credential(s), private key, API key, key file. */
export const SECRET_KEY_PATTERN = /token|passw(?:or)?d|secret|credential|private[_-]?key|api[_-]?key|key[_-]?file/i;

export function isSecretKey(key: string): boolean {
    return SECRET_KEY_PATTERN.test(key);
}

export function isPulumiSecret(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
    );
}

/** A deep copy of `value` with every secret replaced by "[secret]". */
export function maskSecrets<T>(value: T): T {
    return mask(value) as T;
}

function mask(value: unknown): unknown {
    if (isPulumiSecret(value)) {
        return MASK;
    }
    if (Array.isArray(value)) {
        return value.map(mask);
    }
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            out[k] = isSecretKey(k) && v !== undefined && v !== null ? MASK : mask(v);
        }
        return out;
    }
    if (typeof value === "string") {
        return maskJsonString(value);
    }
    return value;
}

/** Masks inside a string that holds a JSON object or array; the same string when nothing changes. */
function maskJsonString(s: string): string {
    const t = s.trimStart();
    if (!(t.startsWith("{") || t.startsWith("["))) {
        return s;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(s);
    } catch {
        return s;
    }
    const masked = mask(parsed);
    return JSON.stringify(masked) === JSON.stringify(parsed) ? s : JSON.stringify(masked);
}
