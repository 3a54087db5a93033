import assert from "node:assert/strict";
import { parse } from "yaml";
import { cloudBuildYaml, renderCloudBuildConfig } from "../../../lib/build/cloudBuildConfig";
import { lintDockerfile } from "../../../lib/build/dockerfileLint";
import {
    hasRequirements,
    renderApplicationDockerfile,
    renderRuntimeDockerfile,
} from "../../../lib/build/renderDockerfile";
import { assertGolden } from "../../support/golden";
import { buildOf, planOf } from "../../support/plan";

describe("rendering", () => {
    it("renders the runtime Dockerfile by the document's rules", () => {
        const text = renderRuntimeDockerfile({
            base: "python:3.11-slim-bookworm",
            aptPackages: ["swig", "gfortran"],
            hasRequirements: true,
            writableDirs: ["/.theano", "/.cache"],
        });
        assertGolden("runtime.Dockerfile", text);
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", text, { from: "python:3.11-slim-bookworm" }), []);
    });

    it("leaves out apt, pip and writable dirs when there are none", () => {
        const text = renderRuntimeDockerfile({
            base: "debian:bookworm",
            aptPackages: [],
            hasRequirements: false,
            writableDirs: [],
        });
        assert.doesNotMatch(text, /apt-get|pip|umask|COPY/);
        assert.match(text, /^ARG from=debian:bookworm\nFROM \$\{from\}$/m);
    });

    it("renders the application Dockerfile with git metadata ENV and every label", () => {
        const text = renderApplicationDockerfile({
            runtimeRepository: "runtime",
            workdir: "/app",
            cmd: ["python", "main.py"],
        });
        assertGolden("application.Dockerfile", text);
        for (const label of [
            "application",
            "email",
            "license",
            "organization",
            "website",
            ...["revision", "source", "created", "title", "licenses", "url", "vendor"].map(
                (k) => `org.opencontainers.image.${k}`,
            ),
        ]) {
            assert.match(
                text,
                new RegExp(`^\\s*(LABEL )?${label.replace(/\./g, "\\.")}="\\$\\{[a-z_]+\\}"`, "m"),
                label,
            );
        }
        assert.match(text, /ENV IMAGE_GIT_HASH="\$\{git_hash\}"/);
    });

    it("knows an empty requirements file", () => {
        assert.equal(hasRequirements("# nothing\n\n"), false);
        assert.equal(hasRequirements("numpy==1.26.4\n"), true);
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
});
