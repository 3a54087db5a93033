/**
 * The name of a Fireworker disk image, `<family>-<hash>`: the hash covers everything that shapes
 * the image (the runtime, both scripts, the source image, the disk size, the registry host, the
 * worker users), so the same inputs always name the same image and a bake of an existing image
 * ends at once. scripts/fireworker-bake.sh computes the same name. Pure.
 */
import { createHash } from "node:crypto";
import { DIGEST, DOCKER_TAG, GCE_NAME } from "../patterns";

/** Hex digits of the hash in an image name. */
export const IMAGE_HASH_LENGTH = 16;
/** A family leaves room for `-<hash>` in a 63-character GCE name. */
export const MAX_FAMILY_LENGTH = 63 - 1 - IMAGE_HASH_LENGTH;
/** The smallest boot disk: Debian's and Ubuntu's GCE images are 10 GB before any runtime. */
export const MIN_DISK_SIZE_GB = 10;

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The bake and preload scripts' texts. */
export interface BakeScripts {
    /** scripts/fireworker-bake.sh: the bake step. */
    bake: string;
    /** scripts/fireworker-preload.sh: the builder VM's startup script. */
    preload: string;
}

/** What shapes an image apart from the runtime. */
export interface Recipe {
    sourceImageFamily: string;
    sourceImageProject: string;
    diskSizeGb: number;
    registryHost: string;
    workerUsers: readonly string[];
}

/** `REPOSITORY:TAG@sha256:DIGEST` from the tagged and the digest reference of one repository. */
export function runtimeLine(taggedReference: string, digestReference: string): string {
    const at = digestReference.lastIndexOf("@");
    const digest = digestReference.slice(at + 1);
    const colon = taggedReference.lastIndexOf(":");
    const tagRepo = taggedReference.slice(0, colon);
    if (at < 0 || !DIGEST.test(digest)) {
        throw new Error(`bake: ${JSON.stringify(digestReference)} is not REPOSITORY@sha256:DIGEST`);
    }
    if (colon < 0 || tagRepo.includes("@") || !DOCKER_TAG.test(taggedReference.slice(colon + 1))) {
        throw new Error(`bake: ${JSON.stringify(taggedReference)} is not REPOSITORY:TAG`);
    }
    if (tagRepo !== digestReference.slice(0, at)) {
        throw new Error(`bake: ${taggedReference} and ${digestReference} name different repositories`);
    }
    return `${taggedReference}@${digest}`;
}

/**
 * sha256 over what shapes the image apart from the runtime. Not the zone, machine type,
 * network, keep or timeouts: they change how it is baked, not what.
 */
export function recipeHash(recipe: Recipe, scripts: BakeScripts): string {
    return sha256(
        JSON.stringify({
            version: 1,
            bakeScript: sha256(scripts.bake),
            preloadScript: sha256(scripts.preload),
            sourceImageFamily: recipe.sourceImageFamily,
            sourceImageProject: recipe.sourceImageProject,
            diskSizeGb: recipe.diskSizeGb,
            registryHost: recipe.registryHost,
            workerUsers: recipe.workerUsers,
        }),
    );
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
