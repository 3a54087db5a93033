/**
 * The wheelhouse on Cloud Build, as bash: the same server as a local build's
 * (WHEELHOUSE_SERVER, from the runtime's base image), on the `cloudbuild` network. Between
 * builds the wheels of each build environment live under `gs://<bucket>/<key>/` (the team
 * stack's Wheelhouse). A build fetches them (gcloud), serves them to `docker build` (docker),
 * collects what pip kept (docker) and, when its account may write, stores them back (gcloud).
 * Every step of it may fail without failing the build: pip then builds what it needs.
 * `pulumi up` builds run these as steps of their config (renderCloudBuildConfig); the runtime
 * trigger runs them from the scripts its prepare step writes.
 */
import { shellQuote as q } from "../commands/exec";
import {
    WHEELHOUSE_CONTAINER,
    WHEELHOUSE_HOST,
    WHEELHOUSE_PORT,
    WHEELHOUSE_SERVER,
    WHEELHOUSE_VOLUME,
} from "./wheelhouse";

/** Where the server keeps the wheels inside its container. */
const IN_CONTAINER = "/tmp/wheelhouse";
const WORKSPACE = WHEELHOUSE_VOLUME.path;

/** gcloud: `uri`'s wheels into the workspace folder (nothing there yet is fine). */
export function wheelhouseFetchScript(uri: string): string {
    return [
        `mkdir -p ${WORKSPACE}`,
        `if gcloud storage rsync --recursive ${q(uri)} ${WORKSPACE}; then`,
        `  echo "fireworker: wheelhouse ${uri}: $(find ${WORKSPACE} -name '*.whl' | wc -l) wheels"`,
        "else",
        `  echo "fireworker: the wheelhouse ${uri} cannot be read (new, or no access); pip builds what it needs" >&2`,
        "fi",
    ].join("\n");
}

/** docker: the server, from `image`, on the `cloudbuild` network, holding the fetched wheels. */
export function wheelhouseServeScript(image: string): string {
    return [
        "server=\"$(cat <<'PY'",
        WHEELHOUSE_SERVER,
        "PY",
        ')"',
        "serve() {",
        `  docker create --name=${WHEELHOUSE_CONTAINER} --network=cloudbuild --entrypoint=python3 ${q(image)} \\`,
        `    -c "$server" ${IN_CONTAINER} 0.0.0.0 ${WHEELHOUSE_PORT} >/dev/null &&`,
        `  if [ -d ${WORKSPACE} ]; then docker cp ${WORKSPACE}/. ${WHEELHOUSE_CONTAINER}:${IN_CONTAINER}; fi &&`,
        `  docker start ${WHEELHOUSE_CONTAINER} >/dev/null`,
        "}",
        "if ! serve; then",
        `  docker rm --force ${WHEELHOUSE_CONTAINER} >/dev/null 2>&1 || true`,
        '  echo "fireworker: the wheelhouse server did not start; pip builds what it needs" >&2',
        "fi",
    ].join("\n");
}

/**
 * bash lines that set `wheelhouse` to the `--add-host` of the server when it runs, else to
 * nothing (the build's RUNs then find no wheelhouse).
 */
export const WHEELHOUSE_ADD_HOST = [
    "wheelhouse=()",
    `if ip="$(docker inspect --format='{{(index .NetworkSettings.Networks "cloudbuild").IPAddress}}' ${WHEELHOUSE_CONTAINER} 2>/dev/null)" && [ -n "$ip" ]; then`,
    `  wheelhouse=("--add-host=${WHEELHOUSE_HOST}:$ip")`,
    "fi",
];

/** docker: what pip kept, back into the workspace folder; the server is removed. */
export function wheelhouseCollectScript(): string {
    return [
        `if docker cp ${WHEELHOUSE_CONTAINER}:${IN_CONTAINER}/. ${WORKSPACE} 2>/dev/null; then`,
        `  echo "fireworker: the wheelhouse holds $(find ${WORKSPACE} -name '*.whl' | wc -l) wheels"`,
        "else",
        '  echo "fireworker: no wheelhouse to collect" >&2',
        "fi",
        `docker rm --force ${WHEELHOUSE_CONTAINER} >/dev/null 2>&1 || true`,
    ].join("\n");
}

/**
 * gcloud: the workspace folder's new wheels into `uri`. `--no-clobber`: an object is written
 * once and never replaced, so the writer needs no delete right.
 */
export function wheelhouseStoreScript(uri: string): string {
    return [
        `if [ -d ${WORKSPACE}/wheels ]; then`,
        `  gcloud storage rsync --recursive --no-clobber ${WORKSPACE} ${q(uri)} \\`,
        `    || echo "fireworker: the wheels of this build are not kept in ${uri}" >&2`,
        "fi",
    ].join("\n");
}
