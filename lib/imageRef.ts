/** Parsing and checking Docker image references (`[host[:port]/]path[:tag][@sha256:digest]`). Pure. */
import { DIGEST } from "./patterns";

export interface ImageRef {
    /** Everything before the tag and digest, e.g. `us-docker.pkg.dev/p/r/runtime` or `python`. */
    repository: string;
    tag?: string;
    digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.indexOf(":", lastSlash + 1);
    if (colon >= 0) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    return { repository: rest, tag, digest };
}

/**
 * The distribution reference grammar (docker/distribution `reference`): an optional registry
 * host (a domain, `localhost` or an address, with a port), path components of lowercase letters
 * and digits joined by `.`, `_`, `__` or dashes, an optional tag, an optional digest.
 */
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
/** The longest repository name registries take. */
const NAME_MAX = 255;

/** Why `ref` is not a reference by the distribution grammar, or undefined when it is one. */
export function referenceProblem(ref: string): string | undefined {
    const parsed = parseImageRef(ref);
    if (
        !NAME.test(parsed.repository) ||
        parsed.repository.length > NAME_MAX ||
        (parsed.tag !== undefined && parsed.tag !== "" && !TAG.test(parsed.tag))
    ) {
        return "is not an image reference; use e.g. python:3.11-slim-bookworm";
    }
    return undefined;
}

/** Why a base image reference is unacceptable, or undefined when it is fine. */
export function baseImageProblem(ref: string): string | undefined {
    const parsed = parseImageRef(ref);
    const grammar = referenceProblem(ref);
    if (grammar) {
        return grammar;
    }
    if (isAlpine(ref)) {
        return "is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm";
    }
    if (parsed.digest !== undefined) {
        return DIGEST.test(parsed.digest) ? undefined : "has a malformed digest; expected @sha256: and 64 hex digits";
    }
    if (parsed.tag === undefined || parsed.tag === "") {
        return "has no tag, so Docker pulls whatever is tagged latest today; pin a tag such as python:3.11-slim-bookworm or a digest";
    }
    if (parsed.tag === "latest") {
        return "uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm or a digest";
    }
    return undefined;
}

export function isAlpine(ref: string): boolean {
    const { repository, tag } = parseImageRef(ref);
    const name = repository.split("/").pop() ?? "";
    return /alpine/i.test(name) || /alpine/i.test(tag ?? "");
}

export function isDigest(value: string): boolean {
    return DIGEST.test(value);
}
