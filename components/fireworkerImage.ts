import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import {
    BAKE_DEFAULTS,
    type Bake,
    type BakeOptions,
    bakeYaml,
    defaultZone,
    readBakeScripts,
    rebakeTrigger,
    renderBake,
    triggerBuildOf,
} from "../lib/bake/bakeConfig";
import { bakeSpecToEnvironment } from "../lib/bake/bakeSpec";
import type { BakeScripts } from "../lib/bake/imageName";
import { serviceAccountResource } from "../lib/names";

/** Runs bakes from the project root; relative, so plans hold no machine path. */
export const BAKE_COMMAND = "node --require ts-node/register/transpile-only scripts/bake-image.ts";

export interface FireworkerImageArgs {
    project: string;
    /** Region the bake build and the re-bake trigger run in. */
    region: string;
    /** Image family: the team's `fireworker.family`, or `<family>-<id>` for a developer. */
    family: string;
    /**
     * How the image is made: builder VM, source image, images kept, timeout.
     * @default BAKE_DEFAULTS (lib/bake/bakeConfig.ts), zone `<region>-b`
     */
    options?: Partial<BakeOptions>;
    /** The runtime to preload, by digest: `REPOSITORY@sha256:DIGEST`. */
    runtimeReference: pulumi.Input<string>;
    /** What workers pull, `REPOSITORY:TAG` (the runtime's content tag), same repository. */
    runtimeTaggedReference: pulumi.Input<string>;
    /** Registry host the builder VM logs in to (`LOCATION-docker.pkg.dev`). */
    registryHost: pulumi.Input<string>;
    /** E-mail of the pull-only account the builder VM runs as (`fw-worker`). */
    workerServiceAccountEmail: pulumi.Input<string>;
    /** E-mail of the account the bake build runs as (`fw-baker`). */
    bakerServiceAccountEmail: pulumi.Input<string>;
    /**
     * Team stack only: a Cloud Build trigger on this Pub/Sub topic (`projects/P/topics/gcr`)
     * re-bakes when a tag of `runtimeImage` (repository without tag) is pushed outside Pulumi.
     * @default no re-bake trigger
     */
    rebake?: { topic: pulumi.Input<string>; runtimeImage: pulumi.Input<string> };
    /**
     * What the bake and the re-bake trigger wait for: the APIs they call and the grants of the
     * baker and of the builder VM's account (its pull grant included). The bake also retries
     * permission errors for a while, as new grants take minutes to propagate. @default none
     */
    bakeAfter?: pulumi.Resource[];
    /** The bake and preload scripts. @default read from scripts/ */
    scripts?: BakeScripts;
}

/**
 * The Fireworker disk image: a preloaded runtime baked server-side by one Cloud Build job
 * (lib/bake/, scripts/fireworker-bake.sh). Its name hashes everything that shapes it, so
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
        const { project, region, family } = args;
        const options: BakeOptions = { ...BAKE_DEFAULTS, zone: defaultZone(region), ...args.options };
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
                        family,
                        options,
                        registryHost,
                        runtimeReference,
                        runtimeTaggedReference,
                        workerServiceAccount: worker,
                        bakerServiceAccount: baker,
                    },
                    scripts,
                ),
            );
        this.family = family;
        this.imageName = rendered.imageName;
        this.configYaml = rendered.apply((b) => bakeYaml(b.config));
        this.bake = new command.local.Command(
            `${name}-bake`,
            {
                create: BAKE_COMMAND,
                environment: pulumi
                    .all([this.imageName, this.configYaml])
                    .apply(([image, config]) => bakeSpecToEnvironment({ image, family, config, project, region })),
                // a new image name (runtime, scripts or image-shaping settings) bakes again
                triggers: [this.imageName],
                logging: "stderr",
                // the previous run's output is not passed back (it could exceed execve's limit)
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: args.bakeAfter },
        );
        if (args.rebake) {
            const on = pulumi.output(args.rebake.runtimeImage).apply(rebakeTrigger);
            this.trigger = new gcp.cloudbuild.Trigger(
                `${name}-rebake`,
                {
                    project,
                    location: region,
                    name: `bake-${family}`,
                    description: `Bakes the ${family} disk image when the runtime is pushed (managed by fireworker-images)`,
                    pubsubConfig: { topic: args.rebake.topic },
                    filter: on.filter,
                    substitutions: on.substitutions,
                    build: rendered.apply((b) => triggerBuildOf(b.config)),
                    serviceAccount: pulumi
                        .output(args.bakerServiceAccountEmail)
                        .apply((email) => serviceAccountResource(project, email)),
                    tags: ["fireworker-bake"],
                },
                { parent: this, dependsOn: args.bakeAfter },
            );
        }
        this.registerOutputs({ imageName: this.imageName, family: this.family });
    }
}
