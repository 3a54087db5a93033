/**
 * fireworker-images: reads the stack's settings (all validated before any resource) and
 * wires the components for the stack's kind: team, developer or local.
 */
import { pubsub } from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ApplicationImage } from "./components/applicationImage";
import { BaseImage } from "./components/baseImage";
import { BuildTriggers } from "./components/buildTriggers";
import { FireworkerImage } from "./components/fireworkerImage";
import type { CloudBuilder } from "./components/imageBuild";
import { ImageRegistry } from "./components/imageRegistry";
import { PipelineAccounts } from "./components/pipelineAccounts";
import { ProjectApis } from "./components/projectApis";
import { RuntimeImage, type RuntimeImageArgs } from "./components/runtimeImage";
import { WheelhouseBucket } from "./components/wheelhouseBucket";
import type { BaseResolver } from "./lib/build/baseReference";
import { type PreparedBuild, prepareBuilds } from "./lib/build/prepareBuild";
import { SettingsError } from "./lib/errors";
import { developerImage, localImage, nightlyImage, teamImage } from "./lib/names";
import { cheapPromiseStacks } from "./lib/plan/promiseStacks";
import { apisFor } from "./lib/project/apis";
import { findRepository } from "./lib/repository";
import { defaultTeamStack } from "./lib/settings/defaults";
import { loadSettings } from "./lib/settings/loadSettings";
import type { DeveloperSettings, LocalSettings, Settings, TeamSettings } from "./lib/settings/types";
import type { TeamOutputs } from "./lib/teamOutputs";

// before any resource: Pulumi records a stack trace on each of its promises
cheapPromiseStacks();
const repository = findRepository(__dirname);

/** Whether Pulumi holds a config key as a secret (set with --secret). */
function isConfigSecret(key: string): boolean {
    // exported by the SDK's runtime, not declared in its types
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    return runtime.isConfigSecret?.(key) ?? false;
}
const projectRoot = repository.projectRoot;

export = async (): Promise<Record<string, unknown>> => {
    let settings: Settings;
    let builds: Builds;
    try {
        const config = pulumi.runtime.allConfig();
        const secretKeys = Object.keys(config).filter(isConfigSecret);
        settings = loadSettings(config, { stack: pulumi.getStack(), projectRoot, secretKeys });
        builds = await prepareBuilds(settings, repository);
    } catch (err) {
        // one line per problem, no stack trace, and nothing declared yet
        if (err instanceof SettingsError) {
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }
    for (const note of [...builds.runtime.notes, ...builds.application.notes]) {
        pulumi.log.info(note);
    }
    switch (settings.mode) {
        case "team":
            return teamStack(settings, builds, await runtimeBase(builds.runtime, "registry"));
        case "developer":
            return developerStack(
                settings,
                builds,
                settings.experimentalRuntime ? await runtimeBase(builds.runtime, "registry") : {},
            );
        case "local":
            return localStack(settings, builds, await runtimeBase(builds.runtime, "engine"));
    }
};

interface Builds {
    runtime: PreparedBuild;
    application: PreparedBuild;
}

/** Everything shared: registry, identities, team images, triggers and the Fireworker disk image. */
function teamStack(s: TeamSettings, b: Builds, base: RuntimeBaseArgs): Record<string, unknown> {
    const { project, region } = s.gcp;
    const nightlySchedule = s.triggers.repository ? s.triggers.nightlySchedule : undefined;
    const apis = new ProjectApis("apis", {
        project,
        apis: apisFor({
            fireworker: s.fireworker !== undefined,
            triggers: s.triggers.repository !== undefined,
            nightly: nightlySchedule !== undefined,
        }),
    });
    const registry = new ImageRegistry("registry", {
        project,
        location: s.registry.location,
        teamRepositoryId: s.registry.teamRepository,
        developerRepositoryId: s.registry.developerRepository,
        cleanupPolicies: s.registry.cleanupPolicies,
        dependsOn: apis.need("artifactregistry.googleapis.com"),
    });
    const accounts = new PipelineAccounts("accounts", {
        project,
        region,
        registry,
        developers: s.registry.developers,
        nightly: nightlySchedule !== undefined,
        bake: s.fireworker ? { zones: [s.fireworker.zone] } : undefined,
        dependsOn: apis.need(
            "iam.googleapis.com",
            "cloudresourcemanager.googleapis.com",
            "storage.googleapis.com",
            "artifactregistry.googleapis.com",
        ),
    });
    // the wheels pip builds from source: written by team builds, read by developers'
    const wheelhouse =
        s.runtime.dockerfile === undefined && s.runtime.wheelhouse
            ? new WheelhouseBucket("wheelhouse", {
                  project,
                  location: s.cloudBuild.region,
                  dependsOn: apis.need("storage.googleapis.com"),
              })
            : undefined;
    const serviceAccount = (sa: { email: pulumi.Output<string> }) => pulumi.interpolate`serviceAccount:${sa.email}`;
    const wheelhouseGrants = wheelhouse?.grantWrite("build", serviceAccount(accounts.build)) ?? [];
    wheelhouse?.grantRead("developer-build", serviceAccount(accounts.developerBuild));
    const builder: CloudBuilder = {
        kind: "cloudbuild",
        project,
        region: s.cloudBuild.region,
        serviceAccountEmail: accounts.build.email,
        sourceBucket: accounts.sourceBucket.name,
        dependsOn: [
            ...apis.need("cloudbuild.googleapis.com", "logging.googleapis.com"),
            ...accounts.buildGrants,
            ...wheelhouseGrants,
        ],
    };
    const runtimeImage = teamImage(registry.teamPath, s.runtime.name);
    const runtime = new RuntimeImage("runtime", {
        builder,
        prepared: b.runtime,
        image: runtimeImage,
        ...base,
        // the team's newest runtime: its layers are reused up to the first changed instruction
        cacheFrom: [runtimeImage],
        ...(wheelhouse ? { wheelhouse: { bucket: wheelhouse.bucket.name, store: true } } : {}),
        secret: s.secrets.includes("runtime"),
    });
    const application = new ApplicationImage("application", {
        builder,
        prepared: b.application,
        image: teamImage(registry.teamPath, s.application.name),
        runtimeReference: runtime.reference,
        secret: s.secrets.includes("application"),
    });
    if (s.triggers.repository) {
        new BuildTriggers("triggers", {
            project,
            region: s.cloudBuild.region,
            repository: s.triggers.repository,
            connection: s.triggers.connection,
            branch: s.triggers.branch,
            stack: s.stack,
            stackFile: `stacks/Pulumi.${s.stack}.yaml`,
            projectRoot,
            programDir: repository.programDir,
            runtime: b.runtime,
            application: b.application,
            runtimeReference: runtime.reference,
            base:
                base.baseTag !== undefined && base.base !== undefined
                    ? { tag: base.baseTag, reference: base.base }
                    : undefined,
            serviceAccountEmail: accounts.build.email,
            dependsOn: [
                ...apis.need("cloudbuild.googleapis.com", "secretmanager.googleapis.com"),
                ...accounts.buildGrants,
            ],
            nightly:
                nightlySchedule !== undefined && accounts.nightly
                    ? {
                          schedule: nightlySchedule,
                          image: nightlyImage(registry.developerPath, s.application.name),
                          schedulerServiceAccountEmail: accounts.nightly.email,
                          dependsOn: [...apis.need("cloudscheduler.googleapis.com"), ...accounts.nightlyGrants],
                      }
                    : undefined,
        });
    }
    // Artifact Registry publishes pushes to `gcr`; protected and kept (an existing one: pulumi import)
    const gcrTopic = new pubsub.Topic(
        "gcr",
        { project, name: "gcr" },
        { protect: true, retainOnDelete: true, dependsOn: apis.need("pubsub.googleapis.com") },
    );
    const fireworker = s.fireworker
        ? new FireworkerImage("fireworker", {
              project,
              region: s.cloudBuild.region,
              ...bakeOf(s.fireworker),
              runtimeReference: runtime.reference,
              runtimeTaggedReference: runtime.taggedReference,
              registryHost: registry.host,
              workerServiceAccountEmail: accounts.fireworker.email,
              bakerServiceAccountEmail: accounts.baker.email,
              rebake: { topic: pulumi.interpolate`projects/${project}/topics/${gcrTopic.name}`, runtimeImage },
              bakeAfter: [
                  ...apis.need("cloudbuild.googleapis.com", "compute.googleapis.com", "logging.googleapis.com"),
                  ...accounts.bakeGrants,
              ],
          })
        : undefined;
    const outputs: TeamOutputs = {
        registryHost: registry.host,
        teamRepository: registry.teamPath,
        developerRepository: registry.developerPath,
        runtimeReference: runtime.reference,
        runtimeTaggedReference: runtime.taggedReference,
        applicationReference: application.reference,
        developerBuildServiceAccount: accounts.developerBuild.email,
        fireworkerServiceAccount: accounts.fireworker.email,
        sourceBucket: accounts.sourceBucket.name,
        bakerServiceAccount: accounts.baker.email,
        fireworkerImage: fireworker?.imageName,
        fireworkerFamily: fireworker?.family,
        wheelhouseBucket: wheelhouse?.bucket.name,
    };
    return outputs;
}

/** Only the developer's own `<id>-*` images; shared things come from the team stack. */
function developerStack(s: DeveloperSettings, b: Builds, base: RuntimeBaseArgs): Record<string, unknown> {
    const team = new pulumi.StackReference("team", {
        name: s.teamStack ?? defaultTeamStack(pulumi.getOrganization(), pulumi.getProject()),
    });
    const out = (k: keyof TeamOutputs) => team.requireOutput(k) as pulumi.Output<string>;
    const repository = out("developerRepository");
    const builder: CloudBuilder = {
        kind: "cloudbuild",
        project: s.gcp.project,
        region: s.cloudBuild.region,
        serviceAccountEmail: out("developerBuildServiceAccount"),
        sourceBucket: out("sourceBucket"),
    };
    const movingTags = [s.movingTag];
    const ownRuntime = repository.apply((r) => developerImage(r, s.developer, s.runtime.name));
    const runtime = s.experimentalRuntime
        ? new RuntimeImage("runtime", {
              builder,
              prepared: b.runtime,
              image: ownRuntime,
              ...base,
              movingTags,
              // the developer's own previous runtime, else the team's (by digest)
              cacheFrom: [pulumi.interpolate`${ownRuntime}:${s.movingTag}`, out("runtimeReference")],
              // the team's wheelhouse, read only (none when the team stack keeps none)
              wheelhouse: { bucket: team.getOutput("wheelhouseBucket") as pulumi.Output<string>, store: false },
              secret: s.secrets.includes("runtime"),
          })
        : undefined;
    const runtimeReference = runtime ? runtime.reference : out("runtimeReference");
    const application = new ApplicationImage("application", {
        builder,
        prepared: b.application,
        image: repository.apply((r) => developerImage(r, s.developer, s.application.name)),
        runtimeReference,
        movingTags,
        secret: s.secrets.includes("application"),
    });
    // settings give a developer stack a bake only with an experimental runtime
    const fireworker =
        runtime && s.fireworker
            ? new FireworkerImage("fireworker", {
                  project: s.gcp.project,
                  region: s.cloudBuild.region,
                  ...bakeOf(s.fireworker),
                  runtimeReference: runtime.reference,
                  runtimeTaggedReference: runtime.taggedReference,
                  registryHost: out("registryHost"),
                  workerServiceAccountEmail: out("fireworkerServiceAccount"),
                  bakerServiceAccountEmail: out("bakerServiceAccount"),
              })
            : undefined;
    return {
        developer: s.developer,
        runtimeReference,
        runtimeExperimental: s.experimentalRuntime,
        applicationReference: application.reference,
        applicationFriendlyReference: pulumi.interpolate`${application.image}:${s.movingTag}`,
        ...(fireworker ? { fireworkerImage: fireworker.imageName, fireworkerFamily: fireworker.family } : {}),
    };
}

/** No cloud at all: the same builds on the local Docker engine. */
function localStack(s: LocalSettings, b: Builds, base: RuntimeBaseArgs): Record<string, unknown> {
    const builder = { kind: "docker" as const, push: s.localRegistryHost !== undefined };
    const movingTags = [s.movingTag];
    const runtime = new RuntimeImage("runtime", {
        builder,
        prepared: b.runtime,
        image: localImage(s.localRegistryHost, s.runtime.name),
        ...base,
        movingTags,
        secret: s.secrets.includes("runtime"),
    });
    const application = new ApplicationImage("application", {
        builder,
        prepared: b.application,
        image: localImage(s.localRegistryHost, s.application.name),
        runtimeReference: runtime.reference,
        movingTags,
        secret: s.secrets.includes("application"),
    });
    return {
        runtimeReference: runtime.reference,
        applicationReference: application.reference,
        applicationTaggedReference: application.taggedReference,
        runCommand: pulumi.interpolate`docker run --rm --user "$(id -u):$(id -g)" ${application.taggedReference}`,
    };
}

/** What the runtime builds FROM, as RuntimeImage takes it. */
type RuntimeBaseArgs = Pick<RuntimeImageArgs, "base" | "baseTag">;

/**
 * What the runtime builds FROM, resolved before any build is declared: a base named by tag is
 * resolved to its digest (BaseImage: its registry for cloud stacks, the local Docker engine for
 * the local stack), so the digest goes into the build args and the content hash and the plan
 * shows both; a digest is used as it is. A brought Dockerfile whose `ARG from=` default is a
 * digest keeps it. A base that cannot be resolved stops the plan with one line (a RunError).
 */
async function runtimeBase(runtime: PreparedBuild, resolver: BaseResolver): Promise<RuntimeBaseArgs> {
    const base = runtime.base;
    if (!base?.passAsFrom) {
        return {};
    }
    if (!base.resolve) {
        return { base: base.reference };
    }
    const image = new BaseImage("runtime-base", { reference: base.reference, setting: base.setting, resolver });
    return { base: (await image.resolved).reference, baseTag: base.reference };
}

/** A stack's bake settings as the FireworkerImage component takes them. */
function bakeOf(f: NonNullable<TeamSettings["fireworker"]>) {
    const { family, ...options } = f;
    return { family, options };
}
