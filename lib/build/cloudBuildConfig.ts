/**
 * Renders the Cloud Build config of one image build. `pulumi up` submits it with the packed
 * context; the team's triggers run the very same config (see `triggerBuild`).
 */
import { stringify } from "yaml";
import { BAKE_STEP_IMAGE } from "../bake/bakeConfig";
import { WHEELHOUSE_VOLUME } from "./wheelhouse";
import {
    WHEELHOUSE_ADD_HOST,
    wheelhouseCollectScript,
    wheelhouseFetchScript,
    wheelhouseServeScript,
    wheelhouseStoreScript,
} from "./wheelhouseSteps";

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
    /**
     * Reuse the layers of a previous image: the build pulls the image the substitution
     * `_CACHE_FROM` names (set at submit time to a `repository@sha256:...`; empty: none) and
     * builds with `--cache-from` it. Not part of the content hash: it changes how fast, never
     * what. @default false
     */
    cacheFrom?: boolean;
    /**
     * The wheelhouse of a runtime with `runtime.wheelhouse` (lib/build/wheelhouseSteps.ts):
     * `gs://BUCKET/KEY`, the image its server runs from (the base), and whether this build
     * stores what pip built (the team's account; developers' builds only read). Not part of the
     * content hash. @default none
     */
    wheelhouse?: { uri: string; image: string; store: boolean };
}

export interface CloudBuildConfig {
    steps: {
        id: string;
        name: string;
        dir?: string;
        entrypoint?: string;
        env?: string[];
        args: string[];
        volumes?: { name: string; path: string }[];
    }[];
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
    /** `--no-cache`: a cold build, every layer run again (the benchmark's baseline). @default false */
    noCache?: boolean;
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
        ...(o.noCache ? ["--no-cache"] : []),
        `--file=${DOCKERFILE_IN_CONTEXT}`,
        ...o.refs.map((r) => `--tag=${r}`),
        ...sorted(o.buildArgs).map((k) => `--build-arg=${k}=${o.buildArgs[k]}`),
        ...sorted(labels).map((k) => `--label=${k}=${labels[k]}`),
    ];
}

/** The substitution naming the previous image whose layers a build may reuse. */
export const CACHE_FROM_SUBSTITUTION = "_CACHE_FROM";

/** bash lines that pull `$CACHE_FROM` when it is set and then set `cache` to its `--cache-from`. */
function pullCacheFrom(): string[] {
    return [
        'if [ -n "$CACHE_FROM" ]; then',
        '  if docker pull "$CACHE_FROM"; then cache="--cache-from=$CACHE_FROM";',
        '  else echo "fireworker: the previous image $CACHE_FROM cannot be pulled; building without its layers" >&2; fi',
        "fi",
    ];
}

/**
 * The build step's script when it reuses a previous image: pull it (by digest) and pass
 * `--cache-from` before the context argument; a previous image that cannot be pulled is one
 * line in the log and a build without it, never a failure. Docker matches each instruction
 * against the pulled image's history: from the first changed one (base, apt list, a
 * requirements file) every layer is built again, so no layer is stale.
 */
export const CACHE_FROM_SCRIPT = [
    "set -eu",
    'cache=""',
    ...pullCacheFrom(),
    'last="${!#}"',
    'set -- "${@:1:$(($# - 1))}"',
    'exec docker "$@" ${cache:+"$cache"} "$last"',
].join("\n");

/**
 * The build step's script when the build has a wheelhouse: as CACHE_FROM_SCRIPT (when `cacheFrom`),
 * and `--add-host` of the wheelhouse server when it runs.
 */
export function wheelhouseBuildScript(cacheFrom: boolean): string {
    return [
        "set -eu",
        'cache=""',
        ...(cacheFrom ? pullCacheFrom() : []),
        ...WHEELHOUSE_ADD_HOST,
        'last="${!#}"',
        'set -- "${@:1:$(($# - 1))}"',
        'exec docker "$@" ${cache:+"$cache"} ${wheelhouse[@]+"${wheelhouse[@]}"} "$last"',
    ].join("\n");
}

/**
 * Builds and pushes the content tag only: a push that loses a race to another builder of the
 * same content fails on the team repository's immutable tags and is then adopted (runBuild
 * reads the tag back), and moving tags are moved afterwards to whatever digest the content tag
 * names (`gcloud artifacts docker tags add`), even when the content tag existed.
 */
export function renderCloudBuildConfig(a: CloudBuildArgs): CloudBuildConfig {
    const refs = [`${a.image}:${a.tags[0]}`];
    const docker = dockerBuildArgs({
        refs,
        // BuildKit reuses a pulled image's layers only when it carries their cache metadata; the
        // classic builder ignores this (it is no build arg of the Dockerfile, nor of the hash)
        buildArgs: a.cacheFrom ? { ...a.buildArgs, BUILDKIT_INLINE_CACHE: "1" } : a.buildArgs,
        labels: a.labels,
        network: "cloudbuild",
    });
    const options: Record<string, string> = { logging: "CLOUD_LOGGING_ONLY" };
    if (a.machineType) {
        options.machineType = a.machineType;
    }
    const wh = a.wheelhouse;
    const cacheEnv = a.cacheFrom ? { env: [`CACHE_FROM=\${${CACHE_FROM_SUBSTITUTION}}`] } : {};
    const script = wh ? wheelhouseBuildScript(a.cacheFrom === true) : a.cacheFrom ? CACHE_FROM_SCRIPT : undefined;
    const step = script
        ? {
              id: "build",
              name: DOCKER_BUILDER,
              entrypoint: "bash",
              ...cacheEnv,
              args: ["-c", script, wh ? "build" : "cache-from", ...docker, "."],
          }
        : { id: "build", name: DOCKER_BUILDER, args: [...docker, "."] };
    const bash = (id: string, name: string, script: string) => ({
        id,
        name,
        entrypoint: "bash",
        args: ["-c", script],
        volumes: [{ ...WHEELHOUSE_VOLUME }],
    });
    const steps = wh
        ? [
              bash("wheelhouse-fetch", BAKE_STEP_IMAGE, wheelhouseFetchScript(wh.uri)),
              bash("wheelhouse-serve", DOCKER_BUILDER, wheelhouseServeScript(wh.image)),
              step,
              bash("wheelhouse-collect", DOCKER_BUILDER, wheelhouseCollectScript()),
              ...(wh.store ? [bash("wheelhouse-store", BAKE_STEP_IMAGE, wheelhouseStoreScript(wh.uri))] : []),
          ]
        : [step];
    return {
        steps,
        images: refs,
        timeout: `${a.timeoutSeconds}s`,
        options,
        tags: [contentBuildTag(a.tags[0])],
        ...(a.serviceAccount ? { serviceAccount: a.serviceAccount } : {}),
        ...(a.cacheFrom ? { substitutions: { [CACHE_FROM_SUBSTITUTION]: "" } } : {}),
    };
}

/** Cloud Build's `$` substitution syntax: literal dollars in args must be doubled. */
function escapeDollars(config: CloudBuildConfig): CloudBuildConfig {
    return { ...config, steps: config.steps.map((s) => ({ ...s, args: s.args.map((x) => x.replace(/\$/g, "$$$$")) })) };
}

export function cloudBuildYaml(config: CloudBuildConfig): string {
    return stringify(escapeDollars(config), { lineWidth: 0 });
}
