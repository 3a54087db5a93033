import * as pulumi from "@pulumi/pulumi";
import { ImageBuild, ImageBuildArgs } from "./imageBuild";

export type RuntimeImageArgs = Omit<ImageBuildArgs, "from">;

/**
 * The runtime image: the base Python image plus apt packages and pip requirements. Slow to
 * build and rebuilt rarely: its context is only the Dockerfile and requirements.txt (or what a
 * brought Dockerfile COPYs), so a payload change never touches it.
 */
export class RuntimeImage extends ImageBuild {
    constructor(name: string, args: RuntimeImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:images:RuntimeImage", name, { ...args, from: args.settings.runtime.base }, opts);
    }
}
