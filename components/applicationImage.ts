import type * as pulumi from "@pulumi/pulumi";
import { ImageBuild, type ImageBuildArgs } from "./imageBuild";

export interface ApplicationImageArgs extends Omit<ImageBuildArgs, "from"> {
    /**
     * The runtime to build FROM, as `repository@sha256:...` (never a moving tag), so a new
     * runtime rebuilds the application and nothing else does by accident.
     */
    runtimeReference: pulumi.Input<string>;
}

/**
 * The application image: a thin layer of the lab's code FROM the runtime, carrying git
 * metadata as ENV and labels. Rebuilt often, so it uploads only the filtered payload.
 */
export class ApplicationImage extends ImageBuild {
    constructor(name: string, args: ApplicationImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:images:ApplicationImage", name, { ...args, from: args.runtimeReference }, opts);
    }
}
