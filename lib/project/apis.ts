/**
 * The Google APIs the team stack uses, as pure data: which API each kind of resource and each
 * command needs. components/projectApis.ts enables them (never disabled on destroy); the
 * README's API list is this list (test/readme.test.ts).
 */

/** An API the stack may use, and why. */
export const APIS = {
    "artifactregistry.googleapis.com": "the registry repositories; builds push, workers pull",
    "cloudbuild.googleapis.com": "image builds, the bake, the triggers and their repository link",
    "cloudresourcemanager.googleapis.com": "project-level IAM grants",
    "cloudscheduler.googleapis.com": "the nightly schedule",
    "compute.googleapis.com": "the bake's builder VM and the disk images",
    "iam.googleapis.com": "the service accounts, their grants and the custom roles",
    "logging.googleapis.com": "build logs (CLOUD_LOGGING_ONLY) and their tail",
    "pubsub.googleapis.com": "the gcr topic of registry pushes, which re-bakes",
    "secretmanager.googleapis.com": "the GitHub connection's token (the 2nd-gen repository link)",
    "storage.googleapis.com": "the build source bucket",
} as const;

export type Api = keyof typeof APIS;

/** What the team stack declares, to pick the APIs it needs. */
export interface ApiNeeds {
    /** The Fireworker bake (compute, the gcr topic). */
    fireworker: boolean;
    /** Cloud Build triggers from GitHub (the repository link and its secret). */
    triggers: boolean;
    /** The nightly schedule. */
    nightly: boolean;
}

/** The APIs a team stack with these parts uses, sorted. */
export function apisFor(needs: ApiNeeds): Api[] {
    const apis: Api[] = [
        "artifactregistry.googleapis.com",
        "cloudbuild.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "iam.googleapis.com",
        "logging.googleapis.com",
        // the gcr topic is declared whether or not the bake is on (an existing one is imported)
        "pubsub.googleapis.com",
        "storage.googleapis.com",
    ];
    if (needs.fireworker) apis.push("compute.googleapis.com");
    if (needs.triggers) apis.push("secretmanager.googleapis.com");
    if (needs.nightly) apis.push("cloudscheduler.googleapis.com");
    return apis.sort();
}

/** Every API any team stack may use, sorted (the README lists these). */
export const ALL_APIS: readonly Api[] = (Object.keys(APIS) as Api[]).sort();
