/**
 * The team stack's outputs that developer stacks and Fireworkers read (through a
 * StackReference). One list, so the team stack, developer stacks and the offline plan's
 * placeholders cannot drift apart.
 */
import {
    ACCOUNT_IDS,
    registryHost,
    repositoryPath,
    serviceAccountEmail,
    sourceBucketName,
    teamImage,
    wheelhouseBucketName,
} from "./names";
import { REGISTRY_DEFAULTS } from "./settings/defaults";

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
    "wheelhouseBucket",
] as const;

export type TeamOutputName = (typeof TEAM_OUTPUTS)[number];
export type TeamOutputs = Record<TeamOutputName, unknown>;

/** Deterministic stand-ins for a developer stack's offline plan (no team stack is read). */
export function teamOutputPlaceholders(
    project: string,
    location: string,
    teamRepo: string = REGISTRY_DEFAULTS.teamRepository,
    devRepo: string = REGISTRY_DEFAULTS.developerRepository,
): Record<TeamOutputName, string> {
    const team = repositoryPath(location, project, teamRepo);
    const zero = `sha256:${"0".repeat(64)}`;
    return {
        registryHost: registryHost(location),
        teamRepository: team,
        developerRepository: repositoryPath(location, project, devRepo),
        runtimeReference: `${teamImage(team, "runtime")}@${zero}`,
        runtimeTaggedReference: `${teamImage(team, "runtime")}:team-placeholder`,
        applicationReference: `${teamImage(team, "app")}@${zero}`,
        developerBuildServiceAccount: serviceAccountEmail(ACCOUNT_IDS.developerBuild, project),
        fireworkerServiceAccount: serviceAccountEmail(ACCOUNT_IDS.worker, project),
        sourceBucket: sourceBucketName(project),
        bakerServiceAccount: serviceAccountEmail(ACCOUNT_IDS.baker, project),
        fireworkerImage: `fireworker-${"0".repeat(16)}`,
        fireworkerFamily: "fireworker",
        wheelhouseBucket: wheelhouseBucketName(project),
    };
}
