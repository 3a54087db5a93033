/**
 * Every name the program gives or derives, defined once: registries, repositories, images,
 * tags, service accounts and the build source bucket. Pure.
 */
export function registryHost(location: string): string {
    return `${location}-docker.pkg.dev`;
}

export function repositoryPath(location: string, project: string, repositoryId: string): string {
    return `${registryHost(location)}/${project}/${repositoryId}`;
}

/** A team image: `<team repository>/<name>`. */
export function teamImage(teamRepository: string, name: string): string {
    return `${teamRepository}/${name}`;
}

/** A developer's image: `<developer repository>/<id>-<name>`. */
export function developerImage(developerRepository: string, developer: string, name: string): string {
    return `${developerRepository}/${developer}-${name}`;
}

/** A local stack's image: `<host>/fireworker/<name>` when it pushes to a registry, else `fireworker/<name>`. */
export function localImage(registryHost: string | undefined, name: string): string {
    return registryHost ? `${registryHost}/fireworker/${name}` : `fireworker/${name}`;
}

/** What the nightly build pushes: `<developer repository>/nightly-<application>`. */
export function nightlyImage(developerRepository: string, application: string): string {
    return `${developerRepository}/nightly-${application}`;
}

/** The immutable content tag of a build: a prefix of its content hash. */
export function contentTag(hash: string): string {
    return hash.slice(0, 20);
}

/** Ids of the pipeline's service accounts (see components/pipelineAccounts.ts for their roles). */
export const ACCOUNT_IDS = {
    build: "fw-build",
    developerBuild: "fw-dev-build",
    worker: "fw-worker",
    baker: "fw-baker",
    nightly: "fw-nightly",
} as const;

export function serviceAccountEmail(accountId: string, project: string): string {
    return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** `projects/P/serviceAccounts/EMAIL`: how Cloud Build builds and triggers name the account they run as. */
export function serviceAccountResource(project: string, email: string): string {
    return `projects/${project}/serviceAccounts/${email}`;
}

/** The bucket build sources are uploaded to. */
export function sourceBucketName(project: string): string {
    return `${project}-fireworker-build-source`;
}

/** The bucket of the team's wheelhouse: the wheels pip built from source, per build environment. */
export function wheelhouseBucketName(project: string): string {
    return `${project}-fireworker-wheelhouse`;
}

/** `gs://BUCKET/source`: where gcloud stages a build's packed context. */
export function sourceStagingDir(bucket: string): string {
    return `gs://${bucket}/source`;
}
