/**
 * The default of every setting, in one place: the schema applies them to stack files (Pulumi.yaml
 * defaults are not applied under mocks) and the components use them for optional arguments.
 */
import { BAKE_DEFAULTS } from "../bake/bakeConfig";
import type { CleanupPolicy } from "./types";

export const RUNTIME_DEFAULTS = {
    name: "runtime",
    base: "python:3.11-slim-bookworm",
    /** A tag is resolved to its digest at every plan, so a base update shows in the plan. */
    baseUpdates: "track",
    requirements: "example/requirements.txt",
    /** Compiled wheels are kept only when asked: the team stack then declares a bucket for them. */
    wheelhouse: false,
    /** Seconds (1 h): the lab's runtime builds take 20 minutes to over 2 hours. */
    timeout: 3600,
} as const;

export const APPLICATION_DEFAULTS = {
    name: "app",
    context: "example",
    workdir: "/app",
    cmd: ["python", "main.py"],
    friendlyTag: "latest",
    /** Seconds (15 min), as the source document's code builds. */
    timeout: 900,
} as const;

/** Developer repository: untagged images go after 7 days, any after 30; the 5 newest stay. */
export const DEFAULT_CLEANUP_POLICIES: readonly CleanupPolicy[] = [
    { id: "delete-untagged", action: "DELETE", tagState: "UNTAGGED", olderThanDays: 7 },
    { id: "delete-old", action: "DELETE", tagState: "ANY", olderThanDays: 30 },
    { id: "keep-recent", action: "KEEP", keepCount: 5 },
];

export const REGISTRY_DEFAULTS = {
    teamRepository: "fireworker",
    developerRepository: "fireworker-dev",
} as const;

export const TRIGGER_DEFAULTS = {
    connection: "github",
    branch: "^main$",
} as const;

/** The bake's own defaults (lib/bake/bakeConfig.ts) and the family. */
export const FIREWORKER_DEFAULTS = { family: "fireworker", ...BAKE_DEFAULTS } as const;

/**
 * The team stack a developer stack reads when `teamStack` is unset: stack `team` of this
 * project in the developer's own Pulumi organization (on Pulumi Cloud the user's or the
 * default organization; on a self-managed backend `organization`).
 */
export function defaultTeamStack(organization: string, project: string): string {
    return `${organization}/${project}/team`;
}
