import * as fs from "node:fs";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { PreparedBuild } from "../lib/build/prepareBuild";
import { serviceAccountResource } from "../lib/names";
import { TRIGGER_DEFAULTS } from "../lib/settings/defaults";
import {
    includedFiles,
    literalBranch,
    PROGRAM_FILES,
    renderTriggerBuild,
    runTriggerBody,
    type TriggerBuild,
} from "../lib/triggers/triggerBuild";

export interface BuildTriggersArgs {
    project: string;
    /** Region of the triggers and of the Cloud Build connection. */
    region: string;
    /** GitHub `owner/name` holding this project and its payload. */
    repository: string;
    /** Name of the 2nd-gen connection whose GitHub App was installed by hand (the one manual step). @default "github" */
    connection?: string;
    /** RE2 regex of the branch whose pushes rebuild. @default "^main$" */
    branch?: string;
    /** Stack file the trigger builds follow (`team`). */
    stack: string;
    /** Project-relative path of that stack file, watched by both triggers. */
    stackFile: string;
    /** Where project-relative paths resolve (never part of any input). */
    projectRoot: string;
    /**
     * The program's folder relative to the repository's root, where the trigger builds run and
     * against which `includedFiles` are written. @default "" (the program at the root)
     */
    programDir?: string;
    /** The runtime build, whose inputs the runtime trigger watches. */
    runtime: PreparedBuild;
    /** The application build, whose payload the application trigger watches. */
    application: PreparedBuild;
    /** The team runtime the application builds FROM (`repository@sha256:...`). */
    runtimeReference: pulumi.Input<string>;
    /**
     * The runtime's base, when it is named by tag: the tag and the digest reference this plan
     * resolved it to (BaseImage), which the runtime trigger builds FROM. @default none: the base is
     * a digest, or the Dockerfile's own
     */
    base?: { tag: string; reference: pulumi.Input<string> };
    /** Service account email the builds run as (the team's Cloud Build account). */
    serviceAccountEmail: pulumi.Input<string>;
    /**
     * What the repository link and the triggers wait for: the Cloud Build and Secret Manager
     * APIs, and the grants of the account the builds run as. @default none
     */
    dependsOn?: pulumi.Resource[];
    /**
     * Nightly application build: cron schedule (UTC), the image it pushes (`nightly-<app>`), the
     * account Cloud Scheduler runs it as, and what the schedule waits for (its API and that
     * account's grants). It builds the head of `branch`, which must then be a literal name
     * (`^main$`). @default none
     */
    nightly?: {
        schedule: string;
        image: pulumi.Input<string>;
        schedulerServiceAccountEmail: pulumi.Input<string>;
        dependsOn?: pulumi.Resource[];
    };
}

/**
 * Cloud Build triggers of the team pipeline: a push to the main branch touching the runtime's
 * inputs rebuilds the team runtime; one touching the payload rebuilds the application; an
 * optional schedule builds `nightly-<app>`. They run the project's own build code (see
 * lib/triggers/triggerBuild.ts) as the Cloud Build account, through a 2nd-gen repository connection.
 */
export class BuildTriggers extends pulumi.ComponentResource {
    readonly repository: gcp.cloudbuildv2.Repository;
    readonly runtime: gcp.cloudbuild.Trigger;
    readonly application: gcp.cloudbuild.Trigger;
    readonly nightly?: gcp.cloudbuild.Trigger;

    constructor(name: string, args: BuildTriggersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fireworker-images:triggers:BuildTriggers", name, {}, opts);
        const connection = args.connection ?? TRIGGER_DEFAULTS.connection;
        const programDir = args.programDir ?? "";
        const branch = args.branch ?? TRIGGER_DEFAULTS.branch;
        const after = { parent: this, dependsOn: args.dependsOn };
        const [owner, repo] = args.repository.split("/");
        this.repository = new gcp.cloudbuildv2.Repository(
            `${name}-repository`,
            {
                project: args.project,
                location: args.region,
                name: `${owner}-${repo}`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
                parentConnection: `projects/${args.project}/locations/${args.region}/connections/${connection}`,
                remoteUri: `https://github.com/${args.repository}.git`,
            },
            after,
        );
        const serviceAccount = pulumi
            .output(args.serviceAccountEmail)
            .apply((email) => serviceAccountResource(args.project, email));
        const build = (b: TriggerBuild) => pulumi.output(b);
        const common = {
            project: args.project,
            location: args.region,
            serviceAccount,
        };
        const trigger = (id: string, description: string, prepared: PreparedBuild, kind: "runtime" | "application") =>
            new gcp.cloudbuild.Trigger(
                `${name}-${id}`,
                {
                    ...common,
                    name: `fireworker-${id}`,
                    description,
                    repositoryEventConfig: { repository: this.repository.id, push: { branch } },
                    includedFiles: includedFiles(
                        prepared.context,
                        [args.stackFile, ...PROGRAM_FILES],
                        (p) => fs.statSync(path.resolve(args.projectRoot, p)).isDirectory(),
                        programDir,
                    ),
                    build: pulumi
                        .all([args.runtimeReference, kind === "runtime" ? args.base?.reference : undefined])
                        .apply(([ref, baseRef]) =>
                            build(
                                renderTriggerBuild(
                                    {
                                        stack: args.stack,
                                        build: kind,
                                        timeoutSeconds: prepared.timeoutSeconds,
                                        machineType: prepared.machineType,
                                        programDir,
                                        wheelhouse: prepared.wheelhouse !== undefined,
                                    },
                                    ref,
                                    args.base && baseRef !== undefined
                                        ? { tag: args.base.tag, reference: baseRef }
                                        : undefined,
                                ),
                            ),
                        ),
                },
                after,
            );
        this.runtime = trigger(
            "runtime",
            "Rebuilds the team runtime image when its Dockerfile or requirements change.",
            args.runtime,
            "runtime",
        );
        this.application = trigger(
            "application",
            "Rebuilds the team application image when the payload changes.",
            args.application,
            "application",
        );

        if (args.nightly) {
            const n = args.nightly;
            const branchName = literalBranch(branch);
            if (branchName === undefined) {
                throw new Error(
                    `BuildTriggers: the nightly build needs a literal branch such as ^main$, not ${JSON.stringify(branch)}`,
                );
            }
            this.nightly = new gcp.cloudbuild.Trigger(
                `${name}-nightly`,
                {
                    ...common,
                    name: "fireworker-nightly",
                    description: `Builds nightly-<app> from the head of ${branchName} on a schedule.`,
                    sourceToBuild: {
                        repository: this.repository.id,
                        ref: `refs/heads/${branchName}`,
                        repoType: "GITHUB",
                    },
                    build: pulumi.all([args.runtimeReference, n.image]).apply(([ref, image]) =>
                        build(
                            renderTriggerBuild(
                                {
                                    stack: args.stack,
                                    build: "application",
                                    imageOverride: image,
                                    friendlyTag: "latest",
                                    programDir,
                                    timeoutSeconds: args.application.timeoutSeconds,
                                    machineType: args.application.machineType,
                                },
                                ref,
                            ),
                        ),
                    ),
                },
                after,
            );
            new gcp.cloudscheduler.Job(
                `${name}-nightly-schedule`,
                {
                    project: args.project,
                    region: args.region,
                    name: "fireworker-nightly",
                    description: "Runs the fireworker-nightly Cloud Build trigger.",
                    schedule: n.schedule,
                    timeZone: "Etc/UTC",
                    httpTarget: {
                        httpMethod: "POST",
                        uri: pulumi.interpolate`https://cloudbuild.googleapis.com/v1/projects/${args.project}/locations/${args.region}/triggers/${this.nightly.triggerId}:run`,
                        headers: { "Content-Type": "application/json" },
                        body: this.nightly.triggerId.apply((triggerId) =>
                            Buffer.from(runTriggerBody(args.project, triggerId, branchName)).toString("base64"),
                        ),
                        oauthToken: { serviceAccountEmail: n.schedulerServiceAccountEmail },
                    },
                },
                { parent: this, dependsOn: [...(args.dependsOn ?? []), ...(n.dependsOn ?? [])] },
            );
        }
        this.registerOutputs({ runtime: this.runtime.triggerId, application: this.application.triggerId });
    }
}
