/**
 * The team stack's outputs that developer stacks and Fireworkers read (through a
 * StackReference). One list, so the team stack, developer stacks and the offline plan's
 * placeholders cannot drift apart.
 */
export const TEAM_OUTPUTS = [
    "registryHost",
    "teamRepository",
    "developerRepository",
    "runtimeReference",
    "runtimeTaggedReference",
    "applicationReference",
    "developerBuildServiceAccount",
    "fireworkerServiceAccount",
    "sourceBucket",
    "bakerServiceAccount",
    "fireworkerImage",
    "fireworkerFamily",
] as const;

export type TeamOutputName = (typeof TEAM_OUTPUTS)[number];
export type TeamOutputs = Record<TeamOutputName, unknown>;

/** Deterministic stand-ins for a developer stack's offline plan (no team stack is read). */
export function teamOutputPlaceholders(
    project: string,
    location: string,
    teamRepo = "fireworker",
    devRepo = "fireworker-dev",
): Record<TeamOutputName, string> {
    const host = `${location}-docker.pkg.dev`;
    const team = `${host}/${project}/${teamRepo}`;
    const zero = `sha256:${"0".repeat(64)}`;
    return {
        registryHost: host,
        teamRepository: team,
        developerRepository: `${host}/${project}/${devRepo}`,
        runtimeReference: `${team}/runtime@${zero}`,
        runtimeTaggedReference: `${team}/runtime:team-placeholder`,
        applicationReference: `${team}/app@${zero}`,
        developerBuildServiceAccount: `fw-dev-build@${project}.iam.gserviceaccount.com`,
        fireworkerServiceAccount: `fw-worker@${project}.iam.gserviceaccount.com`,
        sourceBucket: `${project}-fireworker-build-source`,
        bakerServiceAccount: `fw-baker@${project}.iam.gserviceaccount.com`,
        fireworkerImage: `fireworker-${"0".repeat(16)}`,
        fireworkerFamily: "fireworker",
    };
}
