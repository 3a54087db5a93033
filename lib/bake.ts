/**
 * The Fireworker disk image bake, described once: its name (a hash of everything that shapes
 * the image), its Cloud Build config (one bash step running scripts/fireworker-bake.sh, with
 * fireworker-preload.sh embedded as the builder VM's startup script) and the Pub/Sub trigger
 * that re-bakes when the runtime is pushed outside Pulumi. Pure: the script texts come in as
 * arguments (`readBakeScripts` reads them).
 *
 * The same config runs from `pulumi up` (scripts/bake-image.ts submits it) and from the trigger.
 * The runtime comes from the substitutions `_RUNTIME_REF` (`REPOSITORY@sha256:DIGEST`) and
 * `_RUNTIME_TAG` (`REPOSITORY:TAG`, what workers pull), whose defaults are the runtime Pulumi
 * knows; the trigger overrides both from Artifact Registry's push message. The bake script
 * computes the image name from them exactly as `bakeImageName` does.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type { Settings } from "./settings";

/** Google's Cloud SDK image (gcloud + bash); the bake needs nothing else. */
export const BAKE_STEP_IMAGE = "gcr.io/google.com/cloudsdktool/cloud-sdk:slim";
/** Hex digits of the hash in an image name. */
export const IMAGE_HASH_LENGTH = 16;
/** A family leaves room for `-<hash>` in a 63-character GCE name. */
export const MAX_FAMILY_LENGTH = 63 - 1 - IMAGE_HASH_LENGTH;
/** The smallest boot disk: Debian's and Ubuntu's GCE images are 10 GB before any runtime. */
export const MIN_DISK_SIZE_GB = 10;
/** Images of this program ranked beyond keep + this are deleted, not only deprecated. */
export const DELETE_BEYOND_KEEP = 3;
/** Deprecation sets a delete date this many days ahead; the next bake past it deletes. */
export const DELETE_AFTER_DAYS = 30;
const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export interface BakeScripts {
    /** scripts/fireworker-bake.sh: the bake step. */
    bake: string;
    /** scripts/fireworker-preload.sh: the builder VM's startup script. */
    preload: string;
}

/** Reads both scripts from the project (LF line endings, as committed). */
export function readBakeScripts(projectRoot = path.resolve(__dirname, "..")): BakeScripts {
    const read = (name: string) => fs.readFileSync(path.join(projectRoot, "scripts", name), "utf8");
    return { bake: read("fireworker-bake.sh"), preload: read("fireworker-preload.sh") };
}

export interface BakeSpec {
    project: string;
    /** Family the image joins: the team's, or `<family>-<id>` in a developer stack. */
    family: string;
    /** The stack's `fireworker` settings (zone resolved). */
    fireworker: Settings["fireworker"];
    /** Registry host the builder logs in to, e.g. `us-central1-docker.pkg.dev`. */
    registryHost: string;
    /** The runtime by digest: `REPOSITORY@sha256:DIGEST`. */
    runtimeReference: string;
    /** What workers pull: `REPOSITORY:TAG` (the content tag), same repository. */
    runtimeTaggedReference: string;
    /** Email the builder VM runs as (the pull-only `fireworker` account). */
    workerServiceAccount: string;
    /** Email the bake build runs as (the `baker` account). */
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

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `REPOSITORY:TAG@sha256:DIGEST` from the tagged and the digest reference of one repository. */
export function runtimeLine(taggedReference: string, digestReference: string): string {
    const at = digestReference.lastIndexOf("@");
    const digest = digestReference.slice(at + 1);
    const colon = taggedReference.lastIndexOf(":");
    const tagRepo = taggedReference.slice(0, colon);
    if (at < 0 || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
        throw new Error(`bake: ${JSON.stringify(digestReference)} is not REPOSITORY@sha256:DIGEST`);
    }
    if (
        colon < 0 ||
        tagRepo.includes("@") ||
        !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(taggedReference.slice(colon + 1))
    ) {
        throw new Error(`bake: ${JSON.stringify(taggedReference)} is not REPOSITORY:TAG`);
    }
    if (tagRepo !== digestReference.slice(0, at)) {
        throw new Error(`bake: ${taggedReference} and ${digestReference} name different repositories`);
    }
    return `${taggedReference}@${digest}`;
}

/**
 * sha256 over what shapes the image apart from the runtime: both scripts, the source image,
 * the disk size, the registry host and the worker users. Not the zone, machine type, network,
 * keep or timeouts: they change how it is baked, not what.
 */
export function recipeHash(spec: BakeSpec, scripts: BakeScripts): string {
    const f = spec.fireworker;
    const recipe = {
        version: 1,
        bakeScript: sha256(scripts.bake),
        preloadScript: sha256(scripts.preload),
        sourceImageFamily: f.sourceImageFamily,
        sourceImageProject: f.sourceImageProject,
        diskSizeGb: f.diskSizeGb,
        registryHost: spec.registryHost,
        workerUsers: f.workerUsers,
    };
    return sha256(JSON.stringify(recipe));
}

/** What scripts/fireworker-bake.sh computes: `<family>-<sha256("<recipe>\n<line>\n")[:16]>`. */
export function bakeImageName(family: string, recipe: string, line: string): string {
    const name = `${family}-${sha256(`${recipe}\n${line}\n`).slice(0, IMAGE_HASH_LENGTH)}`;
    if (!GCE_NAME.test(name)) {
        throw new Error(
            `bake: image name ${JSON.stringify(name)} is not a valid GCE name; the family may have at most ${MAX_FAMILY_LENGTH} characters`,
        );
    }
    return name;
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

export function renderBake(spec: BakeSpec, scripts: BakeScripts): Bake {
    const f = spec.fireworker;
    if (!f.zone) {
        throw new Error("bake: fireworker.zone is unset");
    }
    const line = runtimeLine(spec.runtimeTaggedReference, spec.runtimeReference);
    const recipe = recipeHash(spec, scripts);
    const imageName = bakeImageName(spec.family, recipe, line);
    const t = bakeTimings(f.bakeTimeout);
    const literal: [string, string][] = [
        ["FW_PROJECT", spec.project],
        ["FW_ZONE", f.zone],
        ["FW_FAMILY", spec.family],
        ["FW_RECIPE", recipe],
        ["FW_REGISTRY_HOST", spec.registryHost],
        ["FW_SERVICE_ACCOUNT", spec.workerServiceAccount],
        ["FW_WORKER_USERS", f.workerUsers.join(" ")],
        ["FW_SOURCE_IMAGE_FAMILY", f.sourceImageFamily],
        ["FW_SOURCE_IMAGE_PROJECT", f.sourceImageProject],
        ["FW_MACHINE_TYPE", f.machineType],
        ["FW_DISK_SIZE_GB", String(f.diskSizeGb)],
        ["FW_NETWORK", f.network],
        ["FW_SUBNETWORK", f.subnetwork ?? ""],
        ["FW_INTERNAL_IP_ONLY", String(f.internalIpOnly)],
        ["FW_KEEP", String(f.keep)],
        ["FW_DELETE_BEYOND", String(f.keep + DELETE_BEYOND_KEEP)],
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
            [RUNTIME_SUBSTITUTIONS.reference]: spec.runtimeReference,
            [RUNTIME_SUBSTITUTIONS.tag]: spec.runtimeTaggedReference,
        },
        timeout: `${t.buildTimeout}s`,
        // ALLOW_LOOSE: the trigger passes _ACTION, which the build does not use
        options: { logging: "CLOUD_LOGGING_ONLY", substitutionOption: "ALLOW_LOOSE" },
        tags: ["fireworker-bake", spec.family],
        ...(spec.bakerServiceAccount
            ? { serviceAccount: `projects/${spec.project}/serviceAccounts/${spec.bakerServiceAccount}` }
            : {}),
    };
    return { imageName, family: spec.family, recipe, runtimeLine: line, config };
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
        filter: `_ACTION == "INSERT" && ${RUNTIME_SUBSTITUTIONS.tag}.startsWith(${JSON.stringify(`${runtimeImage}:`)})`,
        substitutions: {
            _ACTION: "$(body.message.data.action)",
            [RUNTIME_SUBSTITUTIONS.reference]: "$(body.message.data.digest)",
            [RUNTIME_SUBSTITUTIONS.tag]: "$(body.message.data.tag)",
        },
    };
}
