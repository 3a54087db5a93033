/**
 * Permission errors right after grants were made: IAM takes minutes to propagate (Google
 * documents up to 7), so a first `pulumi up` on a fresh project meets 403s that heal by
 * themselves. Builds and bakes retry them for a bounded time; any other error fails at once.
 */

/** Seconds a permission error is retried for. @default 420 (FW_IAM_SETTLE_SECONDS) */
export function iamSettleSeconds(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.FW_IAM_SETTLE_SECONDS?.trim();
    const v = Number(raw);
    return raw && Number.isFinite(v) && v >= 0 ? v : 420;
}

/** What gcloud, Cloud Build, Artifact Registry and Cloud Storage say when a grant is missing. */
const PERMISSION = [
    /PERMISSION_DENIED/,
    /\b403\b/,
    /[Pp]ermission ['"]?[\w.]+['"]? denied/,
    /does not have [\w.]*\s*(?:permission|access)/i,
    /caller does not have permission/i,
    /forbidden from accessing the bucket/i,
    /\bdenied: /,
    /not authorized to/i,
];

/** True when `text` (an error message or a build's log) says a permission is missing. */
export function isPermissionError(text: string): boolean {
    return PERMISSION.some((p) => p.test(text));
}

/** A deadline `seconds` from now, and whether it has passed. */
export function deadline(seconds: number, now: () => number = Date.now): { passed(): boolean; left(): number } {
    const end = now() + seconds * 1000;
    return { passed: () => now() >= end, left: () => Math.max(0, end - now()) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
