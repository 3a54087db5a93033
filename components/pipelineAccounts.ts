import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT_IDS, sourceBucketName } from "../lib/names";
import type { ImageRegistry } from "./imageRegistry";

export interface PipelineAccountsArgs {
    project: string;
    /** Region of the build source bucket. */
    region: string;
    /** The registry whose repositories the accounts are granted on. */
    registry: ImageRegistry;
    /** `user:` / `group:` members who run developer stacks. */
    developers: string[];
    /** Make the account Cloud Scheduler uses to start the nightly build. @default false */
    nightly?: boolean;
}

/** A dedicated service account, protected and kept on delete (workers depend on it). */
function account(
    scope: pulumi.Resource,
    name: string,
    project: string,
    accountId: string,
    displayName: string,
): gcp.serviceaccount.Account {
    return new gcp.serviceaccount.Account(
        name,
        { project, accountId, displayName, description: `${displayName} (managed by fireworker-images)` },
        { parent: scope, protect: true, retainOnDelete: true },
    );
}

/**
 * The pipeline's identities, each with only what it needs (no primitive roles, no public
 * members, non-authoritative grants only):
 * - `build`: team Cloud Build builds (push to both repositories, write logs, read sources);
 * - `developerBuild`: developers' Cloud Build builds (push to the developer repository only);
 * - `fireworker`: the worker VMs and the disk-image builder VM (pull, write logs);
 * - `baker`: the Cloud Build job that bakes the Fireworker disk image (compute, see FireworkerImage).
 * Also the bucket that build sources are uploaded to (private, short-lived objects).
 */
export class PipelineAccounts extends pulumi.ComponentResource {
    readonly build: gcp.serviceaccount.Account;
    readonly developerBuild: gcp.serviceaccount.Account;
    readonly fireworker: gcp.serviceaccount.Account;
    readonly baker: gcp.serviceaccount.Account;
    /** Starts the nightly trigger (only with a nightly schedule). */
    readonly nightly?: gcp.serviceaccount.Account;
    readonly sourceBucket: gcp.storage.Bucket;
    private readonly prefix: string;

    constructor(name: string, args: PipelineAccountsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:iam:PipelineAccounts", name, {}, opts);
        this.prefix = name;
        const p = args.project;
        this.build = account(this, `${name}-build`, p, ACCOUNT_IDS.build, "Fireworker team image builds");
        this.developerBuild = account(
            this,
            `${name}-developer-build`,
            p,
            ACCOUNT_IDS.developerBuild,
            "Fireworker developer image builds",
        );
        this.fireworker = account(this, `${name}-fireworker`, p, ACCOUNT_IDS.worker, "Fireworker worker VMs");
        this.baker = account(this, `${name}-baker`, p, ACCOUNT_IDS.baker, "Fireworker disk image baker");

        const member = (sa: gcp.serviceaccount.Account) => pulumi.interpolate`serviceAccount:${sa.email}`;
        const reg = args.registry;
        reg.grantPush("build", member(this.build), ["team", "developer"]);
        reg.grantPush("developer-build", member(this.developerBuild), ["developer"]);
        reg.grantPull("developer-build", member(this.developerBuild), ["team"]);
        reg.grantPull("fireworker", member(this.fireworker), ["team", "developer"]);

        for (const [n, sa] of [
            ["build", this.build],
            ["developer-build", this.developerBuild],
            ["fireworker", this.fireworker],
            ["baker", this.baker],
        ] as const) {
            this.projectRole(`${n}-log-writer`, member(sa), "roles/logging.logWriter");
        }
        // The baker creates, stops and deletes the builder VM, makes and deprecates images,
        // and attaches the fireworker account to the builder VM (nothing else can it attach).
        this.projectRole("baker-instance-admin", member(this.baker), "roles/compute.instanceAdmin.v1");
        this.projectRole("baker-image-admin", member(this.baker), "roles/compute.storageAdmin");
        new gcp.serviceaccount.IAMMember(
            `${name}-baker-acts-as-fireworker`,
            {
                serviceAccountId: this.fireworker.name,
                role: "roles/iam.serviceAccountUser",
                member: member(this.baker),
            },
            { parent: this },
        );

        if (args.nightly) {
            // running a trigger is creating a build that runs as `build`
            this.nightly = account(
                this,
                `${name}-nightly`,
                p,
                ACCOUNT_IDS.nightly,
                "Fireworker nightly build scheduler",
            );
            this.projectRole("nightly-builds", member(this.nightly), "roles/cloudbuild.builds.editor");
            new gcp.serviceaccount.IAMMember(
                `${name}-nightly-acts-as-build`,
                {
                    serviceAccountId: this.build.name,
                    role: "roles/iam.serviceAccountUser",
                    member: member(this.nightly),
                },
                { parent: this },
            );
        }

        this.sourceBucket = new gcp.storage.Bucket(
            `${name}-build-source`,
            {
                project: p,
                name: sourceBucketName(p),
                location: args.region,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                forceDestroy: false,
                lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 7 } }],
                labels: { "managed-by": "fireworker-images" },
            },
            { parent: this, protect: true },
        );
        for (const [n, sa] of [
            ["build", this.build],
            ["developer-build", this.developerBuild],
        ] as const) {
            this.bucketRole(`${n}-source-reader`, member(sa), "roles/storage.objectViewer");
        }

        args.developers.forEach((dev) => {
            const id = dev.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
            reg.grantPush(`dev-${id}`, dev, ["developer"]);
            reg.grantPull(`dev-${id}`, dev, ["team"]);
            // to run their stack's builds: submit builds, upload sources, run them as developerBuild
            this.projectRole(`dev-${id}-builds`, dev, "roles/cloudbuild.builds.editor");
            this.bucketRole(`dev-${id}-source-writer`, dev, "roles/storage.objectCreator");
            new gcp.serviceaccount.IAMMember(
                `${name}-dev-${id}-acts-as-developer-build`,
                { serviceAccountId: this.developerBuild.name, role: "roles/iam.serviceAccountUser", member: dev },
                { parent: this },
            );
        });
        this.registerOutputs({
            build: this.build.email,
            developerBuild: this.developerBuild.email,
            fireworker: this.fireworker.email,
            baker: this.baker.email,
            sourceBucket: this.sourceBucket.name,
        });
    }

    private projectRole(name: string, member: pulumi.Input<string>, role: string): gcp.projects.IAMMember {
        return new gcp.projects.IAMMember(
            `${this.prefix}-${name}`,
            { project: this.build.project, role, member },
            { parent: this },
        );
    }

    private bucketRole(name: string, member: pulumi.Input<string>, role: string): gcp.storage.BucketIAMMember {
        return new gcp.storage.BucketIAMMember(
            `${this.prefix}-${name}`,
            { bucket: this.sourceBucket.name, role, member },
            { parent: this },
        );
    }
}
