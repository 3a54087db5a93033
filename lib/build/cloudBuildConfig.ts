/**
 * Renders the Cloud Build config of one image build. `pulumi up` submits it with the packed
 * context; the team's triggers run the very same config (see `triggerBuild`).
 */
import { stringify } from "yaml";

/** The name of the rendered Dockerfile inside a packed context. */
export const DOCKERFILE_IN_CONTEXT = ".fireworker.Dockerfile";

export interface CloudBuildArgs {
    /** Repository without tag, e.g. `us-central1-docker.pkg.dev/p/fireworker/runtime`. */
    image: string;
    /** The tags pushed; the first is the content tag. */
    tags: string[];
    buildArgs: Record<string, string>;
    timeoutSeconds: number;
    machineType?: string;
    /** `projects/P/serviceAccounts/EMAIL` the build runs as. */
    serviceAccount?: string;
}

export interface CloudBuildConfig {
    steps: { id: string; name: string; dir?: string; entrypoint?: string; args: string[] }[];
    images: string[];
    timeout: string;
    options: Record<string, string>;
    /** Cloud Build build tags: `contentBuildTag`, so other builders of the same content find this build. */
    tags: string[];
    serviceAccount?: string;
    substitutions?: Record<string, string>;
}

/**
 * The Cloud Build build tag of a build of one content tag (which hashes the image name too):
 * a builder that finds an ongoing build with it waits for that build instead of starting another.
 */
export function contentBuildTag(contentTag: string): string {
    return `fw-content-${contentTag}`;
}

/** The docker builder Cloud Build provides; pinned by its maintained major tag. */
export const DOCKER_BUILDER = "gcr.io/cloud-builders/docker";

/**
 * `docker build` arguments of a packed context, up to the context argument: the same for
 * Cloud Build, the triggers and the local engine.
 */
export function dockerBuildArgs(refs: string[], buildArgs: Record<string, string>, network?: string): string[] {
    return [
        "build",
        ...(network ? [`--network=${network}`] : []),
        `--file=${DOCKERFILE_IN_CONTEXT}`,
        ...refs.map((r) => `--tag=${r}`),
        ...Object.keys(buildArgs)
            .sort()
            .map((k) => `--build-arg=${k}=${buildArgs[k]}`),
    ];
}

/**
 * Builds and pushes the content tag only: a push that loses a race to another builder of the
 * same content fails on the team repository's immutable tags and is then adopted (runBuild
 * reads the tag back), and moving tags are moved afterwards to whatever digest the content tag
 * names (`gcloud artifacts docker tags add`), even when the content tag existed.
 */
export function renderCloudBuildConfig(a: CloudBuildArgs): CloudBuildConfig {
    const refs = [`${a.image}:${a.tags[0]}`];
    const args = [...dockerBuildArgs(refs, a.buildArgs, "cloudbuild"), "."];
    const options: Record<string, string> = { logging: "CLOUD_LOGGING_ONLY" };
    if (a.machineType) {
        options.machineType = a.machineType;
    }
    return {
        steps: [{ id: "build", name: DOCKER_BUILDER, args }],
        images: refs,
        timeout: `${a.timeoutSeconds}s`,
        options,
        tags: [contentBuildTag(a.tags[0])],
        ...(a.serviceAccount ? { serviceAccount: a.serviceAccount } : {}),
    };
}

/** Cloud Build's `$` substitution syntax: literal dollars in args must be doubled. */
function escapeDollars(config: CloudBuildConfig): CloudBuildConfig {
    return { ...config, steps: config.steps.map((s) => ({ ...s, args: s.args.map((x) => x.replace(/\$/g, "$$$$")) })) };
}

export function cloudBuildYaml(config: CloudBuildConfig): string {
    return stringify(escapeDollars(config), { lineWidth: 0 });
}
