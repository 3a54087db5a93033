/**
 * Resolves a base image reference to a digest against the local Docker engine, for the local
 * stack (scripts/resolve-base.ts, which the BaseImage component runs at every plan): the image the
 * engine holds under that reference, pulled first when it holds none; its repository digest when
 * it came from a registry, else its image id. A failure is Docker's answer, as one line.
 */
import { exec, SILENT } from "../commands/exec";
import { parseImageRef } from "../imageRef";
import { DIGEST } from "../patterns";
import { oneLine, type ResolvedBase } from "./baseReference";

/** A base that cannot be resolved: the message is Docker's answer. */
export class BaseProblem extends Error {}

export interface EngineOptions {
    /** Extra environment for docker (e.g. DOCKER_HOST). */
    env?: NodeJS.ProcessEnv;
    /** Where `docker pull` reports progress; default: nowhere. */
    log?: NodeJS.WritableStream;
}

/** Docker Hub's names as the engine records them: `python`, not `docker.io/library/python`. */
export function familiarRepository(repository: string): string {
    const name = repository.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "");
    return name.startsWith("library/") && name.split("/").length === 2 ? name.slice("library/".length) : name;
}

/**
 * The resolution from what `docker image inspect` reports: the repository digest recorded for the
 * reference's repository, else (an image built or imported here, never pulled) the image id.
 */
export function resolvedFromInspect(reference: string, id: string, repoDigests: readonly string[]): ResolvedBase {
    const repository = parseImageRef(reference).repository;
    const wanted = familiarRepository(repository);
    for (const entry of repoDigests) {
        const at = entry.lastIndexOf("@");
        const digest = entry.slice(at + 1);
        if (at > 0 && familiarRepository(entry.slice(0, at)) === wanted && DIGEST.test(digest)) {
            return { digest, reference: `${repository}@${digest}` };
        }
    }
    if (!DIGEST.test(id)) {
        throw new BaseProblem(`docker image inspect reported no image id for ${reference} (got ${JSON.stringify(id)})`);
    }
    return { digest: id, reference: id };
}

async function inspect(reference: string, opts: EngineOptions): Promise<{ id: string; repoDigests: string[] }> {
    const format = "{{.Id}}{{range .RepoDigests}} {{.}}{{end}}";
    const out = await exec("docker", ["image", "inspect", `--format=${format}`, reference], {
        env: opts.env,
        log: SILENT,
        who: "resolve-base",
    });
    const [id = "", ...repoDigests] = out.trim().split(/\s+/);
    return { id, repoDigests };
}

/** The answer of a failed docker command: its last line of error output, without our wrapping. */
function dockerAnswer(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return oneLine(message.replace(/^resolve-base: docker \S+ \S+ failed \([^)]*\): /, ""));
}

/**
 * Resolves `reference` on the local engine: inspected, or pulled when the engine does not hold it,
 * then inspected. A digest reference is returned as it is (never resolved again).
 */
export async function resolveWithEngine(reference: string, opts: EngineOptions = {}): Promise<ResolvedBase> {
    const pinned = parseImageRef(reference).digest;
    if (pinned !== undefined || DIGEST.test(reference)) {
        const digest = pinned ?? reference;
        return {
            digest,
            reference: pinned !== undefined ? `${parseImageRef(reference).repository}@${pinned}` : reference,
        };
    }
    let found = await inspect(reference, opts).catch(() => undefined);
    if (!found) {
        try {
            await exec("docker", ["pull", "--quiet", reference], {
                env: opts.env,
                log: opts.log ?? SILENT,
                who: "resolve-base",
            });
        } catch (err) {
            throw new BaseProblem(`docker pull: ${dockerAnswer(err)}`);
        }
        try {
            found = await inspect(reference, opts);
        } catch (err) {
            throw new BaseProblem(`docker image inspect: ${dockerAnswer(err)}`);
        }
    }
    return resolvedFromInspect(reference, found.id, found.repoDigests);
}
