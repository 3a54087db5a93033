import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { cloudBuildYaml } from "../lib/cloudbuild";
import { finalizeBuild, PreparedBuild } from "../lib/imageBuild";
import { BuildResult, specToEnvironment } from "../lib/runBuild";
import type { Settings } from "../lib/settings";

/** Runs builds from the project root; relative, so plans hold no machine path. */
export const BUILD_COMMAND = "node --require ts-node/register/transpile-only scripts/build-image.ts";

export interface ImageBuildArgs {
    settings: Settings;
    /** The build with its context read and hashed (lib/imageBuild.ts). */
    prepared: PreparedBuild;
    /** Repository the image goes to, without tag. */
    image: pulumi.Input<string>;
    /** The image built FROM: the base image, or the runtime's `repository@sha256:...`. */
    from: pulumi.Input<string>;
    /** `docker` builds on the local engine; `cloudbuild` submits to Google Cloud Build. */
    builder: "docker" | "cloudbuild";
    /** Service account email the Cloud Build build runs as. */
    serviceAccountEmail?: pulumi.Input<string>;
    /** Bucket the Cloud Build sources are uploaded to. */
    sourceBucket?: pulumi.Input<string>;
}

/**
 * One image build: a `command.local.Command` that runs `scripts/build-image.ts` with the
 * whole build in its environment. Its trigger is the content hash, so it runs exactly when
 * the context, Dockerfile, build args or build settings change. Base of RuntimeImage and
 * ApplicationImage.
 */
export abstract class ImageBuild extends pulumi.ComponentResource {
    /** Repository without tag. */
    readonly image: pulumi.Output<string>;
    /** Content hash of everything that shapes the image. */
    readonly contentHash: pulumi.Output<string>;
    /** Tags pushed, the immutable content tag first. */
    readonly tags: pulumi.Output<string[]>;
    /** `sha256:...` of the pushed image (the local image id when nothing is pushed). */
    readonly digest: pulumi.Output<string>;
    /** `repository@sha256:...`: what to build FROM or pull by digest. */
    readonly reference: pulumi.Output<string>;
    /** `repository:<content tag>`. */
    readonly taggedReference: pulumi.Output<string>;

    protected constructor(type: string, name: string, args: ImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        const s = args.settings;
        const final = pulumi
            .all([args.image, args.from, args.serviceAccountEmail, args.sourceBucket])
            .apply(([image, from, sa, bucket]) => ({
                image,
                bucket,
                ...finalizeBuild(
                    args.prepared,
                    s,
                    image,
                    from,
                    sa ? `projects/${s.gcp?.project}/serviceAccounts/${sa}` : undefined,
                ),
            }));
        const environment = final.apply((f) =>
            specToEnvironment({
                builder: args.builder,
                image: f.image,
                tags: f.tags,
                contextDigest: args.prepared.contextDigest,
                context: args.prepared.context,
                dockerfile: args.prepared.dockerfile,
                buildArgs: f.buildArgs,
                push: args.builder === "cloudbuild" || (s.mode === "local" && s.registry.localHost !== undefined),
                ...(args.builder === "cloudbuild"
                    ? {
                          cloudBuildConfig: cloudBuildYaml(f.cloudBuild),
                          project: s.gcp?.project,
                          region: s.cloudBuild.region,
                          stagingDir: f.bucket ? `gs://${f.bucket}/source` : undefined,
                      }
                    : {}),
            }),
        );
        const build = new command.local.Command(
            `${name}-build`,
            {
                create: BUILD_COMMAND,
                environment,
                triggers: [final.contentHash],
                // stdout is the one-line result; build logs (stderr) show in `pulumi up`
                logging: "stderr",
            },
            { parent: this },
        );
        const result = build.stdout.apply((out) => JSON.parse(out.trim().split("\n").pop() ?? "{}") as BuildResult);
        this.image = final.image;
        this.contentHash = final.contentHash;
        this.tags = final.tags;
        this.digest = result.digest;
        this.reference = result.reference;
        this.taggedReference = pulumi.interpolate`${final.image}:${final.tags[0]}`;
        this.registerOutputs({
            image: this.image,
            contentHash: this.contentHash,
            tags: this.tags,
            digest: this.digest,
            reference: this.reference,
        });
    }
}
