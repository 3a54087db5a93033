/**
 * Every name pattern the program checks, defined once: settings, components, team outputs and
 * scripts all use these. Pure.
 */

/** A GCE resource name (image, family, repository id, connection): 1 to 63, starting with a letter. */
export const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Google Cloud project id: 6 to 30 lowercase letters, digits and dashes, starting with a letter. */
export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A Google Cloud region such as `us-central1`. */
export const REGION = /^[a-z]+-[a-z]+\d+$/;

/** A zone such as `us-central1-b`. */
export const ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;

/** An Artifact Registry location: a region or a multi-region such as `us`. */
export const LOCATION = /^[a-z]+(?:-[a-z]+)*\d*$/;

const EMAIL_SOURCE = "[^@\\s]+@[^@\\s]+\\.[a-z]{2,}";

/** An e-mail address. */
export const EMAIL = new RegExp(`^${EMAIL_SOURCE}$`, "i");

/** An IAM member that is a person or a group: `user:EMAIL` or `group:EMAIL`. */
export const USER_OR_GROUP = new RegExp(`^(user|group):${EMAIL_SOURCE}$`, "i");

/** A developer id or an image name: lowercase letters, digits and single dashes (at most `NAME_MAX`). */
export const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const NAME_MAX = 30;

/** True for a valid developer id or image name. */
export function isName(value: string): boolean {
    return NAME.test(value) && value.length <= NAME_MAX;
}

/** A Docker tag. */
export const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** An image digest as registries report it. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A GitHub repository `owner/name`: an owner of up to 39 letters, digits and single inner dashes. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9._-]{1,100}$/;

/** A Cloud Build build id. */
export const BUILD_ID = /^[A-Za-z0-9-]+$/;

/** Whether a text holds a control character (C0, or DEL): a newline, a tab, a NUL... */
export function hasControlCharacter(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c < 0x20 || c === 0x7f) return true;
    }
    return false;
}
