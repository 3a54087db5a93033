import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Bake, BakeScripts, bakeYaml, readBakeScripts, rebakeTrigger, renderBake, triggerBuildOf } from "../lib/bake";
import type { Settings } from "../lib/settings";

/** Runs bakes from the project root; relative, so plans hold no machine path. */
export const BAKE_COMMAND = "node --require ts-node/register/transpile-only scripts/bake-image.ts";

export interface FireworkerImageArgs {
    settings: Settings;
    /** Image family: the team's `fireworker.family`, or `<family>-<id>` for a developer. */
    family: string;
    /** The runtime to preload, by digest: `REPOSITORY@sha256:DIGEST`. */
    runtimeReference: pulumi.Input<string>;
    /** What workers pull, `REPOSITORY:TAG` (the runtime's content tag), same repository. */
    runtimeTaggedReference: pulumi.Input<string>;
    /** Registry host the builder VM logs in to (`LOCATION-docker.pkg.dev`). */
    registryHost: pulumi.Input<string>;
    /** Email of the pull-only account the builder VM runs as (`fireworker`). */
    workerServiceAccountEmail: pulumi.Input<string>;
    /** Email of the account the bake build runs as (`baker`). */
    bakerServiceAccountEmail: pulumi.Input<string>;
    /**
     * Team stack only: a Cloud Build trigger on this Pub/Sub topic (`projects/P/topics/gcr`)
     * re-bakes when a tag of `runtimeImage` (repository without tag) is pushed outside Pulumi.
     */
    rebake?: { topic: pulumi.Input<string>; runtimeImage: pulumi.Input<string> };
    /** Resources the first bake waits for (the baker's role grants). */
    bakeAfter?: pulumi.Input<pulumi.Resource>[];
    /** The bake and preload scripts (default: read from scripts/). */
    scripts?: BakeScripts;
}

/**
 * The Fireworker disk image: a preloaded runtime baked server-side by one Cloud Build job
 * (lib/bake.ts, scripts/fireworker-bake.sh). Its name hashes everything that shapes it, so
 * `pulumi up` bakes exactly when that changes (the command's trigger) and a bake of an
 * existing image ends at once. In the team stack a Pub/Sub trigger re-bakes on runtime pushes
 * made outside Pulumi. Images are never deleted by Pulumi: the bake prunes its family.
 */
export class FireworkerImage extends pulumi.ComponentResource {
    /** `<family>-<hash>`: the image this stack's runtime bakes into. */
    readonly imageName: pulumi.Output<string>;
    readonly family: string;
    /** The bake's Cloud Build config (YAML) as submitted. */
    readonly configYaml: pulumi.Output<string>;
    readonly bake: command.local.Command;
    readonly trigger?: gcp.cloudbuild.Trigger;

    constructor(name: string, args: FireworkerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:fireworker:FireworkerImage", name, {}, opts);
        const s = args.settings;
        const project = s.gcp!.project;
        const scripts = args.scripts ?? readBakeScripts();
        const rendered: pulumi.Output<Bake> = pulumi
            .all([
                args.runtimeReference,
                args.runtimeTaggedReference,
                args.registryHost,
                args.workerServiceAccountEmail,
                args.bakerServiceAccountEmail,
            ])
            .apply(([runtimeReference, runtimeTaggedReference, registryHost, worker, baker]) =>
                renderBake(
                    {
                        project,
                        family: args.family,
                        fireworker: s.fireworker,
                        registryHost,
                        runtimeReference,
                        runtimeTaggedReference,
                        workerServiceAccount: worker,
                        bakerServiceAccount: baker,
                    },
                    scripts,
                ),
            );
        this.family = args.family;
        this.imageName = rendered.imageName;
        this.configYaml = rendered.apply((b) => bakeYaml(b.config));
        this.bake = new command.local.Command(
            `${name}-bake`,
            {
                create: BAKE_COMMAND,
                environment: {
                    FW_BAKE_IMAGE: this.imageName,
                    FW_BAKE_FAMILY: args.family,
                    FW_BAKE_CONFIG: this.configYaml,
                    FW_GCP_PROJECT: project,
                    FW_CLOUDBUILD_REGION: s.cloudBuild.region ?? "",
                },
                // a new image name (runtime, scripts or image-shaping settings) bakes again
                triggers: [this.imageName],
                logging: "stderr",
            },
            { parent: this, dependsOn: args.bakeAfter },
        );
        if (args.rebake) {
            const on = pulumi.output(args.rebake.runtimeImage).apply(rebakeTrigger);
            this.trigger = new gcp.cloudbuild.Trigger(
                `${name}-rebake`,
                {
                    project,
                    location: s.cloudBuild.region,
                    name: `bake-${args.family}`,
                    description: `Bakes the ${args.family} disk image when the runtime is pushed (managed by fireworker-images)`,
                    pubsubConfig: { topic: args.rebake.topic },
                    filter: on.filter,
                    substitutions: on.substitutions,
                    build: rendered.apply((b) => triggerBuildOf(b.config)),
                    serviceAccount: pulumi.interpolate`projects/${project}/serviceAccounts/${args.bakerServiceAccountEmail}`,
                    tags: ["fireworker-bake"],
                },
                { parent: this },
            );
        }
        this.registerOutputs({ imageName: this.imageName, family: this.family });
    }
}
