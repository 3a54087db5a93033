import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { registryHost, repositoryPath } from "../lib/names";
import { type CleanupPolicy, cleanupPolicyInputs } from "../lib/registry/cleanupPolicies";
import { DEFAULT_CLEANUP_POLICIES, REGISTRY_DEFAULTS } from "../lib/settings/defaults";

export interface ImageRegistryArgs {
    project: string;
    /** Artifact Registry location (region or multi-region). */
    location: string;
    /** Repository id of the team's content-tagged images (immutable tags). @default "fireworker" */
    teamRepositoryId?: string;
    /** Repository id of the developers' `<id>-*` images (mutable tags, cleaned up). @default "fireworker-dev" */
    developerRepositoryId?: string;
    /**
     * Cleanup policies of the developer repository (at most 10).
     * @default untagged images older than 7 days and any older than 30 deleted; the 5 newest kept
     */
    cleanupPolicies?: readonly CleanupPolicy[];
    /** What the repositories wait for: the Artifact Registry API. @default none */
    dependsOn?: pulumi.Resource[];
}

/**
 * The team's Artifact Registry: one repository of immutable, content-tagged team images and
 * one of developer images with cleanup policies. Both are protected and retained on delete:
 * a `pulumi destroy` or a slip in code never deletes the team's images.
 */
export class ImageRegistry extends pulumi.ComponentResource {
    readonly team: gcp.artifactregistry.Repository;
    readonly developer: gcp.artifactregistry.Repository;
    /** `LOCATION-docker.pkg.dev`. */
    readonly host: string;
    /** `HOST/PROJECT/REPOSITORY` of each repository. */
    readonly teamPath: string;
    readonly developerPath: string;

    constructor(
        private readonly name: string,
        private readonly args: ImageRegistryArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("fireworker-images:registry:ImageRegistry", name, {}, opts);
        const teamId = args.teamRepositoryId ?? REGISTRY_DEFAULTS.teamRepository;
        const developerId = args.developerRepositoryId ?? REGISTRY_DEFAULTS.developerRepository;
        const keep = { parent: this, protect: true, retainOnDelete: true, dependsOn: args.dependsOn };
        const labels = { "managed-by": "fireworker-images" };
        this.team = new gcp.artifactregistry.Repository(
            `${name}-team`,
            {
                project: args.project,
                location: args.location,
                repositoryId: teamId,
                format: "DOCKER",
                description: "Team runtime and application images, tagged by content hash (immutable tags).",
                dockerConfig: { immutableTags: true },
                labels,
            },
            keep,
        );
        this.developer = new gcp.artifactregistry.Repository(
            `${name}-developer`,
            {
                project: args.project,
                location: args.location,
                repositoryId: developerId,
                format: "DOCKER",
                description: "Developers' <id>-* images; mutable tags, cleaned up by policy.",
                dockerConfig: { immutableTags: false },
                cleanupPolicyDryRun: false,
                cleanupPolicies: cleanupPolicyInputs(args.cleanupPolicies ?? DEFAULT_CLEANUP_POLICIES),
                labels,
            },
            keep,
        );
        this.host = registryHost(args.location);
        this.teamPath = repositoryPath(args.location, args.project, teamId);
        this.developerPath = repositoryPath(args.location, args.project, developerId);
        this.registerOutputs({ host: this.host, teamPath: this.teamPath, developerPath: this.developerPath });
    }

    /** Lets `member` pull from the given repositories (non-authoritative). */
    grantPull(
        name: string,
        member: pulumi.Input<string>,
        which: ("team" | "developer")[] = ["team", "developer"],
        opts: { dependsOn?: pulumi.Resource[] } = {},
    ): gcp.artifactregistry.RepositoryIamMember[] {
        return this.grant(name, member, "roles/artifactregistry.reader", which, opts);
    }

    /** Lets `member` push to (and pull from) the given repositories (non-authoritative). */
    grantPush(
        name: string,
        member: pulumi.Input<string>,
        which: ("team" | "developer")[] = ["team", "developer"],
        opts: { dependsOn?: pulumi.Resource[] } = {},
    ): gcp.artifactregistry.RepositoryIamMember[] {
        return this.grant(name, member, "roles/artifactregistry.writer", which, opts);
    }

    private grant(
        name: string,
        member: pulumi.Input<string>,
        role: string,
        which: ("team" | "developer")[],
        opts: { dependsOn?: pulumi.Resource[] },
    ): gcp.artifactregistry.RepositoryIamMember[] {
        return which.map(
            (w) =>
                new gcp.artifactregistry.RepositoryIamMember(
                    `${this.name}-${name}-${w}-${role.split(".").pop()}`,
                    {
                        project: this.args.project,
                        location: this.args.location,
                        repository: (w === "team" ? this.team : this.developer).repositoryId,
                        role,
                        member,
                    },
                    { parent: this, dependsOn: opts.dependsOn },
                ),
        );
    }
}
