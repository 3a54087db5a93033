import assert from "node:assert/strict";
import {
    DOCKER_IMAGE,
    GCLOUD_IMAGE,
    includedFiles,
    PREPARE_IMAGE,
    PROGRAM_FILES,
    renderTriggerBuild,
    TRIGGER_DIR,
} from "../../../lib/triggers/triggerBuild";

const REF = `r@sha256:${"a".repeat(64)}`;

describe("trigger builds (lib/triggers/triggerBuild.ts)", () => {
    it("prepares with the project's own code, then builds with Docker, FROM the runtime Pulumi knows", () => {
        const b = renderTriggerBuild({ stack: "team", build: "application", timeoutSeconds: 900, programDir: "" }, REF);
        assert.deepEqual(
            b.steps.map((s) => [s.id, s.name]),
            [
                ["prepare", PREPARE_IMAGE],
                ["build", DOCKER_IMAGE],
            ],
        );
        assert.deepEqual(b.steps[0].envs, [
            "FW_STACK=team",
            "FW_BUILD=application",
            "FW_RUNTIME_REF=${_RUNTIME_REF}",
            "FW_GIT_COMMIT=$COMMIT_SHA",
            "FW_GIT_BRANCH=$BRANCH_NAME",
        ]);
        assert.match(
            b.steps[0].args[1],
            /^npm ci .* && node --require ts-node\/register\/transpile-only scripts\/trigger-build\.ts$/,
        );
        assert.deepEqual(b.steps[1].args, [`${TRIGGER_DIR}/build.sh`]);
        assert.deepEqual(b.substitutions, { _RUNTIME_REF: REF });
        assert.equal(b.timeout, "900s");
        assert.deepEqual(b.options, { logging: "CLOUD_LOGGING_ONLY" });
    });

    it("a runtime trigger whose base is named by tag carries the digest pulumi up resolved it to", () => {
        const base = { tag: "python:3.11-slim-bookworm", reference: `python@sha256:${"b".repeat(64)}` };
        const b = renderTriggerBuild(
            { stack: "team", build: "runtime", timeoutSeconds: 60, programDir: "" },
            REF,
            base,
        );
        assert.deepEqual(b.steps[0].envs?.slice(-2), ["FW_BASE_TAG=${_BASE_TAG}", "FW_BASE_REF=${_BASE_REF}"]);
        assert.deepEqual(b.substitutions, { _RUNTIME_REF: REF, _BASE_TAG: base.tag, _BASE_REF: base.reference });
    });

    it("a runtime trigger looks the previous runtime up between prepare and build; that step may fail", () => {
        const b = renderTriggerBuild({ stack: "team", build: "runtime", timeoutSeconds: 60, programDir: "" }, REF);
        assert.deepEqual(
            b.steps.map((s) => [s.id, s.name]),
            [
                ["prepare", PREPARE_IMAGE],
                ["cache-from", GCLOUD_IMAGE],
                ["build", DOCKER_IMAGE],
            ],
        );
        assert.deepEqual(b.steps[1], {
            id: "cache-from",
            name: GCLOUD_IMAGE,
            entrypoint: "bash",
            args: [`${TRIGGER_DIR}/cache-from.sh`],
            allowFailure: true,
        });
        assert.deepEqual(b.steps[2].args, [`${TRIGGER_DIR}/build.sh`]);
        assert.equal(b.steps[2].allowFailure, undefined);
    });

    it("a nightly build pushes elsewhere with a moving tag; a machine type reaches the options", () => {
        const b = renderTriggerBuild(
            {
                stack: "team",
                build: "application",
                imageOverride: "h/p/r/nightly-app",
                timeoutSeconds: 60,
                machineType: "E2_HIGHCPU_8",
                programDir: "",
            },
            REF,
        );
        assert.deepEqual(b.steps[0].envs?.slice(-2), ["FW_IMAGE_OVERRIDE=h/p/r/nightly-app", "FW_FRIENDLY_TAG=latest"]);
        assert.deepEqual(b.options, { logging: "CLOUD_LOGGING_ONLY", machineType: "E2_HIGHCPU_8" });
    });

    it("watches the files the content hash reads plus the extra ones, sorted and unique", () => {
        const isDir = (p: string) => p === "docker/scripts";
        assert.deepEqual(
            includedFiles({ kind: "directory", dir: "example" }, ["lib/**", "stacks/Pulumi.team.yaml"], isDir),
            ["example/**", "lib/**", "stacks/Pulumi.team.yaml"],
        );
        assert.deepEqual(includedFiles({ kind: "directory", dir: "." }, [], isDir), ["**"]);
        assert.deepEqual(
            includedFiles(
                {
                    kind: "files",
                    files: [
                        { src: "example/requirements.txt", dest: "requirements.txt" },
                        { src: "docker/scripts", dest: "scripts" },
                    ],
                },
                ["example/requirements.txt"],
                isDir,
            ),
            ["docker/scripts/**", "example/requirements.txt"],
        );
    });

    it("with the program at a subfolder of the lab's repository: steps run there, globs are the repository's", () => {
        const b = renderTriggerBuild({ stack: "team", build: "runtime", timeoutSeconds: 60, programDir: "infra" }, REF);
        assert.deepEqual(
            b.steps.map((s) => s.dir),
            ["infra", "infra", "infra"],
        );
        assert.deepEqual(
            includedFiles(
                { kind: "files", files: [{ src: "../requirements.txt", dest: "requirements.txt" }] },
                ["stacks/Pulumi.team.yaml", ...PROGRAM_FILES],
                () => false,
                "infra",
            ),
            [
                "infra/Pulumi.yaml",
                "infra/components/**",
                "infra/index.ts",
                "infra/lib/**",
                "infra/package-lock.json",
                "infra/package.json",
                "infra/scripts/**",
                "infra/stacks/Pulumi.team.yaml",
                "infra/tsconfig.json",
                "requirements.txt",
            ],
        );
        assert.deepEqual(
            includedFiles({ kind: "directory", dir: "..", exclude: ["infra"] }, [], () => true, "infra"),
            ["**"],
        );
    });
});
