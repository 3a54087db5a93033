/**
 * What the team's Cloud Build triggers run, as pure data. A trigger build is two steps:
 * `prepare` runs this project's own code at the pushed commit (the offline plan of the team
 * stack, so settings, Dockerfile, context selection, build args and content hash are exactly
 * those `pulumi up` would use) and writes the packed context and a build script; `build`
 * runs that script with Docker. An image whose content tag exists already is not rebuilt.
 * A runtime trigger has a `cache-from` step between them: it looks the plan's previous-runtime
 * candidates up with gcloud (the script `prepare` writes) so that `build` pulls the previous
 * runtime by digest and reuses its layers; that step may fail, the build then runs cold.
 */
import * as path from "node:path";
import { BAKE_STEP_IMAGE } from "../bake/bakeConfig";
import type { ContextSpec } from "../build/context";
import { WHEELHOUSE_VOLUME } from "../build/wheelhouse";

/** Node image for the prepare step (Debian-based, pinned major; has git for the git facts). */
export const PREPARE_IMAGE = "node:20-bookworm";
export const DOCKER_IMAGE = "gcr.io/cloud-builders/docker";
/** Google's SDK image under its current name (slim: gcloud only), as the bake uses, for the `cache-from` step. */
export const GCLOUD_IMAGE = BAKE_STEP_IMAGE;
export const TRIGGER_DIR = ".fireworker/trigger";

export type TriggerBuildKind = "runtime" | "application";

export interface TriggerBuildArgs {
    /** Stack file whose settings the build follows, e.g. `team`. */
    stack: string;
    build: TriggerBuildKind;
    /** Push to this repository instead of the planned one (nightly builds), with a moving tag. */
    imageOverride?: string;
    friendlyTag?: string;
    timeoutSeconds: number;
    machineType?: string;
    /** The program's folder in the repository ("" at its root): both steps run there. */
    programDir: string;
    /**
     * A runtime with `runtime.wheelhouse`: `wheelhouse-fetch` and `wheelhouse-store` steps around
     * `build` (gcloud, the scripts `prepare` writes), which may fail. @default false
     */
    wheelhouse?: boolean;
}

export interface TriggerBuildStep {
    id: string;
    name: string;
    entrypoint: string;
    args: string[];
    envs?: string[];
    /** Folder of the checkout the step runs in. */
    dir?: string;
    /** The build goes on when this step fails. @default false */
    allowFailure?: boolean;
    /** Volumes shared with other steps (the wheelhouse's). @default none */
    volumes?: { name: string; path: string }[];
}

export interface TriggerBuild {
    steps: TriggerBuildStep[];
    timeout: string;
    options: { logging: string; machineType?: string };
    substitutions: Record<string, string>;
}

/** A base named by tag and the digest `pulumi up` last resolved it to (components/baseImage.ts). */
export interface TriggerBase {
    /** As the settings (or the Dockerfile's `ARG from=`) name it, e.g. `python:3.11-slim-bookworm`. */
    tag: string;
    /** `repository@sha256:...` (or a local image id). */
    reference: string;
}

/**
 * The trigger's build. `_RUNTIME_REF` is the team runtime (`repository@sha256:...`) that an
 * application build goes FROM; `_BASE_TAG` and `_BASE_REF` (a runtime trigger whose base is named
 * by tag) are the base and the digest it was resolved to; Pulumi keeps them current on every
 * `pulumi up`.
 */
export function renderTriggerBuild(a: TriggerBuildArgs, runtimeReference: string, base?: TriggerBase): TriggerBuild {
    const envs = [
        `FW_STACK=${a.stack}`,
        `FW_BUILD=${a.build}`,
        "FW_RUNTIME_REF=${_RUNTIME_REF}",
        "FW_GIT_COMMIT=$COMMIT_SHA",
        "FW_GIT_BRANCH=$BRANCH_NAME",
    ];
    if (base) {
        envs.push("FW_BASE_TAG=${_BASE_TAG}", "FW_BASE_REF=${_BASE_REF}");
    }
    if (a.imageOverride) {
        envs.push(`FW_IMAGE_OVERRIDE=${a.imageOverride}`, `FW_FRIENDLY_TAG=${a.friendlyTag ?? "latest"}`);
    }
    const options: TriggerBuild["options"] = { logging: "CLOUD_LOGGING_ONLY" };
    const dir = a.programDir === "" ? {} : { dir: a.programDir };
    if (a.machineType) {
        options.machineType = a.machineType;
    }
    return {
        steps: [
            {
                id: "prepare",
                name: PREPARE_IMAGE,
                entrypoint: "bash",
                args: [
                    "-c",
                    "npm ci --no-audit --no-fund --loglevel=error && node --require ts-node/register/transpile-only scripts/trigger-build.ts",
                ],
                envs,
                ...dir,
            },
            ...(a.build === "runtime"
                ? [
                      {
                          id: "cache-from",
                          name: GCLOUD_IMAGE,
                          entrypoint: "bash",
                          args: [`${TRIGGER_DIR}/cache-from.sh`],
                          allowFailure: true,
                          ...dir,
                      },
                  ]
                : []),
            ...(a.build === "runtime" && a.wheelhouse ? [gcloudStep("wheelhouse-fetch", dir)] : []),
            {
                id: "build",
                name: DOCKER_IMAGE,
                entrypoint: "bash",
                args: [`${TRIGGER_DIR}/build.sh`],
                ...(a.build === "runtime" && a.wheelhouse ? { volumes: [{ ...WHEELHOUSE_VOLUME }] } : {}),
                ...dir,
            },
            ...(a.build === "runtime" && a.wheelhouse ? [gcloudStep("wheelhouse-store", dir)] : []),
        ],
        timeout: `${a.timeoutSeconds}s`,
        options,
        substitutions: {
            _RUNTIME_REF: runtimeReference,
            ...(base ? { _BASE_TAG: base.tag, _BASE_REF: base.reference } : {}),
        },
    };
}

/** A gcloud step that runs `<TRIGGER_DIR>/<id>.sh` (written by `prepare`), allowed to fail. */
function gcloudStep(id: string, dir: { dir?: string }): TriggerBuildStep {
    return {
        id,
        name: GCLOUD_IMAGE,
        entrypoint: "bash",
        args: [`${TRIGGER_DIR}/${id}.sh`],
        allowFailure: true,
        volumes: [{ ...WHEELHOUSE_VOLUME }],
        ...dir,
    };
}

/** The program's own files: a change to them may change what a trigger builds. */
export const PROGRAM_FILES = [
    "Pulumi.yaml",
    "components/**",
    "index.ts",
    "lib/**",
    "package-lock.json",
    "package.json",
    "scripts/**",
    "tsconfig.json",
] as const;

/**
 * `includedFiles` globs of a trigger, relative to the repository's root (where Cloud Build
 * matches them): the files its content hash reads, plus `extra` (the stack file and the
 * program itself). Paths come relative to the program's folder, `programDir` in the repository.
 */
export function includedFiles(
    context: ContextSpec,
    extra: readonly string[],
    isDirectory: (projectPath: string) => boolean,
    programDir = "",
): string[] {
    const inRepo = (p: string) => {
        const joined = path.posix.normalize(path.posix.join(programDir, p));
        return joined === "." ? "" : joined;
    };
    const under = (dir: string) => (inRepo(dir) === "" ? "**" : `${inRepo(dir)}/**`);
    const globs =
        context.kind === "directory"
            ? [under(context.dir)]
            : context.files.map((f) => (isDirectory(f.src) ? under(f.src) : inRepo(f.src)));
    return [...new Set([...globs, ...extra.map(inRepo)])].sort();
}

/** The branch name a regex such as `^main$` matches exactly, or undefined when it is a real pattern. */
export function literalBranch(regex: string): string | undefined {
    const m = /^\^([A-Za-z0-9_][A-Za-z0-9_./-]*)\$$/.exec(regex);
    return m && !m[1].includes("..") ? m[1] : undefined;
}

/**
 * The body of `triggers:run` (RunBuildTriggerRequest): `projectId` and `triggerId` are required,
 * `source.branchName` names the branch to build.
 */
export function runTriggerBody(project: string, triggerId: string, branch: string): string {
    return JSON.stringify({ projectId: project, triggerId, source: { branchName: branch } });
}
