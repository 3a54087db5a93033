import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bakeResultSchema } from "../../../lib/bake/bakeSpec";
import { buildResultSchema } from "../../../lib/build/buildSpec";
import { parseResultLine } from "../../../lib/commands/handoff";
import { placeholderDigest } from "../../../lib/placeholders";
import { mockPlaceholders, mockState } from "../../../lib/plan/planMocks";
import { teamOutputPlaceholders } from "../../../lib/teamOutputs";

const CONFIG = { "gcp:project": "example-lab-123456", "gcp:region": "europe-west4" };
const COMMAND = "command:local:Command";

/** sha256:, 32 zeros, then 32 hex of the seed's JSON: a placeholder digest (lib/placeholders.ts). */
const placeholder = (json: string) =>
    `sha256:${"0".repeat(32)}${createHash("sha256").update(json).digest("hex").slice(0, 32)}`;

describe("the offline plan's mocks (lib/plan/planMocks.ts)", () => {
    describe("build commands", () => {
        const inputs = (image: string, push: boolean, triggers: unknown[] = ["abc"]) => ({
            create: "build-image",
            triggers,
            environment: { FW_BUILDER: "docker", FW_IMAGE: image, FW_PUSH: String(push) },
        });

        it("a pushed build answers a registry reference image@digest, a placeholder digest of triggers and image", () => {
            const i = inputs("us-docker.pkg.dev/p/r/app", true);
            const state = mockState(COMMAND, "application-build", i, CONFIG);
            const digest = placeholder('{"triggers":["abc"],"image":"us-docker.pkg.dev/p/r/app"}');
            assert.equal(digest, placeholderDigest({ triggers: ["abc"], image: "us-docker.pkg.dev/p/r/app" }));
            assert.deepEqual(state, {
                ...i,
                stdout: `{"digest":"${digest}","reference":"us-docker.pkg.dev/p/r/app@${digest}"}`,
                stderr: "",
            });
            assert.deepEqual(parseResultLine(buildResultSchema, state.stdout as string, "t"), {
                digest,
                reference: `us-docker.pkg.dev/p/r/app@${digest}`,
            });
        });

        it("a local build answers the digest as its own reference (an image id)", () => {
            const i = inputs("fireworker/app", false);
            const state = mockState(COMMAND, "application-build", i, CONFIG);
            const digest = placeholder('{"triggers":["abc"],"image":"fireworker/app"}');
            assert.equal(state.stdout, `{"digest":"${digest}","reference":"${digest}"}`);
            assert.equal(state.stderr, "");
        });

        it("the digest is deterministic, and changes with the triggers or the image only", () => {
            const digestOf = (i: Record<string, unknown>, name = "b", config = CONFIG) =>
                JSON.parse(mockState(COMMAND, name, i, config).stdout as string).digest as string;
            const base = digestOf(inputs("fireworker/app", false));
            assert.equal(digestOf(inputs("fireworker/app", false)), base);
            assert.equal(
                digestOf(inputs("fireworker/app", false), "other-name", { ...CONFIG, "gcp:project": "x" }),
                base,
            );
            assert.equal(digestOf(inputs("fireworker/app", true)), base);
            assert.notEqual(digestOf(inputs("fireworker/app", false, ["abd"])), base);
            assert.notEqual(digestOf(inputs("fireworker/runtime", false)), base);
        });
    });

    describe("the placeholders of an answer (mockPlaceholders)", () => {
        it("a build's digest: a registry digest when pushed, else an image id, known after the build", () => {
            const pushed = mockState(
                COMMAND,
                "b",
                { triggers: ["t"], environment: { FW_BUILDER: "cloudbuild", FW_IMAGE: "r/app", FW_PUSH: "true" } },
                CONFIG,
            );
            assert.deepEqual(mockPlaceholders(COMMAND, pushed), [
                {
                    value: JSON.parse(pushed.stdout as string).digest,
                    meaning: "registry digest of r/app, known after the build",
                },
            ]);
            const local = mockState(
                COMMAND,
                "b",
                {
                    triggers: ["t"],
                    environment: { FW_BUILDER: "docker", FW_IMAGE: "fireworker/app", FW_PUSH: "false" },
                },
                CONFIG,
            );
            assert.equal(
                mockPlaceholders(COMMAND, local)[0].meaning,
                "image id of fireworker/app, known after the build",
            );
        });

        it("every team stack output a StackReference answers; nothing for bakes and other resources", () => {
            const state = mockState("pulumi:pulumi:StackReference", "team", { name: "t" }, CONFIG);
            const list = mockPlaceholders("pulumi:pulumi:StackReference", state);
            assert.equal(list.length, Object.keys(teamOutputPlaceholders("example-lab-123456", "europe-west4")).length);
            assert.deepEqual(
                list.find((p) => p.meaning.startsWith("team stack output runtimeReference")),
                {
                    value: "europe-west4-docker.pkg.dev/example-lab-123456/fireworker/runtime@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                    meaning: "team stack output runtimeReference, read at pulumi up",
                },
            );
            const bake = mockState(
                COMMAND,
                "fireworker-bake",
                { environment: { FW_BAKE_IMAGE: "f-1", FW_BAKE_FAMILY: "f" } },
                CONFIG,
            );
            assert.deepEqual(mockPlaceholders(COMMAND, bake), []);
            assert.deepEqual(mockPlaceholders("gcp:storage/bucket:Bucket", { name: "b" }), []);
        });
    });

    describe("bake commands", () => {
        it("answer what a finished bake prints: the image, family and the build offline-plan", () => {
            const i = {
                create: "bake-image",
                environment: { FW_BAKE_IMAGE: "fireworker-0123456789abcdef", FW_BAKE_FAMILY: "fireworker" },
            };
            const state = mockState(COMMAND, "fireworker-bake", i, CONFIG);
            assert.deepEqual(state, {
                ...i,
                stdout: '{"image":"fireworker-0123456789abcdef","family":"fireworker","build":"offline-plan"}',
                stderr: "",
            });
            assert.deepEqual(parseResultLine(bakeResultSchema, state.stdout as string, "t"), {
                image: "fireworker-0123456789abcdef",
                family: "fireworker",
                build: "offline-plan",
            });
        });
    });

    describe("other resources", () => {
        it("a service account: e-mail, resource name and member from the account id and the project", () => {
            const i = { accountId: "fw-build", displayName: "Builds" };
            assert.deepEqual(mockState("gcp:serviceaccount/account:Account", "build-account", i, CONFIG), {
                ...i,
                email: "fw-build@example-lab-123456.iam.gserviceaccount.com",
                name: "projects/example-lab-123456/serviceAccounts/fw-build@example-lab-123456.iam.gserviceaccount.com",
                member: "serviceAccount:fw-build@example-lab-123456.iam.gserviceaccount.com",
            });
            // the resource's own project wins over the stack's; with neither, "project"
            const own = mockState(
                "gcp:serviceaccount/account:Account",
                "a",
                { accountId: "fw-x", project: "other-p" },
                CONFIG,
            );
            assert.equal(own.email, "fw-x@other-p.iam.gserviceaccount.com");
            const none = mockState("gcp:serviceaccount/account:Account", "a", { accountId: "fw-x" }, {});
            assert.equal(none.email, "fw-x@project.iam.gserviceaccount.com");
            assert.equal(none.name, "projects/project/serviceAccounts/fw-x@project.iam.gserviceaccount.com");
        });

        it("a bucket: its gs:// url", () => {
            const i = { name: "example-lab-123456-fireworker-build-source", location: "EU" };
            assert.deepEqual(mockState("gcp:storage/bucket:Bucket", "source-bucket", i, CONFIG), {
                ...i,
                url: "gs://example-lab-123456-fireworker-build-source",
            });
        });

        it("a trigger: <name>-id", () => {
            const i = { name: "fireworker-runtime", filename: "cloudbuild.yaml" };
            assert.deepEqual(mockState("gcp:cloudbuild/trigger:Trigger", "runtime-trigger", i, CONFIG), {
                ...i,
                triggerId: "fireworker-runtime-id",
            });
        });

        it("a StackReference: the team outputs' placeholders for the stack's project and region", () => {
            const state = mockState(
                "pulumi:pulumi:StackReference",
                "team",
                { name: "organization/fireworker-images/team" },
                CONFIG,
            );
            assert.deepEqual(state, {
                name: "organization/fireworker-images/team",
                outputs: teamOutputPlaceholders("example-lab-123456", "europe-west4"),
                secretOutputNames: [],
            });
            const outputs = state.outputs as Record<string, string>;
            assert.equal(outputs.teamRepository, "europe-west4-docker.pkg.dev/example-lab-123456/fireworker");
            // without a region, us-central1
            const plain = mockState(
                "pulumi:pulumi:StackReference",
                "team",
                { name: "team" },
                { "gcp:project": "p-123456" },
            );
            assert.deepEqual(plain.outputs, teamOutputPlaceholders("p-123456", "us-central1"));
        });

        it("any other resource: its inputs, named by its name input or else the resource name", () => {
            const named = { name: "fireworker", format: "DOCKER" };
            assert.deepEqual(
                mockState("gcp:artifactregistry/repository:Repository", "team-repo", named, CONFIG),
                named,
            );
            const unnamed = { role: "roles/artifactregistry.writer" };
            assert.deepEqual(mockState("gcp:projects/iAMMember:IAMMember", "build-writer", unnamed, CONFIG), {
                ...unnamed,
                name: "build-writer",
            });
        });

        it("answers are deterministic: the same call gives equal state", () => {
            const i = { accountId: "fw-worker" };
            assert.deepEqual(
                mockState("gcp:serviceaccount/account:Account", "w", i, CONFIG),
                mockState("gcp:serviceaccount/account:Account", "w", { ...i }, { ...CONFIG }),
            );
        });
    });
});
