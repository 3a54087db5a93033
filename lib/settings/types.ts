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

/** How the runtime takes base updates: `track` resolves a tag at every plan, `pinned` takes only a digest. */
export type BaseUpdates = "track" | "pinned";

interface RuntimeCommon {
    name: string;
    baseUpdates: BaseUpdates;
    /** Build arguments passed to the Dockerfile (never `from`: that is `base`). */
    buildArgs: Record<string, string>;
    /** Seconds. */
    timeout: number;
    machineType?: string;
}

/** A runtime whose Dockerfile the program renders. */
export interface RenderedRuntime extends RuntimeCommon {
    dockerfile?: undefined;
    base: string;
    aptPackages: string[];
    /**
     * Project-relative path, forward slashes; or several, installed in order, each in its own
     * layer (kept as the stack file gives it, for the plan's settings).
     */
    requirements: string | string[];
    writableDirs: string[];
    env: Record<string, string>;
    /** `pip install` passes before the requirements, in order. */
    pipSteps: string[];
    /** Keep the wheels pip builds from source between builds, per build environment. */
    wheelhouse: boolean;
}

/** A runtime built from the lab's own Dockerfile. */
export interface BroughtRuntime extends RuntimeCommon {
    /** Project-relative path of the Dockerfile. */
    dockerfile: string;
    /** The build context its COPY/ADD sources are read from (project-relative). */
    context: string;
    /** Overrides the Dockerfile's `ARG from` default; unset keeps it. */
    base?: string;
}

export type RuntimeSettings = RenderedRuntime | BroughtRuntime;

interface ApplicationCommon {
    name: string;
    /** The payload directory, the build context (project-relative). */
    context: string;
    /** Labels of the image: the known ones (application, email, license, organization, website) and any other. */
    labels: Record<string, string>;
    /** Build arguments passed to the Dockerfile (not `from` or the git facts: the build sets those). */
    buildArgs: Record<string, string>;
    /** Write the payload's uncommitted `git diff HEAD` into the image. */
    gitDiff: boolean;
    /** Seconds. */
    timeout: number;
    machineType?: string;
}

/** An application whose Dockerfile the program renders. */
export interface RenderedApplication extends ApplicationCommon {
    dockerfile?: undefined;
    workdir: string;
    cmd: string[];
    env: Record<string, string>;
    /** Shell steps run after the payload is copied, in order. */
    run: string[];
}

/** An application built from the lab's own Dockerfile. */
export interface BroughtApplication extends ApplicationCommon {
    dockerfile: string;
}

export type ApplicationSettings = RenderedApplication | BroughtApplication;

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
    /** Top-level settings Pulumi holds as secrets (e.g. `application`): what they shape is marked secret. */
    secrets: readonly string[];
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
