import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { buildResultSchema, buildSpecOf, buildSpecToEnvironment } from "../lib/build/buildSpec";
import { cloudBuildYaml } from "../lib/build/cloudBuildConfig";
import { finalizeBuild, type PreparedBuild } from "../lib/build/prepareBuild";
import { parseResultLine } from "../lib/commands/handoff";
import { serviceAccountResource, sourceStagingDir } from "../lib/names";

/** Runs builds from the project root; relative, so plans hold no machine path. */
export const BUILD_COMMAND = "node --require ts-node/register/transpile-only scripts/build-image.ts";

/**
 * A local build's delete: the image stays (FW_IMAGE and FW_TAGS are the build's environment,
 * which the delete runs with too), and the line says so.
 */
export const KEPT_COMMAND =
    'echo "build-image: kept $FW_IMAGE:${FW_TAGS%%,*}: destroy and replacements leave images in Docker (docker rmi removes one)" >&2';

/** Builds on the local Docker engine. */
export interface DockerBuilder {
    kind: "docker";
    /** Push to the registry the image name starts with (else the image stays in the engine). */
    push: boolean;
}

/** Builds on Google Cloud Build, from a packed context uploaded to a bucket. */
export interface CloudBuilder {
    kind: "cloudbuild";
    project: string;
    /** Region the build runs in. */
    region: string;
    /** E-mail of the service account the build runs as. */
    serviceAccountEmail: pulumi.Input<string>;
    /** Bucket the packed context is uploaded to (under `source/`). */
    sourceBucket: pulumi.Input<string>;
    /**
     * What a build waits for: the APIs it calls and the grants its accounts need (the build
     * also retries permission errors for a while, as new grants take minutes to propagate).
     * @default none
     */
    dependsOn?: pulumi.Resource[];
}

export interface ImageBuildArgs {
    /** The build with its context read, linted and hashed (lib/build/prepareBuild.ts). */
    prepared: PreparedBuild;
    /** Repository the image goes to, without tag. */
    image: pulumi.Input<string>;
    /**
     * The image built FROM: the base image, or the runtime's `repository@sha256:...`.
     * @default the Dockerfile's own `ARG from` default
     */
    from?: pulumi.Input<string>;
    /**
     * The base by tag when `from` is the digest it was resolved to at plan time (BaseImage): the
     * plan shows both, so a base update is a visible change. @default none
     */
    fromTag?: string;
    /**
     * Tags pushed besides the content tag, for tasks that pull by tag. Never in the team
     * repository, whose tags are immutable. @default []
     */
    movingTags?: string[];
    /** Where the build runs. */
    builder: DockerBuilder | CloudBuilder;
    /**
     * Cloud Build: where the previous image may be (`repository`, `repository:tag` or
     * `repository@sha256:...`), in order; the build reuses the layers of the first that exists.
     * Never part of the content hash. @default none
     */
    cacheFrom?: pulumi.Input<string>[];
    /**
     * Cloud Build: the team's wheelhouse bucket, and whether this build stores what pip builds
     * there (team builds) or only reads it; used by a runtime with `runtime.wheelhouse`. Never
     * part of the content hash. @default none
     */
    wheelhouse?: { bucket: pulumi.Input<string>; store: boolean };
    /**
     * Whether its settings hold a secret: the command's environment (build args, labels, the
     * Dockerfile, the Cloud Build config) is then a secret in its inputs, state and previews.
     * @default false
     */
    secret?: boolean;
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
        const builder = args.builder;
        const cloud = builder.kind === "cloudbuild" ? builder : undefined;
        const final = pulumi
            .all([
                args.image,
                args.from,
                cloud?.serviceAccountEmail,
                cloud?.sourceBucket,
                pulumi.all(args.cacheFrom ?? []),
                args.wheelhouse?.bucket,
            ])
            .apply(([image, from, email, bucket, cacheFrom, wheelhouseBucket]) => ({
                image,
                bucket,
                cacheFrom,
                ...finalizeBuild(args.prepared, {
                    image,
                    from,
                    movingTags: args.movingTags ?? [],
                    serviceAccount: cloud && email ? serviceAccountResource(cloud.project, email) : undefined,
                    wheelhouse:
                        cloud && wheelhouseBucket && args.wheelhouse
                            ? { bucket: wheelhouseBucket, store: args.wheelhouse.store }
                            : undefined,
                }),
            }));
        const environment = final.apply((f) =>
            buildSpecToEnvironment({
                ...buildSpecOf(args.prepared, f, {
                    builder: builder.kind,
                    image: f.image,
                    push: builder.kind === "cloudbuild" || builder.push,
                    base: args.fromTag,
                }),
                ...(cloud && f.cacheFrom.length > 0 ? { cacheFrom: f.cacheFrom } : {}),
                ...(cloud
                    ? {
                          cloudBuildConfig: cloudBuildYaml(f.cloudBuild),
                          project: cloud.project,
                          region: cloud.region,
                          stagingDir: f.bucket ? sourceStagingDir(f.bucket) : undefined,
                      }
                    : {}),
            }),
        );
        const build = new command.local.Command(
            `${name}-build`,
            {
                create: BUILD_COMMAND,
                // a destroy or a replacement leaves the local image in place (a cache by content
                // tag), and says so; the image and its content tag come from the environment
                ...(builder.kind === "docker" ? { delete: KEPT_COMMAND } : {}),
                // Pulumi keeps secrets per input: the whole environment is the secret's carrier
                environment: args.secret ? pulumi.secret(environment) : environment,
                triggers: [final.contentHash],
                // stdout is the one-line result; build progress (stderr, bounded: the whole log
                // is a file) shows in `pulumi up`
                logging: "stderr",
                // the previous run's output is not passed back (it could exceed execve's limit)
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: cloud?.dependsOn },
        );
        const result = build.stdout.apply((out) => parseResultLine(buildResultSchema, out, `${name}-build`));
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
