/** Names of registries, repositories and images, per kind of stack. */
import type { Settings } from "./settings";

export function registryHost(location: string): string {
    return `${location}-docker.pkg.dev`;
}

export function repositoryPath(location: string, project: string, repositoryId: string): string {
    return `${registryHost(location)}/${project}/${repositoryId}`;
}

/** Where a stack's images go: the Artifact Registry repository path, or a local prefix. */
export interface ImageNames {
    runtime: string;
    application: string;
}

/**
 * Team: `<team repository>/<name>`. Developer: `<developer repository>/<id>-<name>` (the runtime
 * only when experimental). Local: `<localHost>/fireworker/<name>` or `fireworker/<name>`.
 */
export function imageNames(s: Settings, repositories: { team?: string; developer?: string }): ImageNames {
    switch (s.mode) {
        case "team":
            return {
                runtime: `${repositories.team}/${s.runtime.name}`,
                application: `${repositories.team}/${s.application.name}`,
            };
        case "developer":
            return {
                runtime: `${repositories.developer}/${s.developer}-${s.runtime.name}`,
                application: `${repositories.developer}/${s.developer}-${s.application.name}`,
            };
        case "local": {
            const prefix = s.registry.localHost ? `${s.registry.localHost}/fireworker` : "fireworker";
            return { runtime: `${prefix}/${s.runtime.name}`, application: `${prefix}/${s.application.name}` };
        }
    }
}

/**
 * The runtime repository as far as settings alone tell (a developer stack learns the real
 * one from the team stack): the default of the application Dockerfile's `ARG from`, which
 * our builds always override with a digest reference, so a hand build pulls the right image.
 */
export function runtimeRepositoryHint(s: Settings): string {
    if (!s.gcp || s.mode === "local") {
        return imageNames(s, {}).runtime;
    }
    const location = s.registry.location ?? s.gcp.region;
    const team = repositoryPath(location, s.gcp.project, s.registry.teamRepository);
    if (s.mode === "developer" && !s.runtime.experimental) {
        return `${team}/${s.runtime.name}`; // the team's runtime
    }
    return imageNames(s, { team, developer: repositoryPath(location, s.gcp.project, s.registry.developerRepository) })
        .runtime;
}

/** The immutable content tag of a build: a prefix of its content hash. */
export function contentTag(hash: string): string {
    return hash.slice(0, 20);
}

/** Tags pushed: the content tag, plus the moving friendly tag for developer images only (the team repository's tags are immutable). */
export function imageTags(s: Settings, hash: string): string[] {
    const tags = [contentTag(hash)];
    if (s.mode !== "team") {
        tags.push(s.application.friendlyTag);
    }
    return tags;
}
