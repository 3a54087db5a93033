/**
 * What the offline plan's mocks answer for the resources the program reads back: deterministic
 * stand-ins (account e-mails, trigger ids, image digests, the team stack's outputs), so two
 * machines plan the same bytes. Image digests and team outputs are placeholders
 * (lib/placeholders.ts), and `mockPlaceholders` says what each stands for.
 */
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
