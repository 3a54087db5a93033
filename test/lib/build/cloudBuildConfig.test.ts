import assert from "node:assert/strict";
import { parse } from "yaml";
import {
    CACHE_FROM_SCRIPT,
    CACHE_FROM_SUBSTITUTION,
    cloudBuildYaml,
    DOCKERFILE_IN_CONTEXT,
    dockerBuildArgs,
    renderCloudBuildConfig,
} from "../../../lib/build/cloudBuildConfig";
import { assertGolden } from "../../support/golden";
import { buildOf, patchSetting, planOf } from "../../support/plan";

describe("Cloud Build config (lib/build/cloudBuildConfig.ts)", () => {
    it("docker build arguments: the context's Dockerfile, every tag, build args sorted by name", () => {
        assert.deepEqual(
            dockerBuildArgs({ refs: ["i:a", "i:b"], buildArgs: { z: "1", a: "x y" }, labels: { "b.c": "2", a: "1" } }),
            [
                "build",
                `--file=${DOCKERFILE_IN_CONTEXT}`,
                "--tag=i:a",
                "--tag=i:b",
                "--build-arg=a=x y",
                "--build-arg=z=1",
                "--label=a=1",
                "--label=b.c=2",
            ],
        );
        assert.deepEqual(dockerBuildArgs({ refs: ["i:a"], buildArgs: {}, network: "host" }).slice(0, 2), [
            "build",
            "--network=host",
        ]);
    });

    it("renders a Cloud Build config with timeout, machine type, service account and pushed tags", () => {
        const config = renderCloudBuildConfig({
            image: "us-central1-docker.pkg.dev/p/fireworker/runtime",
            tags: ["0123456789abcdef0123"],
            buildArgs: { from: "python:3.11-slim-bookworm" },
            timeoutSeconds: 3600,
            machineType: "E2_HIGHCPU_8",
            serviceAccount: "projects/p/serviceAccounts/fw-build@p.iam.gserviceaccount.com",
        });
        const text = cloudBuildYaml(config);
        assertGolden("runtime.cloudbuild.yaml", text);
        const parsed = parse(text);
        assert.equal(parsed.timeout, "3600s");
        assert.equal(parsed.options.machineType, "E2_HIGHCPU_8");
        assert.equal(parsed.options.logging, "CLOUD_LOGGING_ONLY");
        assert.deepEqual(parsed.images, ["us-central1-docker.pkg.dev/p/fireworker/runtime:0123456789abcdef0123"]);
        // other builders of the same content find this build by its build tag
        assert.deepEqual(parsed.tags, ["fw-content-0123456789abcdef0123"]);
    });

    it("builds and pushes only the content tag: moving tags are moved to its digest afterwards", () => {
        const config = renderCloudBuildConfig({
            image: "us-central1-docker.pkg.dev/p/fireworker-dev/ann-app",
            tags: ["0123456789abcdef0123", "latest"],
            buildArgs: {},
            timeoutSeconds: 600,
        });
        assert.deepEqual(config.images, ["us-central1-docker.pkg.dev/p/fireworker-dev/ann-app:0123456789abcdef0123"]);
        assert.ok(!config.steps[0].args.some((a) => a.includes(":latest")));
    });

    it("escapes dollars so Cloud Build does not substitute build args", () => {
        const text = cloudBuildYaml(
            renderCloudBuildConfig({ image: "i", tags: ["t"], buildArgs: { x: "a$b" }, timeoutSeconds: 60 }),
        );
        assert.match(text, /--build-arg=x=a\$\$b/);
    });

    it("plans both team builds with their Cloud Build configs", async () => {
        const plan = await planOf("team");
        const runtime = parse(buildOf(plan, "runtime").FW_CLOUDBUILD_CONFIG);
        const app = parse(buildOf(plan, "application").FW_CLOUDBUILD_CONFIG);
        assert.equal(runtime.timeout, "3600s");
        assert.equal(app.timeout, "900s");
        assert.equal(
            runtime.serviceAccount,
            "projects/example-lab-123456/serviceAccounts/fw-build@example-lab-123456.iam.gserviceaccount.com",
        );
        const fromArg = app.steps[0].args.find((a: string) => a.startsWith("--build-arg=from="));
        assert.match(
            fromArg,
            /^--build-arg=from=us-central1-docker\.pkg\.dev\/example-lab-123456\/fireworker\/runtime@sha256:[0-9a-f]{64}$/,
        );
        assert.equal(
            buildOf(plan, "runtime").FW_SOURCE_STAGING_DIR,
            "gs://example-lab-123456-fireworker-build-source/source",
        );
        assert.equal(buildOf(plan, "runtime").FW_CLOUDBUILD_REGION, "us-central1");
    });

    it("a runtime that reuses the previous one: its step pulls _CACHE_FROM and passes --cache-from; the rest is the same", () => {
        const args = {
            image: "us-central1-docker.pkg.dev/p/fireworker/runtime",
            tags: ["0123456789abcdef0123"],
            buildArgs: { from: "python:3.11-slim-bookworm", x: "a$b" },
            timeoutSeconds: 3600,
        };
        const text = cloudBuildYaml(renderCloudBuildConfig({ ...args, cacheFrom: true }));
        assertGolden("runtime-cache-from.cloudbuild.yaml", text);
        const parsed = parse(text);
        const plain = parse(cloudBuildYaml(renderCloudBuildConfig(args)));
        const step = parsed.steps[0];
        assert.equal(step.entrypoint, "bash");
        assert.deepEqual(step.env, [`CACHE_FROM=\${${CACHE_FROM_SUBSTITUTION}}`]);
        assert.deepEqual(parsed.substitutions, { [CACHE_FROM_SUBSTITUTION]: "" });
        // the script's own dollars are escaped for Cloud Build, like every other argument
        assert.equal(step.args[1], CACHE_FROM_SCRIPT.replace(/\$/g, "$$$$"));
        // the docker arguments: the plain ones, with BuildKit's inline cache metadata added
        assert.deepEqual(
            step.args.slice(3).filter((a: string) => a !== "--build-arg=BUILDKIT_INLINE_CACHE=1"),
            plain.steps[0].args,
        );
        assert.ok(step.args.includes("--build-arg=BUILDKIT_INLINE_CACHE=1"));
        const { substitutions: _, ...rest } = parsed;
        assert.deepEqual({ ...rest, steps: [] }, { ...plain, steps: [] });
    });

    it("plans the team runtime to reuse the team's newest runtime; not the application", async () => {
        const plan = await planOf("team");
        const runtime = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(runtime.FW_CACHE_FROM), [
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        ]);
        assert.equal(parse(runtime.FW_CLOUDBUILD_CONFIG).steps[0].entrypoint, "bash");
        const app = buildOf(plan, "application");
        assert.equal(app.FW_CACHE_FROM, undefined);
        assert.equal(parse(app.FW_CLOUDBUILD_CONFIG).steps[0].entrypoint, undefined);
    });

    it("plans a developer's experimental runtime to reuse their own previous runtime, else the team's by digest", async () => {
        const plan = await planOf("dev-example", patchSetting("dev-example", "runtime", { experimental: true }));
        const candidates = JSON.parse(buildOf(plan, "runtime").FW_CACHE_FROM);
        assert.equal(candidates.length, 2);
        assert.match(
            candidates[0],
            /^us-central1-docker\.pkg\.dev\/example-lab-123456\/fireworker-dev\/[a-z0-9-]+-runtime:[a-z0-9-]+$/,
        );
        assert.match(
            candidates[1],
            /^us-central1-docker\.pkg\.dev\/example-lab-123456\/fireworker\/runtime@sha256:0{64}$/,
        );
    });

    it("local stacks reuse the engine's own cache: no previous image named", async () => {
        const plan = await planOf("local");
        assert.equal(buildOf(plan, "runtime").FW_CACHE_FROM, undefined);
    });
});
