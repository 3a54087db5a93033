/**
 * What the offline plan's mocks answer for the resources the program reads back and the functions
 * it calls: deterministic stand-ins (account e-mails, trigger ids, image digests, base image
 * digests, the team stack's outputs), so two machines plan the same bytes. Image digests, base
 * digests and team outputs are placeholders (lib/placeholders.ts), and `mockPlaceholders` and
 * `callPlaceholders` say what each stands for.
 */
import { type BaseResolver, digestReference, type ResolvedBase } from "../build/baseReference";
import { serviceAccountEmail, serviceAccountResource } from "../names";
import { type Placeholder, placeholderDigest } from "../placeholders";
import { teamOutputPlaceholders } from "../teamOutputs";

/** Deterministic provider outputs for the resources we read back. */
export function mockState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    config: Record<string, string>,
): Record<string, unknown> {
    const text = (key: string) => (typeof inputs[key] === "string" ? (inputs[key] as string) : undefined);
    const project = text("project") ?? config["gcp:project"] ?? "project";
    switch (type) {
        case "command:local:Command": {
            const env = (inputs.environment ?? {}) as Record<string, string | undefined>;
            if (env.FW_BAKE_IMAGE !== undefined) {
                // as a finished bake reports it
                const result = { image: env.FW_BAKE_IMAGE, family: env.FW_BAKE_FAMILY, build: "offline-plan" };
                return { ...inputs, stdout: JSON.stringify(result), stderr: "" };
            }
            const digest = placeholderDigest({ triggers: inputs.triggers, image: env.FW_IMAGE });
            // as the real build reports it: a registry digest when pushed, else the local image id
            const reference = env.FW_PUSH === "true" ? `${env.FW_IMAGE}@${digest}` : digest;
            return { ...inputs, stdout: JSON.stringify({ digest, reference }), stderr: "" };
        }
        case "gcp:serviceaccount/account:Account": {
            const email = serviceAccountEmail(text("accountId") ?? "", project);
            return {
                ...inputs,
                email,
                name: serviceAccountResource(project, email),
                member: `serviceAccount:${email}`,
            };
        }
        case "gcp:projects/iAMCustomRole:IAMCustomRole":
            return { ...inputs, name: `projects/${project}/roles/${text("roleId")}`, deleted: false };
        case "gcp:storage/bucket:Bucket":
            return { ...inputs, url: `gs://${text("name")}` };
        case "gcp:cloudbuild/trigger:Trigger":
            return { ...inputs, triggerId: `${text("name")}-id` };
        case "pulumi:pulumi:StackReference": {
            const location = config["gcp:region"] ?? "us-central1";
            return { name: text("name"), outputs: teamOutputPlaceholders(project, location), secretOutputNames: [] };
        }
        default:
            return { ...inputs, name: text("name") ?? name };
    }
}

/** The placeholders in a mocked answer (`mockState`), with what each stands for. */
export function mockPlaceholders(type: string, state: Record<string, unknown>): Placeholder[] {
    if (type === "pulumi:pulumi:StackReference") {
        const outputs = (state.outputs ?? {}) as Record<string, string>;
        return Object.entries(outputs).map(([k, value]) => ({
            value,
            meaning: `team stack output ${k}, read at pulumi up`,
        }));
    }
    const env = (state.environment ?? {}) as Record<string, string | undefined>;
    if (type === "command:local:Command" && env.FW_BUILDER !== undefined && typeof state.stdout === "string") {
        const { digest } = JSON.parse(state.stdout) as { digest: string };
        const what = env.FW_PUSH === "true" ? `registry digest of ${env.FW_IMAGE}` : `image id of ${env.FW_IMAGE}`;
        return [{ value: digest, meaning: `${what}, known after the build` }];
    }
    return [];
}

/** The functions (invokes) the program calls, by token. */
export const INVOKES = {
    /** `@pulumi/docker`: a base image's digest from its registry (team and developer stacks). */
    registryImage: "docker:index/getRegistryImage:getRegistryImage",
    /** `@pulumi/gcp`: the Google client's access token, for Artifact Registry. */
    clientConfig: "gcp:organizations/getClientConfig:getClientConfig",
    /** `@pulumi/command`: a command run at every plan (the local stack's base resolution). */
    localRun: "command:local:run",
} as const;

/** The stand-in of the Google client's access token (a secret: the plan shows `[secret]`). */
export const OFFLINE_ACCESS_TOKEN = "offline-plan-access-token";

/** The base a call resolves, and where: a registry image look-up, or scripts/resolve-base.ts on the engine. */
export function baseRequest(
    token: string,
    inputs: Record<string, unknown>,
): { reference: string; resolver: BaseResolver } | undefined {
    if (token === INVOKES.registryImage && typeof inputs.name === "string") {
        return { reference: inputs.name, resolver: "registry" };
    }
    const env = (inputs.environment ?? {}) as Record<string, unknown>;
    if (token === INVOKES.localRun && typeof env.FW_BASE === "string") {
        return { reference: env.FW_BASE, resolver: "engine" };
    }
    return undefined;
}

/** The placeholder digest a base resolves to under mocks: derived from the reference, so stable everywhere. */
export function placeholderBase(reference: string, resolver: BaseResolver): ResolvedBase {
    const digest = placeholderDigest({ base: reference, resolver });
    return { digest, reference: digestReference(reference, digest) };
}

/** A function's answer as its provider gives it, from a base resolution. */
export function callAnswer(
    token: string,
    inputs: Record<string, unknown>,
    resolved: ResolvedBase | { problem: string },
): Record<string, unknown> {
    if (token === INVOKES.registryImage) {
        if ("problem" in resolved) {
            // as the engine fails an invoke: the SDK shows the gRPC error's details
            throw Object.assign(new Error(resolved.problem), { details: resolved.problem });
        }
        return { ...inputs, id: inputs.name, sha256Digest: resolved.digest };
    }
    return { ...inputs, stdout: JSON.stringify(resolved), stderr: "" };
}

/** Deterministic answers of the functions the program calls; anything else echoes its inputs. */
export function mockCall(
    token: string,
    inputs: Record<string, unknown>,
    config: Record<string, string>,
): Record<string, unknown> {
    const base = baseRequest(token, inputs);
    if (base) {
        return callAnswer(token, inputs, placeholderBase(base.reference, base.resolver));
    }
    if (token === INVOKES.clientConfig) {
        return {
            id: "offline-plan",
            accessToken: OFFLINE_ACCESS_TOKEN,
            project: config["gcp:project"] ?? "project",
            region: config["gcp:region"] ?? "",
            zone: "",
            defaultLabels: {},
        };
    }
    return inputs;
}

/** The placeholders in a mocked function's answer (`mockCall`), with what each stands for. */
export function callPlaceholders(token: string, inputs: Record<string, unknown>): Placeholder[] {
    const base = baseRequest(token, inputs);
    if (!base) {
        return [];
    }
    const { digest } = placeholderBase(base.reference, base.resolver);
    const where =
        base.resolver === "registry"
            ? `registry digest of ${base.reference}`
            : `digest of ${base.reference} in the local Docker engine`;
    return [{ value: digest, meaning: `${where}, resolved at pulumi up` }];
}
