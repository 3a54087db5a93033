import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import {
    buildScript,
    deepenHistory,
    prepareTriggerBuild,
    triggerBase,
    triggerRequestFromEnvironment,
} from "../../../lib/triggers/prepareTriggerBuild";
import { TRIGGER_DIR } from "../../../lib/triggers/triggerBuild";
import { commitAll, git } from "../../support/git";
import { buildOf, planOf, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

const BASE = `sha256:${"b".repeat(64)}`;
const BASE_REF = `python@${BASE}`;

const spec: BuildSpec = {
    kind: "application",
    builder: "cloudbuild",
    image: "us-docker.pkg.dev/p/r/app",
    tags: ["0123456789abcdef0123", "latest"],
    contextDigest: "0".repeat(64),
    context: { kind: "directory", dir: "example" },
    dockerfile: "FROM x:1\n",
    buildArgs: { from: "x:1", label_application: "The lab's app" },
    push: true,
};

describe("preparing a trigger build (lib/triggers/prepareTriggerBuild.ts)", function () {
    this.timeout(120000);

    it("reads its request from the step's environment; an unknown build kind is one line", () => {
        assert.deepEqual(triggerRequestFromEnvironment({ FW_BUILD: "runtime", FW_RUNTIME_REF: "r@x" }), {
            stack: "team",
            build: "runtime",
            runtimeReference: "r@x",
            imageOverride: undefined,
            friendlyTag: undefined,
            base: undefined,
        });
        assert.deepEqual(
            triggerRequestFromEnvironment({
                FW_BUILD: "runtime",
                FW_RUNTIME_REF: "r@x",
                FW_BASE_TAG: "python:3.11-slim-bookworm",
                FW_BASE_REF: BASE_REF,
            }).base,
            { tag: "python:3.11-slim-bookworm", reference: BASE_REF },
        );
        assert.throws(
            () => triggerRequestFromEnvironment({ FW_BUILD: "both" }),
            /^Error: trigger-build: FW_BUILD: "both" is not runtime or application$/,
        );
    });

    it("the build script skips an existing content tag, builds from the packed context and pushes every tag", () => {
        const script = buildScript(spec, "ctx.tar");
        assert.equal(
            script,
            [
                "#!/usr/bin/env bash",
                "set -euo pipefail",
                "if docker manifest inspect us-docker.pkg.dev/p/r/app:0123456789abcdef0123 >/dev/null 2>&1; then",
                '    echo "fireworker: us-docker.pkg.dev/p/r/app:0123456789abcdef0123 exists already (same content hash); nothing to build"',
                "    exit 0",
                "fi",
                "docker build --network=cloudbuild --file=.fireworker.Dockerfile --tag=us-docker.pkg.dev/p/r/app:0123456789abcdef0123 --tag=us-docker.pkg.dev/p/r/app:latest --build-arg=from=x:1 '--build-arg=label_application=The lab'\\''s app' - < ctx.tar",
                "docker push us-docker.pkg.dev/p/r/app:0123456789abcdef0123",
                "docker push us-docker.pkg.dev/p/r/app:latest",
                "",
            ].join("\n"),
        );
        assert.equal(spawnSync("bash", ["-n", "-c", script]).status, 0);
    });

    it("a nightly request pushes the planned content to its own image, with the content tag and a moving tag", async () => {
        const plan = await planOf("team");
        const planned = buildOf(plan, "application");
        const line = await prepareTriggerBuild(
            {
                stack: "team",
                build: "application",
                runtimeReference: String(plan.outputs.runtimeReference),
                imageOverride: "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app",
                friendlyTag: "nightly",
            },
            ROOT,
        );
        const tag = planned.FW_TAGS.split(",")[0];
        assert.equal(
            line,
            `trigger-build: us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:${tag} prepared (4 files)`,
        );
        const script = fs.readFileSync(path.join(ROOT, TRIGGER_DIR, "build.sh"), "utf8");
        assert.ok(
            script.includes(
                `docker push us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:${tag}\n`,
            ),
        );
        assert.ok(
            script.includes(
                "docker push us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:nightly\n",
            ),
        );
    });
});

describe("a runtime trigger's base", function () {
    this.timeout(120000);

    it("is the digest pulumi up resolved its tag to: the same content tag as that plan", async () => {
        const plan = await planOf("team", {}, { resolveBase: async () => ({ digest: BASE, reference: BASE_REF }) });
        const planned = buildOf(plan, "runtime");
        const line = await prepareTriggerBuild(
            {
                stack: "team",
                build: "runtime",
                runtimeReference: String(plan.outputs.runtimeReference),
                base: { tag: "python:3.11-slim-bookworm", reference: BASE_REF },
            },
            ROOT,
        );
        const tag = planned.FW_TAGS.split(",")[0];
        assert.equal(JSON.parse(planned.FW_BUILD_ARGS).from, BASE_REF);
        assert.match(line, new RegExp(`/runtime:${tag} prepared `));
        const script = fs.readFileSync(path.join(ROOT, TRIGGER_DIR, "build.sh"), "utf8");
        assert.ok(script.includes(`--build-arg=from=${BASE_REF} `), script);
    });

    it("a base the trigger holds no digest for stops the prepare step with one line", async () => {
        assert.deepEqual(
            triggerBase(
                {
                    stack: "team",
                    build: "runtime",
                    runtimeReference: "",
                    base: { tag: "python:3.11", reference: BASE_REF },
                },
                "python:3.11",
            ),
            { digest: BASE, reference: BASE_REF },
        );
        await assert.rejects(
            prepareTriggerBuild(
                {
                    stack: "team",
                    build: "runtime",
                    runtimeReference: "",
                    base: { tag: "python:3.10-slim-bookworm", reference: BASE_REF },
                },
                ROOT,
            ),
            {
                message:
                    'fireworker-images:runtime.base: "python:3.11-slim-bookworm" cannot be resolved to a digest by docker.io: the trigger holds the digest of python:3.10-slim-bookworm (resolved at the last pulumi up), not of python:3.11-slim-bookworm: the deploy\'s pulumi up resolves it and builds this runtime; check that the image exists and that you may pull it, or pin it by digest',
            },
        );
        await assert.rejects(
            prepareTriggerBuild({ stack: "team", build: "runtime", runtimeReference: "" }, ROOT),
            /the trigger carries no resolved base \(FW_BASE_TAG, FW_BASE_REF\): run pulumi up of the team stack;/,
        );
    });
});

describe("a trigger's shallow checkout", () => {
    it("is deepened before the git facts are read; a full clone is left as it is", () => {
        const origin = repoTempDir("origin-");
        git(origin, ["init", "-q", "-b", "main"]);
        fs.writeFileSync(path.join(origin, "a.py"), "1\n");
        commitAll(origin, "one", "2024-01-01T00:00:00Z");
        fs.writeFileSync(path.join(origin, "b.py"), "2\n");
        commitAll(origin, "two", "2024-01-02T00:00:00Z");
        const clone = path.join(repoTempDir("clone-"), "c");
        git(path.dirname(clone), ["clone", "-q", "--depth=1", `file://${origin}`, "c"]);
        assert.equal(git(clone, ["rev-parse", "--is-shallow-repository"]), "true");
        const lines: string[] = [];
        deepenHistory(clone, (l) => lines.push(l));
        assert.equal(git(clone, ["rev-parse", "--is-shallow-repository"]), "false");
        assert.deepEqual(lines, [
            "trigger-build: the checkout was shallow; fetched its whole history for the git facts",
        ]);
        deepenHistory(clone, (l) => lines.push(l));
        assert.equal(lines.length, 1);
    });
});
