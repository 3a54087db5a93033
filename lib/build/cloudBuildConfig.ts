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
    /** Labels set by the build. @default none */
    labels?: Record<string, string>;
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

/** What `docker build` is told, besides its context. */
export interface DockerBuildOptions {
    /** `repository:tag` of every tag. */
    refs: string[];
    buildArgs: Record<string, string>;
    /** Labels set on the image by the build itself. @default none */
    labels?: Record<string, string>;
    /** `--network` (`host` where the engine has no bridge, `cloudbuild` on Cloud Build). @default none */
    network?: string;
}

/**
 * `docker build` arguments of a packed context, up to the context argument: the same for
 * Cloud Build, the triggers and the local engine. Build args and labels sorted by name.
 */
export function dockerBuildArgs(o: DockerBuildOptions): string[] {
    const sorted = (r: Record<string, string>) => Object.keys(r).sort();
    const labels = o.labels ?? {};
    return [
        "build",
        ...(o.network ? [`--network=${o.network}`] : []),
        `--file=${DOCKERFILE_IN_CONTEXT}`,
        ...o.refs.map((r) => `--tag=${r}`),
        ...sorted(o.buildArgs).map((k) => `--build-arg=${k}=${o.buildArgs[k]}`),
        ...sorted(labels).map((k) => `--label=${k}=${labels[k]}`),
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
    const args = [...dockerBuildArgs({ refs, buildArgs: a.buildArgs, labels: a.labels, network: "cloudbuild" }), "."];
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
