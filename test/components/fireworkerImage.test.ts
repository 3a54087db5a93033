// The Fireworker disk image component: the bake's plan (command, rendered Cloud Build config,
// trigger, identities) in the team and developer stacks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { BAKE_COMMAND } from "../../components/fireworkerImage";
import { BAKE_STEP_IMAGE, type BakeConfig, bakeTimings, unescapeDollars } from "../../lib/bake/bakeConfig";
import type { Plan } from "../../lib/plan/offlinePlan";
import { bakeEnvOf, configOf, PROJECT, RUNTIME_REPO, sa, stepEnvironment } from "../support/bake";
import { byType, find, patchSetting, planOf, ROOT } from "../support/plan";

const SCRIPT = path.join(ROOT, "scripts", "fireworker-bake.sh");

describe("FireworkerImage (team plan)", () => {
    let plan: Plan;
    let config: BakeConfig;
    before(async () => {
        plan = await planOf("team");
        config = configOf(plan);
    });

    it("bakes with a command whose trigger is the image name, exported with its family", () => {
        find(plan, "fireworker-images:fireworker:FireworkerImage", "fireworker");
        const cmd = find(plan, "command:local:Command", "fireworker-bake", "fireworker");
        assert.equal(cmd.inputs.create, BAKE_COMMAND);
        assert.match(String(plan.outputs.fireworkerImage), /^fireworker-[0-9a-f]{16}$/);
        assert.deepEqual(cmd.inputs.triggers, [plan.outputs.fireworkerImage]);
        assert.equal(plan.outputs.fireworkerFamily, "fireworker");
        const env = bakeEnvOf(plan);
        assert.equal(env.FW_BAKE_IMAGE, plan.outputs.fireworkerImage);
        assert.equal(env.FW_BAKE_FAMILY, "fireworker");
        assert.equal(env.FW_GCP_PROJECT, PROJECT);
        assert.equal(env.FW_CLOUDBUILD_REGION, "us-central1");
    });

    it("renders one bash step on the Cloud SDK image that embeds the bake script, every $ escaped", () => {
        assert.equal(config.steps.length, 1);
        const step = config.steps[0];
        assert.equal(step.name, BAKE_STEP_IMAGE);
        assert.equal(step.entrypoint, "bash");
        assert.equal(step.args[0], "-c");
        assert.equal(unescapeDollars(step.args[1]), readFileSync(SCRIPT, "utf8"));
        // no lone `$` left for Cloud Build to substitute
        assert.doesNotMatch(step.args[1].replace(/\$\$/g, ""), /\$/);
        assert.equal(config.timeout, "2400s");
        assert.equal(config.serviceAccount, `projects/${PROJECT}/serviceAccounts/${sa("fw-baker")}`);
        assert.equal(config.options.logging, "CLOUD_LOGGING_ONLY");
    });

    it("takes the runtime from substitutions whose defaults are the runtime Pulumi knows", () => {
        assert.deepEqual(config.substitutions, {
            _ACTION: "",
            _RUNTIME_REF: plan.outputs.runtimeReference,
            _RUNTIME_TAG: plan.outputs.runtimeTaggedReference,
        });
        const env = config.steps[0].env;
        assert.ok(env.includes("FW_TRIGGER_ACTION=${_ACTION}"));
        assert.ok(env.includes("FW_RUNTIME_REF=${_RUNTIME_REF}"));
        assert.ok(env.includes("FW_RUNTIME_TAG=${_RUNTIME_TAG}"));
        assert.ok(env.includes("FW_BUILD_ID=$BUILD_ID"));
    });

    it("creates the builder as the pull-only fireworker account, shielded, without project SSH keys, deleted by GCE at its max run duration", () => {
        const env = stepEnvironment(config);
        assert.equal(env.FW_SERVICE_ACCOUNT, sa("fw-worker"));
        assert.equal(env.FW_ZONE, "us-central1-b");
        assert.equal(
            Buffer.from(env.FW_PRELOAD_B64, "base64").toString("utf8"),
            readFileSync(path.join(ROOT, "scripts", "fireworker-preload.sh"), "utf8"),
        );
        const t = bakeTimings(2400);
        assert.equal(env.FW_MAX_RUN_DURATION, String(t.maxRunDuration));
        assert.ok(Number(env.FW_WAIT_TIMEOUT) < Number(env.FW_MAX_RUN_DURATION));
        assert.ok(Number(env.FW_MAX_RUN_DURATION) <= 2400, "the builder may not outlive the build");
        const script = unescapeDollars(config.steps[0].args[1]);
        for (const flag of [
            '--max-run-duration="${max_run_duration}s" --instance-termination-action=DELETE',
            "block-project-ssh-keys=TRUE,enable-guest-attributes=TRUE",
            "--shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring",
            '--service-account="$service_account"',
            "startup-script=$work_dir/startup-script",
            "trap cleanup EXIT",
        ]) {
            assert.ok(script.includes(flag), `bake script lacks ${flag}`);
        }
    });

    it("re-bakes from a trigger on the protected gcr topic, on runtime tag pushes, as the baker", () => {
        const topic = find(plan, "gcp:pubsub/topic:Topic", "gcr");
        assert.equal(topic.inputs.name, "gcr");
        assert.deepEqual(topic.options, { protect: true, retainOnDelete: true, dependsOn: ["apis-pubsub"] });
        const trigger = find(plan, "gcp:cloudbuild/trigger:Trigger", "fireworker-rebake", "fireworker");
        assert.deepEqual(trigger.inputs.pubsubConfig, { topic: `projects/${PROJECT}/topics/gcr` });
        assert.equal(trigger.inputs.filter, `_ACTION == "INSERT" && _RUNTIME_TAG.startsWith("${RUNTIME_REPO}:")`);
        assert.deepEqual(trigger.inputs.substitutions, {
            _ACTION: "$(body.message.data.action)",
            _RUNTIME_REF: "$(body.message.data.digest)",
            _RUNTIME_TAG: "$(body.message.data.tag)",
        });
        assert.equal(trigger.inputs.serviceAccount, `projects/${PROJECT}/serviceAccounts/${sa("fw-baker")}`);
        assert.equal(trigger.inputs.location, "us-central1");
        // the very config pulumi up submits
        const build = trigger.inputs.build as {
            steps: { args: string[]; envs: string[]; name: string }[];
            substitutions: Record<string, string>;
            timeout: string;
        };
        assert.deepEqual(build.steps[0].args, config.steps[0].args);
        assert.deepEqual(build.steps[0].envs, config.steps[0].env);
        assert.deepEqual(build.substitutions, config.substitutions);
        assert.equal(build.timeout, config.timeout);
    });

    it("gives the baker compute rights and lets it attach only the pull-only fireworker account", () => {
        const iam = plan.resources.filter((r) => /IAMMember|IamMember/.test(r.type));
        const of = (email: string) =>
            iam
                .filter((r) => r.inputs.member === `serviceAccount:${email}`)
                .map(
                    (r) =>
                        `${r.inputs.role} ${r.inputs.serviceAccountId ? `sa:${String(r.inputs.serviceAccountId).split("/").pop()}` : r.inputs.repository ? `repo:${r.inputs.repository}` : "project"}`,
                )
                .sort();
        assert.deepEqual(of(sa("fw-baker")), [
            `projects/${PROJECT}/roles/fireworkerBaker project`,
            `projects/${PROJECT}/roles/fireworkerBuilderVmAdmin project`,
            "roles/artifactregistry.reader repo:fireworker",
            "roles/artifactregistry.reader repo:fireworker-dev",
            `roles/iam.serviceAccountUser sa:${sa("fw-worker")}`,
            "roles/logging.logWriter project",
        ]);
        // no predefined compute role: instanceAdmin.v1 could set metadata on any VM
        assert.ok(!JSON.stringify(plan.resources).includes("roles/compute."));
        const vms = plan.resources.find((r) => r.name === "accounts-baker-builder-vms")!;
        assert.deepEqual(vms.inputs.condition, {
            title: "fireworker-builder-vms-only",
            description: "Only the bake's fwb-* builder VMs and their disks in us-central1-b",
            expression:
                `resource.name.startsWith("projects/${PROJECT}/zones/us-central1-b/instances/fwb-") || ` +
                `resource.name.startsWith("projects/${PROJECT}/zones/us-central1-b/disks/fwb-")`,
        });
        const images = plan.resources.find((r) => r.name === "accounts-baker-images")!;
        assert.equal(images.inputs.condition, undefined);
        assert.deepEqual(of(sa("fw-worker")), [
            "roles/artifactregistry.reader repo:fireworker",
            "roles/artifactregistry.reader repo:fireworker-dev",
            "roles/logging.logWriter project",
        ]);
        assert.equal(plan.outputs.bakerServiceAccount, sa("fw-baker"));
    });

    it("bakes and re-bakes only after the baker's grants, the builder VM's pull grant and the APIs", () => {
        const expected = [
            "accounts-baker-acts-as-fireworker",
            "accounts-baker-builder-vms",
            "accounts-baker-images",
            "accounts-baker-log-writer",
            "accounts-fireworker-log-writer",
            "apis-cloudbuild",
            "apis-compute",
            "apis-logging",
            "registry-baker-developer-reader",
            "registry-baker-team-reader",
            // fw-worker's pull grant is a child of the registry, not of the accounts
            "registry-fireworker-developer-reader",
            "registry-fireworker-team-reader",
        ];
        assert.deepEqual(find(plan, "command:local:Command", "fireworker-bake").options?.dependsOn, expected);
        assert.deepEqual(
            find(plan, "gcp:cloudbuild/trigger:Trigger", "fireworker-rebake").options?.dependsOn,
            expected,
        );
        assert.equal(find(plan, "command:local:Command", "fireworker-bake").inputs.addPreviousOutputInEnv, false);
    });

    it("gives the same image name for the same inputs, and another for another runtime", async () => {
        const again = await planOf("team");
        assert.equal(again.outputs.fireworkerImage, plan.outputs.fireworkerImage);
        assert.equal(bakeEnvOf(again).FW_BAKE_CONFIG, bakeEnvOf(plan).FW_BAKE_CONFIG);
        const otherRuntime = await planOf("team", patchSetting("team", "runtime", { aptPackages: ["swig"] }));
        assert.notEqual(otherRuntime.outputs.runtimeReference, plan.outputs.runtimeReference);
        assert.notEqual(otherRuntime.outputs.fireworkerImage, plan.outputs.fireworkerImage);
        // how it is baked (zone, machine) does not rename the image; what is baked (disk) does
        const otherZone = await planOf(
            "team",
            patchSetting("team", "fireworker", { zone: "us-central1-c", machineType: "e2-standard-4" }),
        );
        assert.equal(otherZone.outputs.fireworkerImage, plan.outputs.fireworkerImage);
        const otherDisk = await planOf("team", patchSetting("team", "fireworker", { diskSizeGb: 30 }));
        assert.notEqual(otherDisk.outputs.fireworkerImage, plan.outputs.fireworkerImage);
    });

    it("declares no FireworkerImage when fireworker.enabled is false (the gcr topic stays)", async () => {
        const off = await planOf("team", patchSetting("team", "fireworker", { enabled: false }));
        assert.equal(byType(off, "fireworker-images:fireworker:FireworkerImage").length, 0);
        assert.equal(off.outputs.fireworkerImage, undefined);
        find(off, "gcp:pubsub/topic:Topic", "gcr");
    });
});

describe("FireworkerImage (developer plan)", () => {
    it("is absent unless the runtime is experimental and fireworker is enabled", async () => {
        for (const overrides of [{}, patchSetting("dev-example", "runtime", { experimental: true })]) {
            const plan = await planOf("dev-example", overrides);
            assert.equal(byType(plan, "fireworker-images:fireworker:FireworkerImage").length, 0);
            assert.equal(plan.outputs.fireworkerImage, undefined);
        }
    });

    it("bakes the developer's runtime into family fireworker-<id>, with no trigger and no Google resource", async () => {
        const plan = await planOf("dev-example", {
            ...patchSetting("dev-example", "runtime", { experimental: true }),
            "fireworker-images:fireworker": JSON.stringify({ enabled: true }),
        });
        find(plan, "fireworker-images:fireworker:FireworkerImage", "fireworker");
        assert.equal(plan.outputs.fireworkerFamily, "fireworker-example");
        assert.match(String(plan.outputs.fireworkerImage), /^fireworker-example-[0-9a-f]{16}$/);
        assert.equal(plan.resources.filter((r) => r.type.startsWith("gcp:")).length, 0);
        const config = configOf(plan);
        assert.match(config.substitutions._RUNTIME_REF, /fireworker-dev\/example-runtime@sha256:[0-9a-f]{64}$/);
        const env = stepEnvironment(config);
        assert.equal(env.FW_FAMILY, "fireworker-example");
        assert.equal(env.FW_SERVICE_ACCOUNT, sa("fw-worker"));
        assert.equal(config.serviceAccount, `projects/${PROJECT}/serviceAccounts/${sa("fw-baker")}`);
    });
});
