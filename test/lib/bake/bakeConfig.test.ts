import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    BAKE_DEFAULTS,
    BAKE_STEP_IMAGE,
    type BakeInputs,
    bakeTimings,
    bakeYaml,
    DELETE_AFTER_DAYS,
    DELETE_BEYOND_KEEP,
    defaultZone,
    escapeDollars,
    readBakeScripts,
    rebakeTrigger,
    renderBake,
    triggerBuildOf,
    unescapeDollars,
} from "../../../lib/bake/bakeConfig";
import { PROJECT, RUNTIME_REPO, sa } from "../../support/bake";
import { ROOT } from "../../support/plan";

const scripts = { bake: 'echo "$HOME ${X}"\n', preload: "#!/bin/sh\necho $$\n" };
const inputs: BakeInputs = {
    project: PROJECT,
    family: "fireworker",
    options: { ...BAKE_DEFAULTS, zone: "us-central1-b", workerUsers: ["ann", "bob"], subnetwork: "sub" },
    registryHost: "us-central1-docker.pkg.dev",
    runtimeReference: `${RUNTIME_REPO}@sha256:${"a".repeat(64)}`,
    runtimeTaggedReference: `${RUNTIME_REPO}:0123456789abcdef0123`,
    workerServiceAccount: sa("fw-worker"),
    bakerServiceAccount: sa("fw-baker"),
};

describe("the bake's Cloud Build config (lib/bake/bakeConfig.ts)", () => {
    it("times: the builder lives as long as the build; the wait leaves up to 15 minutes for the rest", () => {
        assert.deepEqual(bakeTimings(2400), {
            buildTimeout: 2400,
            waitTimeout: 1500,
            maxRunDuration: 2400,
            staleAfter: 4800,
        });
        assert.deepEqual(bakeTimings(600), {
            buildTimeout: 600,
            waitTimeout: 300,
            maxRunDuration: 600,
            staleAfter: 1200,
        });
    });

    it("doubles every dollar for Cloud Build, and undoes it", () => {
        assert.equal(escapeDollars("a$b ${c} $$"), "a$$b $${c} $$$$");
        for (const text of ["", "$", "x$$y", scripts.bake]) assert.equal(unescapeDollars(escapeDollars(text)), text);
    });

    it("renders one bash step with the script as one literal argument and every setting in its environment", () => {
        const bake = renderBake(inputs, scripts);
        const [step] = bake.config.steps;
        assert.equal(step.name, BAKE_STEP_IMAGE);
        // the SDK image under its current name (cloud-sdk is the old one)
        assert.match(BAKE_STEP_IMAGE, /^gcr\.io\/google\.com\/cloudsdktool\/google-cloud-cli:/);
        assert.deepEqual(step.args, ["-c", 'echo "$$HOME $${X}"\n', "fireworker-bake"]);
        const env = Object.fromEntries(step.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
        assert.equal(env.FW_RUNTIME_REF, "${_RUNTIME_REF}");
        assert.equal(env.FW_RUNTIME_TAG, "${_RUNTIME_TAG}");
        assert.equal(env.FW_BUILD_ID, "$BUILD_ID");
        assert.equal(env.FW_ZONE, "us-central1-b");
        assert.equal(env.FW_WORKER_USERS, "ann bob");
        assert.equal(env.FW_SUBNETWORK, "sub");
        assert.equal(env.FW_KEEP, "2");
        assert.equal(env.FW_DELETE_BEYOND, String(2 + DELETE_BEYOND_KEEP));
        assert.equal(env.FW_DELETE_AFTER_DAYS, String(DELETE_AFTER_DAYS));
        assert.equal(env.FW_RECIPE, bake.recipe);
        assert.equal(Buffer.from(env.FW_PRELOAD_B64, "base64").toString("utf8"), scripts.preload);
        assert.deepEqual(bake.config.substitutions, {
            // empty in Pulumi's own bake; the re-bake trigger sets it from the push message
            _ACTION: "",
            _RUNTIME_REF: inputs.runtimeReference,
            _RUNTIME_TAG: inputs.runtimeTaggedReference,
        });
        assert.equal(bake.config.serviceAccount, `projects/${PROJECT}/serviceAccounts/${sa("fw-baker")}`);
        assert.deepEqual(bake.config.tags, ["fireworker-bake", "fireworker"]);
        assert.deepEqual(bake.config.options, { logging: "CLOUD_LOGGING_ONLY", substitutionOption: "ALLOW_LOOSE" });
        assert.equal(
            renderBake({ ...inputs, bakerServiceAccount: undefined }, scripts).config.serviceAccount,
            undefined,
        );
    });

    it("writes YAML without folding the long script line, and the trigger's build carries the same steps", () => {
        const bake = renderBake(inputs, scripts);
        assert.ok(bakeYaml(bake.config).includes(`FW_PRELOAD_B64=${Buffer.from(scripts.preload).toString("base64")}`));
        const trigger = triggerBuildOf(bake.config);
        assert.deepEqual(trigger.steps[0].envs, bake.config.steps[0].env);
        assert.equal(trigger.timeout, "2400s");
        assert.ok(!("serviceAccount" in trigger), "a trigger's build runs as the trigger's account");
    });

    it("re-bakes on an INSERT of a tag of the runtime repository, with the pushed digest and tag", () => {
        assert.deepEqual(rebakeTrigger(RUNTIME_REPO), {
            filter: `_ACTION == "INSERT" && _RUNTIME_TAG.startsWith("${RUNTIME_REPO}:")`,
            substitutions: {
                _ACTION: "$(body.message.data.action)",
                _RUNTIME_REF: "$(body.message.data.digest)",
                _RUNTIME_TAG: "$(body.message.data.tag)",
            },
        });
    });

    it("the builder's zone defaults to <region>-b; the scripts come from scripts/", () => {
        assert.equal(defaultZone("europe-west4"), "europe-west4-b");
        const read = readBakeScripts(ROOT);
        assert.equal(read.bake, fs.readFileSync(path.join(ROOT, "scripts", "fireworker-bake.sh"), "utf8"));
        assert.equal(read.preload, fs.readFileSync(path.join(ROOT, "scripts", "fireworker-preload.sh"), "utf8"));
    });
});
