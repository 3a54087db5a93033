import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { wheelhouseBucketName } from "../lib/names";

export interface WheelhouseBucketArgs {
    project: string;
    /** Where the bucket is: the region the builds run in. */
    location: string;
    /**
     * Days a kept wheel lives. A wheel still in use is built again once after that, and kept
     * again; old build environments' wheels go away by themselves. @default 90
     */
    keepDays?: number;
    /** What the bucket waits for (the Storage API). @default none */
    dependsOn?: pulumi.Resource[];
}

/**
 * The team's wheelhouse (lib/build/wheelhouse.ts): a private bucket holding, under one folder
 * per build environment, the wheels pip built from source in runtime builds. Only the team's
 * build account writes it (`grantWrite`: create and read, never replace or delete: objects are
 * written once); developers' builds read it (`grantRead`). Protected: a `pulumi destroy` of the
 * team stack keeps it.
 */
export class WheelhouseBucket extends pulumi.ComponentResource {
    readonly bucket: gcp.storage.Bucket;
    private readonly prefix: string;
    private readonly after: pulumi.Resource[];

    constructor(name: string, args: WheelhouseBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:storage:WheelhouseBucket", name, {}, opts);
        this.prefix = name;
        this.after = args.dependsOn ?? [];
        this.bucket = new gcp.storage.Bucket(
            `${name}-bucket`,
            {
                project: args.project,
                name: wheelhouseBucketName(args.project),
                location: args.location,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                forceDestroy: false,
                lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.keepDays ?? 90 } }],
                labels: { "managed-by": "fireworker-images" },
            },
            { parent: this, protect: true, dependsOn: this.after },
        );
        this.registerOutputs({ bucket: this.bucket.name });
    }

    /** Lets `member` read the wheels (the builds of developers). */
    grantRead(name: string, member: pulumi.Input<string>): gcp.storage.BucketIAMMember[] {
        return [this.grant(`${name}-reader`, member, "roles/storage.objectViewer")];
    }

    /** Lets `member` read and add wheels, never replace or delete one (the team's build account). */
    grantWrite(name: string, member: pulumi.Input<string>): gcp.storage.BucketIAMMember[] {
        return [...this.grantRead(name, member), this.grant(`${name}-creator`, member, "roles/storage.objectCreator")];
    }

    private grant(name: string, member: pulumi.Input<string>, role: string): gcp.storage.BucketIAMMember {
        return new gcp.storage.BucketIAMMember(
            `${this.prefix}-${name}`,
            { bucket: this.bucket.name, role, member },
            { parent: this, dependsOn: this.after },
        );
    }
}
