import type * as pulumi from "@pulumi/pulumi";
import { ImageBuild, type ImageBuildArgs } from "./imageBuild";

export interface RuntimeImageArgs extends Omit<ImageBuildArgs, "from" | "fromTag"> {
    /**
     * The base image (a Debian-based Python image; never Alpine: musl changes floating-point
     * results), passed as the Dockerfile's `from`: `repository@sha256:...`, as a digest setting
     * names it or as BaseImage resolves a tag at plan time. The settings check it before any
     * resource exists. @default the Dockerfile's own `ARG from` default
     */
    base?: pulumi.Input<string>;
    /** The tag `base` was resolved from (shown in the plan beside its digest). @default none: `base` is as set */
    baseTag?: string;
}

/**
 * The runtime image: the base Python image plus apt packages and pip requirements. Slow to
 * build and rebuilt rarely: its context is only the Dockerfile and requirements.txt (or what a
 * brought Dockerfile COPYs), so a payload change never touches it.
 */
export class RuntimeImage extends ImageBuild {
    constructor(name: string, args: RuntimeImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:images:RuntimeImage", name, { ...args, from: args.base, fromTag: args.baseTag }, opts);
    }
}
