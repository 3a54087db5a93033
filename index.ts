/**
 * fireworker-images: reads the stack's settings (all validated before any resource) and
 * wires the components for the stack's kind: team, developer or local.
 */
import { pubsub } from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ApplicationImage } from "./components/applicationImage";
import { BuildTriggers } from "./components/buildTriggers";
import { FireworkerImage } from "./components/fireworkerImage";
import { ImageRegistry } from "./components/imageRegistry";
import { PipelineAccounts } from "./components/pipelineAccounts";
import { RuntimeImage } from "./components/runtimeImage";
import { SettingsError } from "./lib/errors";
import { prepareApplication, prepareRuntime, PreparedBuild } from "./lib/imageBuild";
import { imageNames, runtimeRepositoryHint } from "./lib/naming";
import { loadSettings, Settings } from "./lib/settings";
import { TeamOutputs } from "./lib/teamOutputs";

const projectRoot = __dirname;

export = async (): Promise<Record<string, unknown>> => {
    let settings: Settings;
    let runtime: PreparedBuild;
    let application: PreparedBuild;
    try {
        settings = loadSettings(pulumi.runtime.allConfig(), { stack: pulumi.getStack(), projectRoot });
        runtime = await prepareRuntime(settings, projectRoot);
        application = await prepareApplication(settings, projectRoot, runtimeRepositoryHint(settings));
    } catch (err) {
        // one line per problem, no stack trace, and nothing declared yet
        if (err instanceof SettingsError) {
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }
    const builds = { runtime, application };
    switch (settings.mode) {
        case "team":
            return teamStack(settings, builds);
        case "developer":
            return developerStack(settings, builds);
        case "local":
            return localStack(settings, builds);
    }
};

interface Builds {
    runtime: PreparedBuild;
    application: PreparedBuild;
}

/** Everything shared: registry, identities, team images, triggers and the Fireworker disk image. */
function teamStack(s: Settings, b: Builds): Record<string, unknown> {
    const gcp = s.gcp!;
    const registry = new ImageRegistry("registry", {
        project: gcp.project,
        location: s.registry.location!,
        teamRepositoryId: s.registry.teamRepository,
        developerRepositoryId: s.registry.developerRepository,
        cleanupPolicies: s.registry.cleanupPolicies,
    });
    const nightly = s.triggers.repository !== undefined && s.triggers.nightlySchedule !== undefined;
    const accounts = new PipelineAccounts("accounts", {
        project: gcp.project,
        region: gcp.region,
        registry,
        developers: s.registry.developers,
        nightly,
    });
    const names = imageNames(s, { team: registry.teamPath });
    const cloud = {
        builder: "cloudbuild" as const,
        serviceAccountEmail: accounts.build.email,
        sourceBucket: accounts.sourceBucket.name,
        settings: s,
    };
    const runtime = new RuntimeImage("runtime", { ...cloud, prepared: b.runtime, image: names.runtime });
    const application = new ApplicationImage("application", {
        ...cloud,
        prepared: b.application,
        image: names.application,
        runtimeReference: runtime.reference,
    });
    if (s.triggers.repository) {
        new BuildTriggers("triggers", {
            project: gcp.project,
            region: s.cloudBuild.region!,
            repository: s.triggers.repository,
            connection: s.triggers.connection,
            branch: s.triggers.branch,
            stack: s.stack,
            stackFile: `stacks/Pulumi.${s.stack}.yaml`,
            projectRoot,
            runtime: b.runtime,
            application: b.application,
            runtimeReference: runtime.reference,
            serviceAccountEmail: accounts.build.email,
            nightly: nightly
                ? {
                      schedule: s.triggers.nightlySchedule!,
                      image: `${registry.developerPath}/nightly-${s.application.name}`,
                      schedulerServiceAccountEmail: accounts.nightly!.email,
                  }
                : undefined,
        });
    }
    // Artifact Registry publishes pushes to `gcr`; protected and kept (an existing one: pulumi import)
    const gcrTopic = new pubsub.Topic(
        "gcr",
        { project: gcp.project, name: "gcr" },
        { protect: true, retainOnDelete: true },
    );
    const fireworker = s.fireworker.enabled
        ? new FireworkerImage("fireworker", {
              settings: s,
              family: s.fireworker.family,
              runtimeReference: runtime.reference,
              runtimeTaggedReference: runtime.taggedReference,
              registryHost: registry.host,
              workerServiceAccountEmail: accounts.fireworker.email,
              bakerServiceAccountEmail: accounts.baker.email,
              rebake: {
                  topic: pulumi.interpolate`projects/${gcp.project}/topics/${gcrTopic.name}`,
                  runtimeImage: names.runtime,
              },
              bakeAfter: [accounts],
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
    };
    return outputs;
}

/** Only the developer's own `<id>-*` images; shared things come from the team stack. */
function developerStack(s: Settings, b: Builds): Record<string, unknown> {
    const team = new pulumi.StackReference("team", { name: s.teamStack });
    const out = (k: keyof TeamOutputs) => team.requireOutput(k) as pulumi.Output<string>;
    const names = out("developerRepository").apply((developer) => imageNames(s, { developer }));
    const cloud = {
        builder: "cloudbuild" as const,
        serviceAccountEmail: out("developerBuildServiceAccount"),
        sourceBucket: out("sourceBucket"),
        settings: s,
    };
    const runtime = s.runtime.experimental
        ? new RuntimeImage("runtime", { ...cloud, prepared: b.runtime, image: names.runtime })
        : undefined;
    const application = new ApplicationImage("application", {
        ...cloud,
        prepared: b.application,
        image: names.application,
        runtimeReference: runtime ? runtime.reference : out("runtimeReference"),
    });
    // settings allow fireworker.enabled in a developer stack only with an experimental runtime
    const fireworker =
        runtime && s.fireworker.enabled
            ? new FireworkerImage("fireworker", {
                  settings: s,
                  family: `${s.fireworker.family}-${s.developer}`,
                  runtimeReference: runtime.reference,
                  runtimeTaggedReference: runtime.taggedReference,
                  registryHost: out("registryHost"),
                  workerServiceAccountEmail: out("fireworkerServiceAccount"),
                  bakerServiceAccountEmail: out("bakerServiceAccount"),
              })
            : undefined;
    return {
        developer: s.developer,
        runtimeReference: runtime ? runtime.reference : out("runtimeReference"),
        runtimeExperimental: s.runtime.experimental,
        applicationReference: application.reference,
        applicationFriendlyReference: pulumi.interpolate`${application.image}:${s.application.friendlyTag}`,
        ...(fireworker ? { fireworkerImage: fireworker.imageName, fireworkerFamily: fireworker.family } : {}),
    };
}

/** No cloud at all: the same builds on the local Docker engine. */
function localStack(s: Settings, b: Builds): Record<string, unknown> {
    const names = imageNames(s, {});
    const local = { builder: "docker" as const, settings: s };
    const runtime = new RuntimeImage("runtime", { ...local, prepared: b.runtime, image: names.runtime });
    const application = new ApplicationImage("application", {
        ...local,
        prepared: b.application,
        image: names.application,
        runtimeReference: runtime.reference,
    });
    return {
        runtimeReference: runtime.reference,
        applicationReference: application.reference,
        applicationTaggedReference: application.taggedReference,
        runCommand: pulumi.interpolate`docker run --rm --user "$(id -u):$(id -g)" ${application.taggedReference}`,
    };
}
