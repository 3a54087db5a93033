import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { hasPlaceholderDigest } from "../../../lib/placeholders";
import { manifestFiles } from "../../../lib/plan/buildInputs";
import { type Plan, planJson, planStack } from "../../../lib/plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../../../lib/plan/stackFile";
import { effectiveSettings } from "../../../lib/settings/loadSettings";
import { buildOf, ROOT } from "../../support/plan";

const configOf = (stack: string) => stackConfig(resolveStackFile(stack, ROOT).file);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("the offline plan (lib/plan/offlinePlan.ts)", function () {
    this.timeout(120000);
    let team: Plan;
    before(async () => {
        team = await planStack("team", configOf("team"));
    });

    it("lists every resource sorted by type, then name, with its parent and the options reviewers need", async () => {
        const keys = team.resources.map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(
            keys,
            [...team.resources]
                .sort((a, b) => cmp(a.type, b.type) || cmp(a.name, b.name))
                .map((r) => `${r.type} ${r.name}`),
        );
        const build = team.resources.find((r) => r.name === "runtime-build");
        assert.equal(build?.parent, "runtime");
        const repo = team.resources.find((r) => r.name === "registry-team");
        // dependsOn: what it waits for besides what its inputs come from
        assert.deepEqual(repo?.options, { protect: true, retainOnDelete: true, dependsOn: ["apis-artifactregistry"] });
        const app = team.resources.find((r) => r.name === "application-build");
        assert.ok(!app?.options?.dependsOn?.includes("runtime-build"), "an input's resource is not listed");
        const local = await planStack("local", configOf("local"));
        assert.equal(local.resources.find((r) => r.name === "runtime-build")?.options, undefined);
    });

    it("lists the team stack a developer stack reads, and resolves the outputs", async () => {
        const dev = await planStack("dev-example", configOf("dev-example"));
        const ref = dev.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
        assert.equal(ref?.name, "team");
        assert.deepEqual(ref?.inputs, { name: "organization/fireworker-images/team" });
        assert.equal(dev.outputs.developer, "example");
        assert.match(
            String(dev.outputs.applicationReference),
            /^us-central1-docker\.pkg\.dev\/.*@sha256:[0-9a-f]{64}$/,
        );
    });

    it("keeps no SDK bookkeeping keys and no undefined values in inputs", () => {
        const text = planJson(team);
        assert.ok(!text.includes("__defaults"));
        assert.ok(text.endsWith("}\n"));
        assert.deepEqual(JSON.parse(text), team);
    });

    it("records the stack's effective settings, by their keys", () => {
        assert.deepEqual(team.settings, effectiveSettings(configOf("team"), { stack: "team", projectRoot: ROOT }));
        assert.deepEqual(team.settings?.["runtime.aptPackages"], ["swig", "gfortran"]);
    });

    it("records what each build reads: files with sizes and hashes, requirement lines, layers, upload", () => {
        assert.deepEqual(
            team.builds?.map((b) => [b.name, b.parent, b.kind, b.builder, b.image.split("/").pop()]),
            [
                ["application-build", "application", "application", "cloudbuild", "app"],
                ["runtime-build", "runtime", "runtime", "cloudbuild", "runtime"],
            ],
        );
        for (const b of team.builds ?? []) {
            const env = buildOf(team, b.parent as "runtime" | "application");
            assert.equal(b.context.digest, env.FW_CONTEXT_DIGEST);
            assert.equal(b.from, JSON.parse(env.FW_BUILD_ARGS).from);
            assert.ok(b.upload > b.context.bytes, "the packed context holds the files and the Dockerfile");
        }
        const [app, runtime] = team.builds ?? [];
        const requirements = fs.readFileSync(path.join(ROOT, "example", "requirements.txt"), "utf8");
        assert.deepEqual(
            [...manifestFiles(app.context).keys()],
            [".dockerignore", "fixtures/keep.json", "main.py", "requirements.txt"],
        );
        assert.deepEqual(manifestFiles(runtime.context).get("requirements.txt"), {
            size: Buffer.byteLength(requirements),
            hash: createHash("sha256").update(requirements).digest("hex").slice(0, 12),
            flag: "",
        });
        assert.deepEqual(runtime.requirements, [{ file: "requirements.txt", lines: ["numpy==1.26.4"] }]);
        assert.equal(app.requirements, undefined);
        assert.equal(runtime.layers, 4);
        assert.equal(app.layers, 1);
    });

    it("marks placeholders: build digests, what follows from them, and a developer stack's team outputs", async () => {
        const meanings = new Map((team.placeholders ?? []).map((p) => [p.value, p.meaning]));
        const runtimeRef = String(team.outputs.runtimeReference);
        const digest = runtimeRef.split("@")[1];
        assert.ok(hasPlaceholderDigest(digest), runtimeRef);
        assert.equal(
            meanings.get(digest),
            "registry digest of us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime, known after the build",
        );
        // the application's content tag hashes its FROM, the runtime's placeholder digest
        const appTag = buildOf(team, "application").FW_TAGS;
        assert.match(
            String(meanings.get(appTag)),
            /^content tag of .*\/app; follows the registry digest of .*\/runtime/,
        );
        assert.match(
            String(meanings.get(String(team.outputs.fireworkerImage))),
            /^disk image name; follows the registry digest/,
        );
        // the runtime's base is resolved at pulumi up: a placeholder digest beside the tag, and the
        // runtime's content tag follows it
        const runtime = buildOf(team, "runtime");
        assert.equal(runtime.FW_BASE, "python:3.11-slim-bookworm");
        const from = JSON.parse(runtime.FW_BUILD_ARGS).from as string;
        assert.match(from, /^python@sha256:0{32}[0-9a-f]{32}$/);
        assert.equal(
            meanings.get(from.split("@")[1]),
            "registry digest of python:3.11-slim-bookworm, resolved at pulumi up",
        );
        assert.equal(
            meanings.get(runtime.FW_TAGS),
            "content tag of us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime; follows the registry digest of python:3.11-slim-bookworm, resolved at pulumi up",
        );
        const values = (team.placeholders ?? []).map((p) => p.value);
        assert.deepEqual(values, [...values].sort(cmp));
        const dev = await planStack("dev-example", configOf("dev-example"));
        const devMeanings = new Map((dev.placeholders ?? []).map((p) => [p.value, p.meaning]));
        assert.equal(
            devMeanings.get("fw-dev-build@example-lab-123456.iam.gserviceaccount.com"),
            "team stack output developerBuildServiceAccount, read at pulumi up",
        );
        assert.equal(
            devMeanings.get(String(dev.outputs.runtimeReference)),
            "team stack output runtimeReference, read at pulumi up",
        );
    });

    it("hands each image build to an executor, and each base to a resolver, instead of faking them, when given", async () => {
        const seen: string[] = [];
        const bases: string[] = [];
        const plan = await planStack("local", configOf("local"), {
            execute: async (env) => {
                seen.push(env.FW_IMAGE);
                return { digest: `sha256:${"c".repeat(64)}`, reference: `sha256:${"c".repeat(64)}` };
            },
            resolveBase: async (reference, resolver) => {
                bases.push(`${resolver} ${reference}`);
                return { digest: `sha256:${"b".repeat(64)}`, reference: `python@sha256:${"b".repeat(64)}` };
            },
        });
        assert.deepEqual(seen.sort(), ["fireworker/app", "fireworker/runtime"]);
        assert.deepEqual(bases, ["engine python:3.11-slim-bookworm"]);
        assert.equal(JSON.parse(buildOf(plan, "runtime").FW_BUILD_ARGS).from, `python@sha256:${"b".repeat(64)}`);
        assert.equal(plan.outputs.applicationReference, `sha256:${"c".repeat(64)}`);
        // real digests are no placeholders; nor is what follows from them
        assert.deepEqual(plan.placeholders, []);
    });

    it("stops with one line naming the setting and the resolver's answer when a base cannot be resolved", async () => {
        await assert.rejects(
            planStack("local", configOf("local"), {
                resolveBase: async () => {
                    throw new Error("docker pull: manifest for python:3.11-slim-bookworm not found");
                },
            }),
            (err: Error) => {
                assert.equal(
                    err.message,
                    'fireworker-images:runtime.base: "python:3.11-slim-bookworm" cannot be resolved to a digest by the local Docker engine: docker pull: manifest for python:3.11-slim-bookworm not found; check that the image exists and that you may pull it, or pin it by digest',
                );
                assert.ok(pulumi.RunError.isInstance(err));
                return true;
            },
        );
    });
});
