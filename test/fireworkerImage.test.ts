// The Fireworker disk image: the bake's plan (command, rendered Cloud Build config, trigger,
// identities) and the bake script itself, run for real against a fake `gcloud` that logs its
// argv and simulates success, a failed guest, a guest that never answers, a failing image
// creation and a cancelled build. Every failure path must delete the builder VM.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { BAKE_COMMAND } from "../components/fireworkerImage";
import {
    BakeConfig,
    bakeImageName,
    bakeTimings,
    BakeSpec,
    BAKE_STEP_IMAGE,
    readBakeScripts,
    recipeHash,
    renderBake,
    runtimeLine,
    unescapeDollars,
} from "../lib/bake";
import { loadSettings } from "../lib/settings";
import { Plan } from "../lib/offlinePlan";
import { runBake } from "../scripts/bake-image";
import { byType, find, patchSetting, planOf, ROOT } from "./support/plan";

const PROJECT = "example-lab-123456";
const SCRIPT = path.join(ROOT, "scripts", "fireworker-bake.sh");
const RUNTIME_REPO = `us-central1-docker.pkg.dev/${PROJECT}/fireworker/runtime`;
const sa = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;

function bakeEnvOf(plan: Plan, parent = "fireworker"): Record<string, string> {
    return find(plan, "command:local:Command", `${parent}-bake`, parent).inputs.environment as Record<string, string>;
}

function configOf(plan: Plan): BakeConfig {
    return parse(bakeEnvOf(plan).FW_BAKE_CONFIG) as BakeConfig;
}

/** The step's environment as Cloud Build makes it: `$$` is `$`, `${_X}` / `$X` substituted. */
function stepEnvironment(
    config: BakeConfig,
    overrides: Record<string, string> = {},
    buildId = "0f3c2a1b-7d4e-4b8a-9c1d-2e3f4a5b6c7d",
): Record<string, string> {
    const values: Record<string, string> = { ...config.substitutions, ...overrides, BUILD_ID: buildId };
    const env: Record<string, string> = {};
    for (const entry of config.steps[0].env) {
        const i = entry.indexOf("=");
        env[entry.slice(0, i)] = entry
            .slice(i + 1)
            .replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) =>
                m === "$$" ? "$" : (values[(a ?? b)!] ?? ""),
            );
    }
    return env;
}

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
            _RUNTIME_REF: plan.outputs.runtimeReference,
            _RUNTIME_TAG: plan.outputs.runtimeTaggedReference,
        });
        const env = config.steps[0].env;
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
        assert.deepEqual(topic.options, { protect: true, retainOnDelete: true });
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
            "roles/compute.instanceAdmin.v1 project",
            "roles/compute.storageAdmin project",
            `roles/iam.serviceAccountUser sa:${sa("fw-worker")}`,
            "roles/logging.logWriter project",
        ]);
        assert.deepEqual(of(sa("fw-worker")), [
            "roles/artifactregistry.reader repo:fireworker",
            "roles/artifactregistry.reader repo:fireworker-dev",
            "roles/logging.logWriter project",
        ]);
        assert.equal(plan.outputs.bakerServiceAccount, sa("fw-baker"));
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

describe("bake naming (lib/bake.ts)", () => {
    const settings = loadSettings(
        { "gcp:project": PROJECT, "gcp:region": "us-central1", "fireworker-images:mode": "team" },
        { stack: "team", projectRoot: ROOT },
    );
    const scripts = readBakeScripts(ROOT);
    const spec = (digit: string): BakeSpec => ({
        project: PROJECT,
        family: "fireworker",
        fireworker: settings.fireworker,
        registryHost: "us-central1-docker.pkg.dev",
        runtimeReference: `${RUNTIME_REPO}@sha256:${digit.repeat(64)}`,
        runtimeTaggedReference: `${RUNTIME_REPO}:0123456789abcdef0123`,
        workerServiceAccount: sa("fw-worker"),
    });

    it("is a valid GCE name, stable for the same inputs, different for another digest", () => {
        const a = renderBake(spec("a"), scripts);
        assert.match(a.imageName, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
        assert.ok(a.imageName.length <= 63);
        assert.equal(renderBake(spec("a"), scripts).imageName, a.imageName);
        assert.notEqual(renderBake(spec("b"), scripts).imageName, a.imageName);
        assert.notEqual(renderBake(spec("a"), { ...scripts, preload: `${scripts.preload}\n` }).imageName, a.imageName);
        assert.equal(a.runtimeLine, `${RUNTIME_REPO}:0123456789abcdef0123@sha256:${"a".repeat(64)}`);
        assert.throws(() => bakeImageName("f".repeat(47), a.recipe, a.runtimeLine), /at most 46/);
    });

    it("refuses a tag and a digest of different repositories", () => {
        assert.throws(
            () => runtimeLine(`${RUNTIME_REPO}:t`, `${RUNTIME_REPO}-x@sha256:${"a".repeat(64)}`),
            /different repositories/,
        );
        assert.throws(() => runtimeLine(`${RUNTIME_REPO}:t`, `${RUNTIME_REPO}:t`), /REPOSITORY@sha256/);
    });
});

// ------------------------------------------------------------------ the bake script, for real ----

// (no "${" below: it is a template literal)
const FAKE_GCLOUD = String.raw`#!/usr/bin/env bash
# fake gcloud: logs argv (one line a call) to $FAKE_STATE/calls.log and simulates GCE.
state="$FAKE_STATE"
printf '%s\n' "$*" >>"$state/calls.log"
name="$4"
not_found() {
    echo "ERROR: (gcloud.$1) Could not fetch resource: - The resource '$2' was not found" >&2
    exit 1
}
case "$1 $2" in
"builds submit")
    for a in "$@"; do
        case "$a" in --config=*) cp "$(printf '%s' "$a" | cut -d= -f2-)" "$state/submitted.yaml" ;; esac
    done
    echo "build-0001"
    exit 0
    ;;
"builds describe")
    if [ -n "$FAKE_BUILD_STATUS" ]; then echo "$FAKE_BUILD_STATUS"; else echo SUCCESS; fi
    exit 0
    ;;
"builds log") echo "Step #0 - bake: fireworker-bake: FAILED: preload failed"; exit 0 ;;
esac
case "$1 $2 $3" in
"compute images describe")
    if [ -f "$state/image-$name" ]; then echo READY; exit 0; fi
    if [ -n "$FAKE_CONCURRENT_IMAGE" ] && [ "$FAKE_CONCURRENT_IMAGE" = "$name" ]; then
        n="$(cat "$state/concurrent-count" 2>/dev/null || echo 0)"
        echo $((n + 1)) >"$state/concurrent-count"
        if [ "$n" -ge 1 ]; then echo READY; exit 0; fi
    fi
    not_found compute.images.describe "$name"
    ;;
"compute images describe-from-family") printf 'debian-12-bookworm-v20250610\t10\n' ;;
"compute images create")
    if [ "$FAKE_IMAGE_CREATE" = fail ]; then
        echo "ERROR: (gcloud.compute.images.create) Quota 'IMAGES' exceeded" >&2
        exit 1
    fi
    touch "$state/image-$name"
    ;;
"compute images list")
    for f in "$state"/image-*; do
        if [ -e "$f" ]; then printf '%s,,,fireworker-images\n' "$(basename "$f" | sed 's/^image-//')"; fi
    done
    cat "$state/family.txt" 2>/dev/null || true
    ;;
"compute images deprecate" | "compute images delete") ;;
"compute instances list") cat "$state/builders.txt" 2>/dev/null || true ;;
"compute instances create")
    touch "$state/instance-$name"
    printf '%s\n' "$@" >"$state/create-args"
    ;;
"compute instances describe")
    if [ -f "$state/instance-$name" ]; then echo RUNNING; exit 0; fi
    if [ -n "$FAKE_CONCURRENT_BUILDER" ] && [ "$FAKE_CONCURRENT_BUILDER" = "$name" ]; then echo RUNNING; exit 0; fi
    not_found compute.instances.describe "$name"
    ;;
"compute instances get-guest-attributes")
    case "$FAKE_GUEST" in
    "" | ok) printf 'status\tok\n' ;;
    failed) printf 'reason\tpull failed: %s\nstatus\tfailed\n' "runtime@sha256:abc" ;;
    *)
        echo "ERROR: (gcloud.compute.instances.get-guest-attributes) The resource was not found" >&2
        exit 1
        ;;
    esac
    ;;
"compute instances get-serial-port-output") printf 'Booting Debian\nfireworker-preload: pulling runtime\nFIREWORKER-PRELOAD: failed: pull failed\n' ;;
"compute instances stop") ;;
"compute instances delete")
    if [ -f "$state/instance-$name" ]; then rm -f "$state/instance-$name"; exit 0; fi
    if grep -q "^$name," "$state/builders.txt" 2>/dev/null; then exit 0; fi
    not_found compute.instances.delete "$name"
    ;;
*)
    echo "fake gcloud: unexpected call: $*" >&2
    exit 2
    ;;
esac
`;

interface BakeRun {
    status: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    calls: string[];
    state: string;
}

describe("scripts/fireworker-bake.sh with a fake gcloud", function () {
    let config: BakeConfig;
    let imageName: string;
    let recipe: string;
    let fakeBin: string;
    const dirs: string[] = [];

    before(async () => {
        const plan = await planOf("team");
        config = configOf(plan);
        imageName = String(plan.outputs.fireworkerImage);
        recipe = stepEnvironment(config).FW_RECIPE;
        fakeBin = mkdtempSync(path.join(os.tmpdir(), "fw-fake-gcloud-"));
        dirs.push(fakeBin);
        writeFileSync(path.join(fakeBin, "gcloud"), FAKE_GCLOUD);
        chmodSync(path.join(fakeBin, "gcloud"), 0o755);
    });
    after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    function newState(files: Record<string, string> = {}): string {
        const state = mkdtempSync(path.join(os.tmpdir(), "fw-bake-state-"));
        dirs.push(state);
        for (const [f, text] of Object.entries(files)) writeFileSync(path.join(state, f), text);
        return state;
    }

    function environment(
        state: string,
        fake: Record<string, string>,
        substitutions: Record<string, string> = {},
    ): NodeJS.ProcessEnv {
        return {
            PATH: `${fakeBin}:${process.env.PATH}`,
            HOME: state,
            TMPDIR: state,
            ...stepEnvironment(config, substitutions),
            FW_POLL_INTERVAL: "0.05",
            FW_RETRY_DELAY: "0",
            FAKE_STATE: state,
            ...fake,
        };
    }

    function finish(
        state: string,
        status: number | null,
        signal: NodeJS.Signals | null,
        stdout: string,
        stderr: string,
    ): BakeRun {
        const log = path.join(state, "calls.log");
        const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
        return { status, signal, stdout, stderr, calls, state };
    }

    /** Runs the script file, or (`embedded`) the text of the rendered config as Cloud Build would. */
    function bake(
        fake: Record<string, string> = {},
        opts: { files?: Record<string, string>; substitutions?: Record<string, string>; embedded?: boolean } = {},
    ): BakeRun {
        const state = newState(opts.files);
        const args = opts.embedded ? ["-c", unescapeDollars(config.steps[0].args[1]), "fireworker-bake"] : [SCRIPT];
        const r = spawnSync("bash", args, {
            env: environment(state, fake, opts.substitutions),
            encoding: "utf8",
            timeout: 60000,
        });
        return finish(state, r.status, r.signal, r.stdout, r.stderr);
    }

    const index = (run: BakeRun, prefix: string) => run.calls.findIndex((c) => c.startsWith(prefix));
    const builderOf = (run: BakeRun) => {
        const create = run.calls.find((c) => c.startsWith("compute instances create "));
        assert.ok(create, `no builder was created:\n${run.calls.join("\n")}\n${run.stderr}`);
        return create.split(" ")[3];
    };
    const assertBuilderDeleted = (run: BakeRun) => {
        const builder = builderOf(run);
        assert.ok(
            run.calls.some((c) => c.startsWith(`compute instances delete ${builder} `) && c.includes("--quiet")),
            `builder ${builder} was not deleted:\n${run.calls.join("\n")}\n${run.stderr}`,
        );
        assert.ok(!existsSync(path.join(run.state, `instance-${builder}`)), "the builder VM is left");
    };

    it("success: creates the builder, waits, stops, images, deletes, then prunes the family beyond keep", () => {
        const family = [
            // CSV: name, deprecated.state, deprecated.deleted, labels.managed-by (newest first, after the new image)
            "fireworker-0000000000000001,,,fireworker-images", // rank 2: kept
            "fireworker-0000000000000002,,,fireworker-images", // rank 3: deprecated
            "fireworker-0000000000000003,DEPRECATED,2000-01-01T00:00:00.000-00:00,fireworker-images", // rank 4: past its delete date
            "fireworker-0000000000000004,DEPRECATED,2999-01-01T00:00:00.000-00:00,fireworker-images", // rank 5: waits
            "fireworker-by-hand-1,,,", // rank 6: made by hand, only deprecated
            "fireworker-0000000000000006,DEPRECATED,,fireworker-images", // rank 7: beyond keep+3
        ].join("\n");
        const run = bake({}, { files: { "family.txt": `${family}\n` } });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim().split("\n").pop(), `FIREWORKER-BAKE: baked ${imageName}`);
        const builder = builderOf(run);
        assert.match(builder, /^fwb-[0-9a-f]{16}-0f3c2a1b$/);
        const create = readFileSync(path.join(run.state, "create-args"), "utf8").split("\n");
        for (const arg of [
            "--max-run-duration=2400s",
            "--instance-termination-action=DELETE",
            "--service-account=" + sa("fw-worker"),
            "--shielded-secure-boot",
            "--shielded-vtpm",
            "--shielded-integrity-monitoring",
            "--image=debian-12-bookworm-v20250610",
            "--image-project=debian-cloud",
            "--boot-disk-size=20GB",
            "--zone=us-central1-b",
            "--metadata=block-project-ssh-keys=TRUE,enable-guest-attributes=TRUE,fw-registry-host=us-central1-docker.pkg.dev",
        ]) {
            assert.ok(create.includes(arg), `instances create lacks ${arg}: ${create.join(" ")}`);
        }
        assert.ok(!create.includes("--no-address"));
        assert.ok(
            create.some(
                (a) =>
                    a.startsWith("--labels=") &&
                    a.includes(`fireworker-image=${imageName}`) &&
                    a.includes("fireworker-role=builder"),
            ),
        );
        const stop = index(run, `compute instances stop ${builder} `);
        const image = index(run, `compute images create ${imageName} `);
        const del = index(run, `compute instances delete ${builder} `);
        const deprecate = index(run, "compute images deprecate ");
        assert.ok(
            index(run, "compute instances create ") < stop && stop < image && image < del && del < deprecate,
            run.calls.join("\n"),
        );
        assert.equal(
            run.calls.filter((c) => c.startsWith("compute instances delete ")).length,
            1,
            "deleted once (the trap finds it gone)",
        );
        const imageCall = run.calls[image];
        assert.ok(imageCall.includes(`--source-disk=${builder} --source-disk-zone=us-central1-b --family=fireworker`));
        const labels = /--labels=(\S+)/.exec(imageCall)![1].split(",");
        for (const l of labels) {
            const [k, v] = l.split("=");
            assert.match(k, /^[a-z][a-z0-9_-]{0,62}$/);
            assert.match(v, /^[a-z0-9_-]{0,63}$/, `label ${l}`);
        }
        const digest = String(config.substitutions._RUNTIME_REF).split("@sha256:")[1];
        assert.ok(labels.includes(`runtime-digest=sha256-${digest.slice(0, 56)}`));
        assert.ok(labels.includes("source-image=debian-12-bookworm-v20250610"));
        assert.ok(
            imageCall.includes(`${config.substitutions._RUNTIME_TAG}@sha256:${digest}`),
            "description names the full runtime reference",
        );
        // pruning: keep 2, deprecate beyond, delete managed images beyond keep+3 or past their date
        const pruned = run.calls
            .filter((c) => c.startsWith("compute images deprecate ") || c.startsWith("compute images delete "))
            .map((c) => c.split(" ").slice(0, 4).join(" "));
        assert.deepEqual(pruned, [
            "compute images deprecate fireworker-0000000000000002",
            "compute images delete fireworker-0000000000000003",
            "compute images deprecate fireworker-by-hand-1",
            "compute images delete fireworker-0000000000000006",
        ]);
        assert.ok(
            run.calls.some((c) =>
                c.startsWith(
                    "compute images deprecate fireworker-0000000000000002 --state=DEPRECATED --replacement=" +
                        imageName,
                ),
            ),
        );
        assert.ok(!run.calls.some((c) => c.startsWith("compute images list ") && !c.includes("--show-deprecated")));
    });

    it("the embedded config text computes the name Pulumi exports", () => {
        const run = bake({}, { embedded: true });
        assert.equal(run.status, 0, run.stderr);
        assert.ok(run.calls.some((c) => c.startsWith(`compute images create ${imageName} `)));
    });

    it("exits 0 at once when the image exists: baking twice makes one image", () => {
        const run = bake({}, { files: { [`image-${imageName}`]: "" } });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
        assert.equal(index(run, "compute instances create "), -1);
        assert.equal(index(run, "compute images create "), -1);
    });

    it("guest reports failed: prints the serial console tail, fails, deletes the builder", () => {
        const run = bake({ FAKE_GUEST: "failed" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /preload failed on fwb-\S+: pull failed: runtime@sha256:abc/);
        assert.match(run.stderr, /FIREWORKER-PRELOAD: failed: pull failed/);
        assert.ok(index(run, "compute instances get-serial-port-output ") >= 0);
        assert.equal(index(run, "compute images create "), -1);
        assertBuilderDeleted(run);
    });

    it("guest never answers: times out, prints the serial console tail, deletes the builder", () => {
        const run = bake({ FAKE_GUEST: "none", FW_WAIT_TIMEOUT: "1" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /timed out after 1s waiting for fwb-\S+ to report fireworker\/status/);
        assert.ok(index(run, "compute instances get-serial-port-output ") >= 0);
        assert.equal(index(run, "compute images create "), -1);
        assertBuilderDeleted(run);
    });

    it("image creation fails: fails, deletes the builder, prunes nothing", () => {
        const run = bake({ FAKE_IMAGE_CREATE: "fail" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /could not create image/);
        assert.ok(index(run, "compute images create ") > index(run, "compute instances stop "));
        assert.equal(index(run, "compute images deprecate "), -1);
        assertBuilderDeleted(run);
    });

    it("cancelled build (SIGTERM while waiting): deletes the builder on the way out", async () => {
        const state = newState();
        const child = spawn("bash", [SCRIPT], {
            env: environment(state, { FAKE_GUEST: "none", FW_WAIT_TIMEOUT: "600" }),
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
            child.on("exit", (code, signal) => resolve([code, signal])),
        );
        const log = path.join(state, "calls.log");
        for (
            let i = 0;
            i < 200 && !(existsSync(log) && readFileSync(log, "utf8").includes("get-guest-attributes"));
            i++
        ) {
            await new Promise((r) => setTimeout(r, 50));
        }
        child.kill("SIGTERM");
        const [code, signal] = await exited;
        const run = finish(state, code, signal, stdout, stderr);
        assert.equal(run.status, 143, run.stderr);
        assertBuilderDeleted(run);
    });

    it("a runtime pushed outside Pulumi (the trigger's substitutions) bakes another image", () => {
        const pushedDigest = `sha256:${"e".repeat(64)}`;
        const run = bake(
            {},
            {
                substitutions: {
                    _RUNTIME_REF: `${RUNTIME_REPO}@${pushedDigest}`,
                    _RUNTIME_TAG: `${RUNTIME_REPO}:eeeeeeeeeeeeeeeeeeee`,
                },
            },
        );
        assert.equal(run.status, 0, run.stderr);
        const expected = bakeImageName("fireworker", recipe, `${RUNTIME_REPO}:eeeeeeeeeeeeeeeeeeee@${pushedDigest}`);
        assert.notEqual(expected, imageName);
        assert.ok(
            run.calls.some((c) => c.startsWith(`compute images create ${expected} `)),
            run.calls.join("\n"),
        );
    });

    it("refuses a tag and a digest of different repositories before creating anything", () => {
        const run = bake({}, { substitutions: { _RUNTIME_TAG: `${RUNTIME_REPO}-other:t` } });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /different repositories/);
        assert.equal(index(run, "compute instances create "), -1);
    });

    it("deletes builders left by killed bakes, and waits for a live bake of the same image instead of baking twice", () => {
        const old =
            "fwb-0000000000000000-deadbeef,us-central1-b,2020-01-01T00:00:00.000-07:00,fireworker-0000000000000000";
        const now = new Date().toISOString();
        const live = `fwb-${imageName.split("-").pop()}-cafecafe,us-central1-b,${now},${imageName}`;
        const run = bake(
            { FAKE_CONCURRENT_IMAGE: imageName, FAKE_CONCURRENT_BUILDER: `fwb-${imageName.split("-").pop()}-cafecafe` },
            { files: { "builders.txt": `${old}\n${live}\n` } },
        );
        assert.equal(run.status, 0, run.stderr);
        assert.ok(
            run.calls.some((c) =>
                c.startsWith("compute instances delete fwb-0000000000000000-deadbeef --zone=us-central1-b"),
            ),
        );
        assert.ok(
            !run.calls.some((c) => c.startsWith("compute instances delete fwb-" + imageName.split("-").pop())),
            "the live builder is not ours to delete",
        );
        assert.equal(index(run, "compute instances create "), -1);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
    });

    it("internalIpOnly and a subnetwork reach the builder", async () => {
        const plan = await planOf(
            "team",
            patchSetting("team", "fireworker", { internalIpOnly: true, subnetwork: "builders" }),
        );
        const saved = config;
        config = configOf(plan);
        try {
            const run = bake();
            assert.equal(run.status, 0, run.stderr);
            const create = readFileSync(path.join(run.state, "create-args"), "utf8").split("\n");
            assert.ok(create.includes("--no-address"));
            assert.ok(create.includes("--subnet=builders"));
        } finally {
            config = saved;
        }
    });

    it("pulumi up's runner writes the config, submits it asynchronously and follows the build", async () => {
        const root = newState();
        const state = newState();
        const env = {
            PATH: `${fakeBin}:${process.env.PATH}`,
            FAKE_STATE: state,
            FW_BAKE_IMAGE: imageName,
            FW_BAKE_FAMILY: "fireworker",
            FW_BAKE_CONFIG: "steps: []\n",
            FW_GCP_PROJECT: PROJECT,
            FW_CLOUDBUILD_REGION: "us-central1",
        };
        const sink = { write: () => true } as unknown as NodeJS.WritableStream;
        const result = await runBake({ projectRoot: root, env, pollSeconds: 0, log: sink });
        assert.deepEqual(result, { image: imageName, family: "fireworker", build: "build-0001" });
        assert.equal(readFileSync(path.join(root, ".fireworker", "bakes", `${imageName}.yaml`), "utf8"), "steps: []\n");
        const calls = readFileSync(path.join(state, "calls.log"), "utf8").trim().split("\n");
        assert.ok(
            calls[0].startsWith("builds submit --no-source --config=") &&
                calls[0].includes("--async") &&
                calls[0].includes(`--project=${PROJECT} --region=us-central1`),
            calls[0],
        );
        assert.ok(calls[1].startsWith("builds describe build-0001 "));
        await assert.rejects(
            runBake({ projectRoot: root, env: { ...env, FAKE_BUILD_STATUS: "FAILURE" }, pollSeconds: 0, log: sink }),
            /bake of fireworker-[0-9a-f]{16} ended FAILURE \(Cloud Build build-0001\)/,
        );
    });
});

describe("recipe", () => {
    it("does not depend on how the image is baked", () => {
        const base = loadSettings(
            { "gcp:project": PROJECT, "gcp:region": "us-central1", "fireworker-images:mode": "team" },
            { stack: "team", projectRoot: ROOT },
        );
        const scripts = readBakeScripts(ROOT);
        const spec = (f: typeof base.fireworker): BakeSpec => ({
            project: PROJECT,
            family: "fireworker",
            fireworker: f,
            registryHost: "us-central1-docker.pkg.dev",
            runtimeReference: `${RUNTIME_REPO}@sha256:${"a".repeat(64)}`,
            runtimeTaggedReference: `${RUNTIME_REPO}:t`,
            workerServiceAccount: sa("fw-worker"),
        });
        const r = recipeHash(spec(base.fireworker), scripts);
        assert.equal(recipeHash(spec({ ...base.fireworker, keep: 5, bakeTimeout: 3600, network: "n" }), scripts), r);
        assert.notEqual(recipeHash(spec({ ...base.fireworker, workerUsers: ["worker"] }), scripts), r);
        assert.notEqual(recipeHash(spec({ ...base.fireworker, sourceImageFamily: "debian-13" }), scripts), r);
    });
});
