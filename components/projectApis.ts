import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Api } from "../lib/project/apis";

export interface ProjectApisArgs {
    project: string;
    /** The APIs to enable (lib/project/apis.ts `apisFor`). */
    apis: readonly Api[];
}

/**
 * The Google APIs the team stack uses, enabled by Pulumi (only Service Usage must be on, as it
 * is in every new project). Never disabled on destroy: other things in the project may use
 * them. Every resource and command depends on the APIs it calls (`need`).
 */
export class ProjectApis extends pulumi.ComponentResource {
    private readonly services = new Map<Api, gcp.projects.Service>();

    constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:project:ProjectApis", name, {}, opts);
        for (const api of args.apis) {
            this.services.set(
                api,
                new gcp.projects.Service(
                    `${name}-${api.split(".")[0]}`,
                    {
                        project: args.project,
                        service: api,
                        disableOnDestroy: false,
                        disableDependentServices: false,
                    },
                    { parent: this },
                ),
            );
        }
        this.registerOutputs({ apis: [...args.apis] });
    }

    /** The services of these APIs, to depend on; an API this stack does not enable is an error. */
    need(...apis: Api[]): gcp.projects.Service[] {
        return apis.map((api) => {
            const s = this.services.get(api);
            if (!s) {
                throw new Error(`ProjectApis: ${api} is not enabled by this stack; add it to apisFor`);
            }
            return s;
        });
    }
}
