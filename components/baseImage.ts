import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import {
    type BaseResolver,
    digestReference,
    isArtifactRegistryHost,
    type ResolvedBase,
    type RuntimeBase,
    registryHostOf,
    resolutionFailure,
    resolvedProblem,
} from "../lib/build/baseReference";

/** Resolves a base on the local engine, from the project root; relative, so plans hold no machine path. */
export const RESOLVE_COMMAND = "node --require ts-node/register/transpile-only scripts/resolve-base.ts";

/** Artifact Registry's user name for an OAuth access token. */
const ACCESS_TOKEN_USER = "oauth2accesstoken";

export interface BaseImageArgs {
    /** The base by tag, as the settings or the Dockerfile name it, e.g. `python:3.11-slim-bookworm`. */
    reference: string;
    /** What names it, for the one-line failure: `runtime.base`, or `runtime.dockerfile` (its `ARG from=`). */
    setting: RuntimeBase["setting"];
    /**
     * Where it is resolved: `registry` asks the registry that serves it, with `@pulumi/docker` (team
     * and developer stacks; Artifact Registry with the Google client's access token, any other
     * anonymously); `engine` asks the local Docker engine, pulling it when absent (the local stack,
     * through the command provider: no extra provider plugin).
     */
    resolver: BaseResolver;
}

/**
 * A base image resolved to its digest at every plan (preview and up alike), so the runtime builds
 * FROM `repository@sha256:...` and its content hash names exactly one base: a base republished
 * under the same tag is a visible change of the plan that rebuilds the runtime, then the
 * application. A base that does not exist, or a registry that refuses, stops the plan with one
 * line naming the setting and the registry's answer.
 */
export class BaseImage extends pulumi.ComponentResource {
    /** The base as asked for, by tag. */
    readonly requested: string;
    /**
     * The resolution, for the program to await before it declares the builds: it rejects with a
     * `pulumi.RunError` whose message is the one line the plan stops with.
     */
    readonly resolved: Promise<ResolvedBase>;
    /** `sha256:...`: the registry's digest (the local engine's image id for an image never pulled). */
    readonly digest: pulumi.Output<string>;
    /** What to build FROM: `repository@sha256:...`, or the local image id. */
    readonly reference: pulumi.Output<string>;

    constructor(name: string, args: BaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:images:BaseImage", name, {}, opts);
        const fail = (answer: string) => new pulumi.RunError(resolutionFailure(args, args.resolver, answer));
        const answer = args.resolver === "engine" ? this.fromEngine(args) : this.fromRegistry(name, args);
        this.resolved = answer.then(
            (a) => {
                const problem = resolvedProblem(a);
                if (problem) {
                    throw fail(problem);
                }
                return a as ResolvedBase;
            },
            (err: unknown) => {
                throw pulumi.RunError.isInstance(err as Error)
                    ? err
                    : fail(err instanceof Error ? err.message : String(err));
            },
        );
        // the program awaits `resolved` and stops on its failure; the outputs only follow it
        const settled = this.resolved.then(
            (r) => r,
            () => ({ digest: "", reference: "" }),
        );
        this.requested = args.reference;
        this.digest = pulumi.output(settled.then((r) => r.digest));
        this.reference = pulumi.output(settled.then((r) => r.reference));
        this.registerOutputs({ requested: this.requested, digest: this.digest, reference: this.reference });
    }

    /** The registry's answer through `@pulumi/docker`, on an explicit provider with only the auth it needs. */
    private async fromRegistry(name: string, args: BaseImageArgs): Promise<unknown> {
        const host = registryHostOf(args.reference);
        const registryAuth = isArtifactRegistryHost(host)
            ? [
                  {
                      address: host,
                      username: ACCESS_TOKEN_USER,
                      password: pulumi.secret(gcp.organizations.getClientConfigOutput({ parent: this }).accessToken),
                  },
              ]
            : undefined;
        const provider = new docker.Provider(`${name}-registry`, registryAuth ? { registryAuth } : {}, {
            parent: this,
        });
        const image = await docker.getRegistryImage({ name: args.reference }, { provider, parent: this });
        return { digest: image.sha256Digest, reference: digestReference(args.reference, image.sha256Digest) };
    }

    /** The local engine's answer: scripts/resolve-base.ts prints one JSON line, `{"problem"}` on failure. */
    private async fromEngine(args: BaseImageArgs): Promise<unknown> {
        const run = await command.local.run(
            // stdout is the result line, which says what failed: nothing else is shown
            { command: RESOLVE_COMMAND, environment: { FW_BASE: args.reference }, logging: "none" },
            { parent: this },
        );
        const last = run.stdout.trim().split("\n").pop() ?? "";
        let answer: unknown;
        try {
            answer = JSON.parse(last);
        } catch {
            throw new Error(`resolve-base printed no result line: ${JSON.stringify(last.slice(0, 200))}`);
        }
        const problem = (answer as { problem?: unknown } | null)?.problem;
        if (typeof problem === "string") {
            throw new Error(problem);
        }
        return answer;
    }
}
