/**
 * The project's custom IAM roles, as pure data: each holds only the permissions one identity's
 * job calls, where no predefined role is that narrow. components/pipelineAccounts.ts declares
 * them and grants them; the README's roles table names them.
 */

export interface CustomRole {
    /** Role id: `projects/PROJECT/roles/<roleId>`. */
    roleId: string;
    title: string;
    description: string;
    /** Sorted. */
    permissions: readonly string[];
}

/** The name prefix of the bake's builder VMs (and of their boot disks); scripts/fireworker-bake.sh. */
export const BUILDER_PREFIX = "fwb-";

/**
 * Developers on the build source bucket: `gcloud builds submit --gcs-source-staging-dir` first
 * reads the bucket (`buckets.get`, gcloud's storage helper), then uploads the packed context
 * under a fresh name. Nothing else: no listing, no reading or overwriting others' uploads.
 */
export const SOURCE_UPLOADER: CustomRole = {
    roleId: "fireworkerSourceUploader",
    title: "Fireworker build source uploader",
    description: "Upload build sources to the Fireworker source bucket (gcloud builds submit).",
    permissions: ["storage.buckets.get", "storage.objects.create"],
};

/**
 * Developers in the project: submit builds, follow them (status and the Cloud Logging tail of
 * CLOUD_LOGGING_ONLY builds), list ongoing builds of the same content tag and cancel their own
 * duplicate. No trigger permission at all (a trigger could run as another account).
 */
export const DEVELOPER_BUILDS: CustomRole = {
    roleId: "fireworkerDeveloperBuilds",
    title: "Fireworker developer builds",
    description: "Submit, follow and cancel Cloud Build builds and read their logs; no triggers.",
    permissions: [
        "cloudbuild.builds.create",
        "cloudbuild.builds.get",
        "cloudbuild.builds.list",
        "cloudbuild.builds.update",
        "logging.logEntries.list",
    ],
};

/** Cloud Scheduler's account: running a trigger is creating a build. */
export const TRIGGER_RUNNER: CustomRole = {
    roleId: "fireworkerTriggerRunner",
    title: "Fireworker trigger runner",
    description: "Run a Cloud Build trigger (the nightly build).",
    permissions: ["cloudbuild.builds.create"],
};

/**
 * The bake, on what is not a builder VM: list builders (a list has no resource name to
 * condition on), make, read, deprecate and delete images, use a subnetwork (and its external
 * address) for the builder, and follow the operations gcloud waits for. No instance or
 * project metadata, no other VM.
 */
export const BAKER: CustomRole = {
    roleId: "fireworkerBaker",
    title: "Fireworker disk image baker",
    description: "Make, deprecate and delete Fireworker disk images; list the bake's builder VMs.",
    permissions: [
        "compute.globalOperations.get",
        "compute.images.create",
        "compute.images.delete",
        "compute.images.deprecate",
        "compute.images.get",
        "compute.images.getFromFamily",
        "compute.images.list",
        "compute.images.setLabels",
        "compute.images.useReadOnly",
        "compute.instances.list",
        "compute.subnetworks.use",
        "compute.subnetworks.useExternalIp",
        "compute.zoneOperations.get",
    ],
};

/**
 * The bake, on its own builder VM and its boot disk only (granted with `builderCondition`):
 * create it with its metadata, labels and the worker account, read its guest attributes and
 * serial console, stop it, image its disk, delete both.
 */
export const BUILDER_VM_ADMIN: CustomRole = {
    roleId: "fireworkerBuilderVmAdmin",
    title: "Fireworker builder VM admin",
    description: `Create, read, stop and delete the bake's ${BUILDER_PREFIX}* builder VMs and their disks (with an IAM condition).`,
    permissions: [
        "compute.disks.create",
        "compute.disks.delete",
        "compute.disks.use",
        "compute.disks.useReadOnly",
        "compute.instances.create",
        "compute.instances.delete",
        "compute.instances.get",
        "compute.instances.getGuestAttributes",
        "compute.instances.getSerialPortOutput",
        "compute.instances.setLabels",
        "compute.instances.setMetadata",
        "compute.instances.setServiceAccount",
        "compute.instances.stop",
    ],
};

export const CUSTOM_ROLES: readonly CustomRole[] = [
    SOURCE_UPLOADER,
    DEVELOPER_BUILDS,
    TRIGGER_RUNNER,
    BAKER,
    BUILDER_VM_ADMIN,
];

/** `projects/PROJECT/roles/ROLE_ID`: how a grant names a custom role. */
export function customRoleName(project: string, role: CustomRole): string {
    return `projects/${project}/roles/${role.roleId}`;
}

/** An IAM condition of a grant. */
export interface IamCondition {
    title: string;
    description: string;
    expression: string;
}

/**
 * `BUILDER_VM_ADMIN` holds only on builder VMs and their boot disks (`fwb-*`) in the bake's
 * zones: Compute Engine checks instance and disk permissions against the resource's name, so
 * `setMetadata` on any other VM (a startup script injected into it) is denied.
 */
export function builderCondition(project: string, zones: readonly string[]): IamCondition {
    const prefixes = [...new Set(zones)]
        .sort()
        .flatMap((z) =>
            ["instances", "disks"].map((kind) => `projects/${project}/zones/${z}/${kind}/${BUILDER_PREFIX}`),
        );
    return {
        title: "fireworker-builder-vms-only",
        description: `Only the bake's ${BUILDER_PREFIX}* builder VMs and their disks in ${[...new Set(zones)].sort().join(", ")}`,
        expression: prefixes.map((p) => `resource.name.startsWith(${JSON.stringify(p)})`).join(" || "),
    };
}
