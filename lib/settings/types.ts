/**
 * The settings of each kind of stack, validated and with defaults applied. A discriminated
 * union on `mode`: what a kind of stack does not have does not exist in its type.
 */
import type { BakeOptions } from "../bake/bakeConfig";
import type { CleanupPolicy } from "../registry/cleanupPolicies";

export type { CleanupPolicy };

export type StackKind = "team" | "developer" | "local";

export interface GcpSettings {
    project: string;
    region: string;
}

export interface RuntimeSettings {
    name: string;
    base: string;
    aptPackages: string[];
    /** Project-relative path, forward slashes. */
    requirements: string;
    writableDirs: string[];
    /** A brought Dockerfile (project-relative), instead of the rendered one. */
    dockerfile?: string;
    /** Seconds. */
    timeout: number;
    machineType?: string;
}

export interface ApplicationLabels {
    application?: string;
    email?: string;
    license?: string;
    organization?: string;
    website?: string;
}

export interface ApplicationSettings {
    name: string;
    /** The payload directory (project-relative). */
    context: string;
    dockerfile?: string;
    workdir: string;
    cmd: string[];
    labels: ApplicationLabels;
    /** Seconds. */
    timeout: number;
    machineType?: string;
}

export interface TriggerSettings {
    /** GitHub `owner/name`; unset: no triggers. */
    repository?: string;
    connection: string;
    branch: string;
    nightlySchedule?: string;
}

/** A Fireworker bake: its image family and how the builder VM is made (zone resolved). */
export interface FireworkerSettings extends BakeOptions {
    /** The family the image joins: `fireworker.family`, or `<family>-<id>` for a developer. */
    family: string;
}

/** Where the team's repositories are, as settings tell. */
export interface RegistrySettings {
    location: string;
    teamRepository: string;
    developerRepository: string;
}

interface CommonSettings {
    stack: string;
    runtime: RuntimeSettings;
    application: ApplicationSettings;
}

interface CloudSettings extends CommonSettings {
    gcp: GcpSettings;
    registry: RegistrySettings;
    /** Region the Cloud Build builds run in. */
    cloudBuild: { region: string };
}

/** Everything shared: registry, identities, team images, triggers and the Fireworker disk image. */
export interface TeamSettings extends CloudSettings {
    mode: "team";
    registry: RegistrySettings & {
        /** `user:` / `group:` members who run developer stacks. */
        developers: string[];
        cleanupPolicies: CleanupPolicy[];
    };
    triggers: TriggerSettings;
    /** Unset when `fireworker.enabled` is false. */
    fireworker?: FireworkerSettings;
}

/** A developer's own `<id>-*` images; shared things come from the team stack. */
export interface DeveloperSettings extends CloudSettings {
    mode: "developer";
    developer: string;
    /** The team stack to read; unset: `team` in the organization running the stack (`defaultTeamStack`). */
    teamStack?: string;
    /** Build an own `<id>-runtime` instead of using the team's. */
    experimentalRuntime: boolean;
    /** The moving tag pushed besides the content tag (`application.friendlyTag`). */
    movingTag: string;
    /** Set only with an experimental runtime and `fireworker.enabled`. */
    fireworker?: FireworkerSettings;
}

/** No cloud: the same builds on the local Docker engine. */
export interface LocalSettings extends CommonSettings {
    mode: "local";
    /** A registry `host:port` to push to; unset keeps images in the engine. */
    localRegistryHost?: string;
    movingTag: string;
}

export type Settings = TeamSettings | DeveloperSettings | LocalSettings;
