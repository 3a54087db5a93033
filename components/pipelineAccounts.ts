import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT_IDS, sourceBucketName } from "../lib/names";
import {
    BAKER,
    BUILDER_VM_ADMIN,
    builderCondition,
    type CustomRole,
    DEVELOPER_BUILDS,
    SOURCE_UPLOADER,
    TRIGGER_RUNNER,
} from "../lib/project/customRoles";
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
    /**
     * Give `fw-baker` the compute rights of the bake, its builder VMs confined to these zones.
     * @default no compute rights (no bake)
     */
    bake?: { zones: string[] };
    /** What every resource here waits for: the APIs it calls (IAM, Resource Manager, Storage, ...). @default none */
    dependsOn?: pulumi.Resource[];
}

/**
 * The pipeline's identities, each with only what it needs (no primitive roles, no public
 * members, non-authoritative grants only; custom roles where no predefined role is that
 * narrow, lib/project/customRoles.ts):
 * - `build`: team Cloud Build builds (push to both repositories, write logs, read sources);
 * - `developerBuild`: developers' Cloud Build builds (push to the developer repository only);
 * - `fireworker`: the worker VMs and the disk-image builder VM (pull, write logs);
 * - `baker`: the Cloud Build job that bakes the Fireworker disk image (images, and its own
 *   `fwb-*` builder VMs only);
 * - developers: submit and follow builds (no triggers), upload sources, run builds as `developerBuild`.
 * Also the bucket that build sources are uploaded to (private, short-lived objects).
 *
 * The grant groups (`buildGrants`, `bakeGrants`, `nightlyGrants`) are what a build, a bake or
 * the schedule must wait for: depend on them, and retry permission errors while IAM propagates.
 */
export class PipelineAccounts extends pulumi.ComponentResource {
    readonly build: gcp.serviceaccount.Account;
    readonly developerBuild: gcp.serviceaccount.Account;
    readonly fireworker: gcp.serviceaccount.Account;
    readonly baker: gcp.serviceaccount.Account;
    /** Starts the nightly trigger (only with a nightly schedule). */
    readonly nightly?: gcp.serviceaccount.Account;
    readonly sourceBucket: gcp.storage.Bucket;
    /** Everything a team build (as `build`) needs: its grants, the bucket, the registry's. */
    readonly buildGrants: pulumi.Resource[] = [];
    /** Everything a bake (as `baker`, its VM as `fireworker`) needs. */
    readonly bakeGrants: pulumi.Resource[] = [];
    /** Everything the nightly schedule (as `nightly`) needs. */
    readonly nightlyGrants: pulumi.Resource[] = [];
    private readonly prefix: string;
    private readonly project: string;
    private readonly after: pulumi.Resource[];

    constructor(name: string, args: PipelineAccountsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:iam:PipelineAccounts", name, {}, opts);
        this.prefix = name;
        this.project = args.project;
        this.after = args.dependsOn ?? [];
        const p = args.project;
        this.build = this.account(`${name}-build`, ACCOUNT_IDS.build, "Fireworker team image builds");
        this.developerBuild = this.account(
            `${name}-developer-build`,
            ACCOUNT_IDS.developerBuild,
            "Fireworker developer image builds",
        );
        this.fireworker = this.account(`${name}-fireworker`, ACCOUNT_IDS.worker, "Fireworker worker VMs");
        this.baker = this.account(`${name}-baker`, ACCOUNT_IDS.baker, "Fireworker disk image baker");

        const member = (sa: gcp.serviceaccount.Account) => pulumi.interpolate`serviceAccount:${sa.email}`;
        const reg = args.registry;
        const registryOpts = { dependsOn: this.after };
        this.buildGrants.push(...reg.grantPush("build", member(this.build), ["team", "developer"], registryOpts));
        reg.grantPush("developer-build", member(this.developerBuild), ["developer"], registryOpts);
        reg.grantPull("developer-build", member(this.developerBuild), ["team"], registryOpts);
        this.bakeGrants.push(
            ...reg.grantPull("fireworker", member(this.fireworker), ["team", "developer"], registryOpts),
        );

        for (const [n, sa, group] of [
            ["build", this.build, this.buildGrants],
            ["developer-build", this.developerBuild, undefined],
            ["fireworker", this.fireworker, this.bakeGrants],
            ["baker", this.baker, this.bakeGrants],
        ] as const) {
            const g = this.projectRole(`${n}-log-writer`, member(sa), "roles/logging.logWriter");
            group?.push(g);
        }

        if (args.bake) {
            // The bake re-reads the runtime's tag (a pushed digest must be what the tag names),
            // makes and prunes images, and runs its own fwb-* builder VMs: nothing on any other VM.
            this.bakeGrants.push(
                ...reg.grantPull("baker", member(this.baker), ["team", "developer"], registryOpts),
                this.projectRole("baker-images", member(this.baker), this.customRole("baker", BAKER)),
                this.projectRole(
                    "baker-builder-vms",
                    member(this.baker),
                    this.customRole("builder-vm-admin", BUILDER_VM_ADMIN),
                    builderCondition(p, args.bake.zones),
                ),
                // the builder VM runs as the pull-only fireworker account, the only one it can attach
                this.actAs("baker-acts-as-fireworker", this.fireworker, member(this.baker)),
            );
        }

        if (args.nightly) {
            // running a trigger is creating a build that runs as `build`
            const nightly = this.account(`${name}-nightly`, ACCOUNT_IDS.nightly, "Fireworker nightly build scheduler");
            this.nightly = nightly;
            this.nightlyGrants.push(
                this.projectRole("nightly-builds", member(nightly), this.customRole("trigger-runner", TRIGGER_RUNNER)),
                this.actAs("nightly-acts-as-build", this.build, member(nightly)),
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
            { parent: this, protect: true, dependsOn: this.after },
        );
        this.buildGrants.push(
            this.sourceBucket,
            this.bucketRole("build-source-reader", member(this.build), "roles/storage.objectViewer"),
        );
        this.bucketRole("developer-build-source-reader", member(this.developerBuild), "roles/storage.objectViewer");

        const developerBuilds = args.developers.length > 0 ? this.customRole("developer-builds", DEVELOPER_BUILDS) : "";
        const uploader = args.developers.length > 0 ? this.customRole("source-uploader", SOURCE_UPLOADER) : "";
        for (const dev of args.developers) {
            const id = dev.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
            reg.grantPush(`dev-${id}`, dev, ["developer"], registryOpts);
            reg.grantPull(`dev-${id}`, dev, ["team"], registryOpts);
            // to run their stack's builds: submit and follow builds, upload sources, run them as developerBuild
            this.projectRole(`dev-${id}-builds`, dev, developerBuilds);
            this.bucketRole(`dev-${id}-source-uploader`, dev, uploader);
            this.actAs(`dev-${id}-acts-as-developer-build`, this.developerBuild, dev);
        }
        this.registerOutputs({
            build: this.build.email,
            developerBuild: this.developerBuild.email,
            fireworker: this.fireworker.email,
            baker: this.baker.email,
            sourceBucket: this.sourceBucket.name,
        });
    }

    /** A dedicated service account, protected and kept on delete (workers depend on it). */
    private account(name: string, accountId: string, displayName: string): gcp.serviceaccount.Account {
        return new gcp.serviceaccount.Account(
            name,
            {
                project: this.project,
                accountId,
                displayName,
                description: `${displayName} (managed by fireworker-images)`,
            },
            { parent: this, protect: true, retainOnDelete: true, dependsOn: this.after },
        );
    }

    /**
     * A project custom role, protected and kept: a deleted role's id cannot be used again for
     * up to 37 days. Returns its name for grants.
     */
    private customRole(name: string, role: CustomRole): pulumi.Output<string> {
        const r = new gcp.projects.IAMCustomRole(
            `${this.prefix}-${name}-role`,
            {
                project: this.project,
                roleId: role.roleId,
                title: role.title,
                description: role.description,
                permissions: [...role.permissions],
                stage: "GA",
            },
            { parent: this, protect: true, retainOnDelete: true, dependsOn: this.after },
        );
        return r.name;
    }

    private projectRole(
        name: string,
        member: pulumi.Input<string>,
        role: pulumi.Input<string>,
        condition?: gcp.types.input.projects.IAMMemberCondition,
    ): gcp.projects.IAMMember {
        return new gcp.projects.IAMMember(
            `${this.prefix}-${name}`,
            { project: this.project, role, member, ...(condition ? { condition } : {}) },
            { parent: this, dependsOn: this.after },
        );
    }

    private bucketRole(
        name: string,
        member: pulumi.Input<string>,
        role: pulumi.Input<string>,
    ): gcp.storage.BucketIAMMember {
        return new gcp.storage.BucketIAMMember(
            `${this.prefix}-${name}`,
            { bucket: this.sourceBucket.name, role, member },
            { parent: this, dependsOn: this.after },
        );
    }

    /** Lets `member` run things as `account` (`roles/iam.serviceAccountUser` on that account only). */
    private actAs(
        name: string,
        account: gcp.serviceaccount.Account,
        member: pulumi.Input<string>,
    ): gcp.serviceaccount.IAMMember {
        return new gcp.serviceaccount.IAMMember(
            `${this.prefix}-${name}`,
            { serviceAccountId: account.name, role: "roles/iam.serviceAccountUser", member },
            { parent: this, dependsOn: this.after },
        );
    }
}
