/**
 * What the offline plan's mocks answer for the resources the program reads back: deterministic
 * stand-ins (account e-mails, trigger ids, image digests, the team stack's outputs), so two
 * machines plan the same bytes.
 */
import { createHash } from "node:crypto";
import { serviceAccountEmail, serviceAccountResource } from "../names";
import { teamOutputPlaceholders } from "../teamOutputs";

function fakeDigest(seed: unknown): string {
    return `sha256:${createHash("sha256").update(JSON.stringify(seed)).digest("hex")}`;
}

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
            const digest = fakeDigest({ triggers: inputs.triggers, image: env.FW_IMAGE });
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
