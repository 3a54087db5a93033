/**
 * Which previous image a Cloud Build runtime build reuses the layers of. The plan names
 * candidates, in order of preference (the developer's own previous runtime by its moving tag,
 * then the team's runtime by digest; the team's newest runtime for the team stack); the build
 * resolves them to one `repository@sha256:...` just before it submits, and passes it as the
 * config's `_CACHE_FROM` substitution. Which one it finds never changes the content tag.
 */

/** `repository` (its newest image), `repository:tag` or `repository@sha256:<64 hex>`. */
export const CACHE_CANDIDATE = /^[a-z0-9][a-z0-9._/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})?$/;

export type CandidateKind = "digest" | "tag" | "newest";

export function candidateKind(ref: string): CandidateKind {
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) {
        return "digest";
    }
    // a colon after the last slash is a tag (one before it is a registry port)
    return ref.lastIndexOf(":") > ref.lastIndexOf("/") ? "tag" : "newest";
}

/** Looks a candidate up in the registry: its `sha256:...` digest, or undefined when there is none. */
export type DigestLookup = (ref: string, kind: "tag" | "newest") => Promise<string | undefined>;

/**
 * The first candidate that exists, as `repository@sha256:...`: a digest reference as it is
 * (the pull tells whether it still exists), a tag or a repository through `lookup`.
 */
export async function resolveCacheFrom(candidates: string[], lookup: DigestLookup): Promise<string | undefined> {
    for (const ref of candidates) {
        const kind = candidateKind(ref);
        if (kind === "digest") {
            return ref;
        }
        const digest = await lookup(ref, kind).catch(() => undefined);
        if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) {
            return `${cacheRepository(ref, kind)}@${digest}`;
        }
    }
    return undefined;
}

/** The repository a tag or repository candidate names, to which its looked-up digest is appended. */
export function cacheRepository(ref: string, kind: "tag" | "newest"): string {
    return kind === "tag" ? ref.slice(0, ref.lastIndexOf(":")) : ref;
}

/** `gcloud` arguments that print the digest of a tag, or of a repository's newest image. */
export function gcloudLookupArgs(ref: string, kind: "tag" | "newest", project: string): string[] {
    return kind === "tag"
        ? [
              "artifacts",
              "docker",
              "images",
              "describe",
              ref,
              `--project=${project}`,
              "--format=value(image_summary.digest)",
          ]
        : [
              "artifacts",
              "docker",
              "images",
              "list",
              ref,
              `--project=${project}`,
              "--sort-by=~UPDATE_TIME",
              "--limit=1",
              "--format=value(version)",
          ];
}
