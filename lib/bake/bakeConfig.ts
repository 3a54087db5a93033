/**
 * The Fireworker disk image bake, described once: its Cloud Build config (one bash step running
 * scripts/fireworker-bake.sh, with fireworker-preload.sh embedded as the builder VM's startup
 * script) and the Pub/Sub trigger that re-bakes when the runtime is pushed outside Pulumi. Pure:
 * the script texts come in as arguments (`readBakeScripts` reads them).
 *
 * The same config runs from `pulumi up` (lib/bake/runBake.ts submits it) and from the trigger.
 * The runtime comes from the substitutions `_RUNTIME_REF` (`REPOSITORY@sha256:DIGEST`) and
 * `_RUNTIME_TAG` (`REPOSITORY:TAG`, what workers pull), whose defaults are the runtime Pulumi
 * knows; the trigger overrides both from Artifact Registry's push message. The bake script
 * computes the image name from them exactly as `bakeImageName` does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { serviceAccountResource } from "../names";
import { type BakeScripts, bakeImageName, recipeHash, runtimeLine } from "./imageName";

/** Google's Cloud SDK image (gcloud + bash); the bake needs nothing else. */
export const BAKE_STEP_IMAGE = "gcr.io/google.com/cloudsdktool/google-cloud-cli:slim";
/** Images of this program ranked beyond keep + this are deleted, not only deprecated. */
export const DELETE_BEYOND_KEEP = 3;
/** Deprecation sets a delete date this many days ahead; the next bake past it deletes. */
export const DELETE_AFTER_DAYS = 30;

/** How a bake makes its image: the builder VM, the source image, what is kept. */
export interface BakeOptions {
    /** Zone of the builder VM. @default `<region>-b` */
    zone: string;
    /** Image family the builder VM boots. @default "debian-12" */
    sourceImageFamily: string;
    /** Project of that family. @default "debian-cloud" */
    sourceImageProject: string;
    /** Builder boot disk, which becomes the image's size. @default 20 */
    diskSizeGb: number;
    /** Builder VM machine type. @default "e2-standard-2" */
    machineType: string;
    /** Builder VM network. @default "default" */
    network: string;
    /** Builder VM subnetwork. @default unset */
    subnetwork?: string;
    /**
     * No external IP. Needs Cloud NAT: the builder installs Docker with apt from Debian's
     * mirrors, which Private Google Access does not reach. @default false
     */
    internalIpOnly: boolean;
    /** Images kept in the family; older ones are deprecated, then deleted. @default 2 */
    keep: number;
    /** Linux users whose Docker gets the registry credential helper. @default [] */
    workerUsers: readonly string[];
    /** Seconds the bake build may take. @default 2400 */
    bakeTimeout: number;
}

/** The defaults of `BakeOptions` but the zone (which depends on the region). */
export const BAKE_DEFAULTS: Omit<BakeOptions, "zone" | "subnetwork"> = {
    sourceImageFamily: "debian-12",
    sourceImageProject: "debian-cloud",
    diskSizeGb: 20,
    machineType: "e2-standard-2",
    network: "default",
    internalIpOnly: false,
    keep: 2,
    workerUsers: [],
    bakeTimeout: 2400,
};

/** The builder VM's zone when none is set. */
export function defaultZone(region: string): string {
    return `${region}-b`;
}

/** Reads both scripts from the project (LF line endings, as committed). */
export function readBakeScripts(projectRoot = path.resolve(__dirname, "..", "..")): BakeScripts {
    const read = (name: string) => fs.readFileSync(path.join(projectRoot, "scripts", name), "utf8");
    return { bake: read("fireworker-bake.sh"), preload: read("fireworker-preload.sh") };
}

/** Everything a bake's config is rendered from. */
export interface BakeInputs {
    project: string;
    /** Family the image joins: the team's, or `<family>-<id>` in a developer stack. */
    family: string;
    options: BakeOptions;
    /** Registry host the builder logs in to, e.g. `us-central1-docker.pkg.dev`. */
    registryHost: string;
    /** The runtime by digest: `REPOSITORY@sha256:DIGEST`. */
    runtimeReference: string;
    /** What workers pull: `REPOSITORY:TAG` (the content tag), same repository. */
    runtimeTaggedReference: string;
    /** Email the builder VM runs as (the pull-only worker account). */
    workerServiceAccount: string;
    /** Email the bake build runs as (the baker account). */
    bakerServiceAccount?: string;
}

/** Step of the rendered config (Cloud Build's field names). */
export interface BakeStep {
    id: string;
    name: string;
    entrypoint: string;
    args: string[];
    env: string[];
}

/** The Cloud Build config of a bake, with literal `$` already doubled. */
export interface BakeConfig {
    steps: BakeStep[];
    substitutions: Record<string, string>;
    timeout: string;
    options: { logging: string; substitutionOption: string };
    tags: string[];
    serviceAccount?: string;
}

export interface Bake {
    /** `<family>-<16 hex>`: a valid GCE image name, the same for the same inputs. */
    imageName: string;
    family: string;
    /** sha256 of everything but the runtime that shapes the image. */
    recipe: string;
    /** The fw-images line: `REPOSITORY:TAG@sha256:DIGEST`. */
    runtimeLine: string;
    config: BakeConfig;
}

/** Seconds: the build's timeout, the wait for the guest, the VM's life, a left-over builder's age. */
export interface BakeTimings {
    buildTimeout: number;
    waitTimeout: number;
    maxRunDuration: number;
    staleAfter: number;
}

/**
 * The builder VM lives at most as long as the build may (it starts after the build), and the
 * wait for the guest leaves up to 15 minutes for stopping, imaging, deleting and pruning.
 */
export function bakeTimings(bakeTimeout: number): BakeTimings {
    const reserve = Math.min(900, Math.floor(bakeTimeout / 2));
    return {
        buildTimeout: bakeTimeout,
        waitTimeout: bakeTimeout - reserve,
        maxRunDuration: bakeTimeout,
        staleAfter: 2 * bakeTimeout,
    };
}

/** Cloud Build substitutes `$VAR` and `${VAR}` in args and env: literal dollars are doubled. */
export function escapeDollars(text: string): string {
    return text.replace(/\$/g, "$$$$");
}

/** Undoes `escapeDollars` (tests compare the embedded script with the file). */
export function unescapeDollars(text: string): string {
    return text.replace(/\$\$/g, "$");
}

/** The runtime Pulumi knows; the trigger overrides it from the push message. */
export const RUNTIME_SUBSTITUTIONS = { reference: "_RUNTIME_REF", tag: "_RUNTIME_TAG" } as const;
/** The push message's action: empty in Pulumi's own bake, set by the re-bake trigger. */
export const TRIGGER_ACTION = "_ACTION";

export function renderBake(inputs: BakeInputs, scripts: BakeScripts): Bake {
    const o = inputs.options;
    const line = runtimeLine(inputs.runtimeTaggedReference, inputs.runtimeReference);
    const recipe = recipeHash({ ...o, registryHost: inputs.registryHost }, scripts);
    const imageName = bakeImageName(inputs.family, recipe, line);
    const t = bakeTimings(o.bakeTimeout);
    const literal: [string, string][] = [
        ["FW_PROJECT", inputs.project],
        ["FW_ZONE", o.zone],
        ["FW_FAMILY", inputs.family],
        ["FW_RECIPE", recipe],
        ["FW_REGISTRY_HOST", inputs.registryHost],
        ["FW_SERVICE_ACCOUNT", inputs.workerServiceAccount],
        ["FW_WORKER_USERS", o.workerUsers.join(" ")],
        ["FW_SOURCE_IMAGE_FAMILY", o.sourceImageFamily],
        ["FW_SOURCE_IMAGE_PROJECT", o.sourceImageProject],
        ["FW_MACHINE_TYPE", o.machineType],
        ["FW_DISK_SIZE_GB", String(o.diskSizeGb)],
        ["FW_NETWORK", o.network],
        ["FW_SUBNETWORK", o.subnetwork ?? ""],
        ["FW_INTERNAL_IP_ONLY", String(o.internalIpOnly)],
        ["FW_KEEP", String(o.keep)],
        ["FW_DELETE_BEYOND", String(o.keep + DELETE_BEYOND_KEEP)],
        ["FW_DELETE_AFTER_DAYS", String(DELETE_AFTER_DAYS)],
        ["FW_WAIT_TIMEOUT", String(t.waitTimeout)],
        ["FW_MAX_RUN_DURATION", String(t.maxRunDuration)],
        ["FW_STALE_AFTER", String(t.staleAfter)],
        ["FW_PRELOAD_B64", Buffer.from(scripts.preload, "utf8").toString("base64")],
    ];
    const env = [
        // real substitutions, not escaped
        `FW_RUNTIME_REF=\${${RUNTIME_SUBSTITUTIONS.reference}}`,
        `FW_RUNTIME_TAG=\${${RUNTIME_SUBSTITUTIONS.tag}}`,
        "FW_BUILD_ID=$BUILD_ID",
        // set only by the re-bake trigger: a runtime failing the check is then ignored, not an error
        `FW_TRIGGER_ACTION=\${${TRIGGER_ACTION}}`,
        ...literal.map(([k, v]) => `${k}=${escapeDollars(v)}`),
    ];
    const config: BakeConfig = {
        steps: [
            {
                id: "bake",
                name: BAKE_STEP_IMAGE,
                entrypoint: "bash",
                // bash -c SCRIPT NAME: the script as one literal argument, $0 = NAME
                args: ["-c", escapeDollars(scripts.bake), "fireworker-bake"],
                env,
            },
        ],
        substitutions: {
            [RUNTIME_SUBSTITUTIONS.reference]: inputs.runtimeReference,
            [RUNTIME_SUBSTITUTIONS.tag]: inputs.runtimeTaggedReference,
            [TRIGGER_ACTION]: "",
        },
        timeout: `${t.buildTimeout}s`,
        options: { logging: "CLOUD_LOGGING_ONLY", substitutionOption: "ALLOW_LOOSE" },
        tags: ["fireworker-bake", inputs.family],
        ...(inputs.bakerServiceAccount
            ? { serviceAccount: serviceAccountResource(inputs.project, inputs.bakerServiceAccount) }
            : {}),
    };
    return { imageName, family: inputs.family, recipe, runtimeLine: line, config };
}

export function bakeYaml(config: BakeConfig): string {
    return stringify(config, { lineWidth: 0 });
}

/** The same config as a `gcp.cloudbuild.Trigger` inline build (its service account is the trigger's). */
export function triggerBuildOf(config: BakeConfig) {
    return {
        steps: config.steps.map((s) => ({
            id: s.id,
            name: s.name,
            entrypoint: s.entrypoint,
            args: s.args,
            envs: s.env,
        })),
        substitutions: config.substitutions,
        timeout: config.timeout,
        options: config.options,
        tags: config.tags,
    };
}

/**
 * A Pub/Sub trigger on Artifact Registry's `gcr` topic: runs on an INSERT of a tag of the
 * runtime repository (`runtimeImage` is the repository without tag), with the pushed digest.
 */
export function rebakeTrigger(runtimeImage: string): { filter: string; substitutions: Record<string, string> } {
    return {
        filter: `${TRIGGER_ACTION} == "INSERT" && ${RUNTIME_SUBSTITUTIONS.tag}.startsWith(${JSON.stringify(`${runtimeImage}:`)})`,
        substitutions: {
            [TRIGGER_ACTION]: "$(body.message.data.action)",
            [RUNTIME_SUBSTITUTIONS.reference]: "$(body.message.data.digest)",
            [RUNTIME_SUBSTITUTIONS.tag]: "$(body.message.data.tag)",
        },
    };
}
