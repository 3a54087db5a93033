import assert from "node:assert/strict";
import {
    type BuildSpec,
    buildResultSchema,
    buildSpecFromEnvironment,
    buildSpecToEnvironment,
} from "../../../lib/build/buildSpec";
import { HandoffError, parseResultLine, resultLine } from "../../../lib/commands/handoff";

const DIGEST_A = "a".repeat(64);
const DIGEST_B = `sha256:${"0123456789abcdef".repeat(4)}`;

const dockerSpec: BuildSpec = {
    kind: "application",
    builder: "docker",
    image: "127.0.0.1:5000/fireworker/app",
    tags: ["0123456789abcdef0123", "latest"],
    contextDigest: DIGEST_A,
    context: { kind: "directory", dir: "example" },
    dockerfile: 'FROM python:3.11-slim-bookworm\nRUN echo "a,b" && echo $HOME\n',
    buildArgs: { RUNTIME: "fireworker/runtime@sha256:00", "WITH=EQUALS": "a=b,c" },
    push: false,
};

const cloudSpec: BuildSpec = {
    kind: "runtime",
    builder: "cloudbuild",
    image: "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
    tags: ["fedcba9876543210fedc"],
    contextDigest: "0123456789abcdef".repeat(4),
    context: {
        kind: "files",
        files: [
            { src: "requirements.txt", dest: "requirements.txt" },
            { src: "scripts/entry.sh", dest: "bin/entry.sh" },
        ],
    },
    dockerfile: "FROM python:3.11-slim-bookworm\n",
    buildArgs: {},
    push: true,
    cloudBuildConfig: "steps:\n  - name: gcr.io/cloud-builders/docker\n",
    project: "example-lab-123456",
    region: "us-central1",
    stagingDir: "gs://example-lab-123456-fireworker-build-source/source",
};

/** The spec without keys whose value is undefined (the parsed spec lists the optional ones). */
const defined = (spec: BuildSpec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));

function specError(env: Record<string, string | undefined>): string {
    try {
        buildSpecFromEnvironment(env);
    } catch (err) {
        assert.ok(err instanceof HandoffError, `expected a HandoffError, got ${err}`);
        return err.message;
    }
    assert.fail("expected a HandoffError, got none");
}

describe("the build hand-off (lib/build/buildSpec.ts)", () => {
    const dockerEnv = buildSpecToEnvironment(dockerSpec);
    const cloudEnv = buildSpecToEnvironment(cloudSpec);

    it("a docker spec becomes exactly these environment keys", () => {
        assert.deepEqual(dockerEnv, {
            FW_KIND: "application",
            FW_BUILDER: "docker",
            FW_IMAGE: "127.0.0.1:5000/fireworker/app",
            FW_TAGS: "0123456789abcdef0123,latest",
            FW_CONTEXT_DIGEST: DIGEST_A,
            FW_CONTEXT: '{"kind":"directory","dir":"example"}',
            FW_DOCKERFILE: 'FROM python:3.11-slim-bookworm\nRUN echo "a,b" && echo $HOME\n',
            FW_BUILD_ARGS: '{"RUNTIME":"fireworker/runtime@sha256:00","WITH=EQUALS":"a=b,c"}',
            FW_PUSH: "false",
        });
    });

    it("a cloudbuild spec adds the config, project, region and staging folder", () => {
        assert.deepEqual(Object.keys(cloudEnv), [
            "FW_KIND",
            "FW_BUILDER",
            "FW_IMAGE",
            "FW_TAGS",
            "FW_CONTEXT_DIGEST",
            "FW_CONTEXT",
            "FW_DOCKERFILE",
            "FW_BUILD_ARGS",
            "FW_PUSH",
            "FW_CLOUDBUILD_CONFIG",
            "FW_GCP_PROJECT",
            "FW_CLOUDBUILD_REGION",
            "FW_SOURCE_STAGING_DIR",
        ]);
        assert.equal(cloudEnv.FW_PUSH, "true");
        assert.equal(cloudEnv.FW_TAGS, "fedcba9876543210fedc");
        assert.equal(cloudEnv.FW_BUILD_ARGS, "{}");
        assert.equal(cloudEnv.FW_CLOUDBUILD_CONFIG, "steps:\n  - name: gcr.io/cloud-builders/docker\n");
        assert.equal(cloudEnv.FW_GCP_PROJECT, "example-lab-123456");
        assert.equal(cloudEnv.FW_CLOUDBUILD_REGION, "us-central1");
        assert.equal(cloudEnv.FW_SOURCE_STAGING_DIR, "gs://example-lab-123456-fireworker-build-source/source");
        assert.equal(
            cloudEnv.FW_CONTEXT,
            '{"kind":"files","files":[{"src":"requirements.txt","dest":"requirements.txt"},' +
                '{"src":"scripts/entry.sh","dest":"bin/entry.sh"}]}',
        );
    });

    it("a cloudbuild spec without its config, project, region or staging folder is refused with one line", () => {
        for (const key of ["FW_CLOUDBUILD_CONFIG", "FW_GCP_PROJECT", "FW_CLOUDBUILD_REGION", "FW_SOURCE_STAGING_DIR"]) {
            const env = { ...buildSpecToEnvironment(cloudSpec), [key]: "" };
            assert.throws(
                () => buildSpecFromEnvironment(env),
                (e: Error) =>
                    e instanceof HandoffError &&
                    e.message ===
                        "build-image: spec: a cloudbuild spec needs FW_CLOUDBUILD_CONFIG, FW_GCP_PROJECT, FW_CLOUDBUILD_REGION and FW_SOURCE_STAGING_DIR",
                key,
            );
        }
    });

    it("FW_PUSH is true or false, nothing else", () => {
        const env = buildSpecToEnvironment(dockerSpec);
        assert.throws(
            () => buildSpecFromEnvironment({ ...env, FW_PUSH: "yes" }),
            /^HandoffError: build-image: FW_PUSH: "yes" is not true or false$|build-image: FW_PUSH: "yes" is not true or false/,
        );
        assert.equal(buildSpecFromEnvironment({ ...env, FW_PUSH: "true" }).push, true);
    });

    it("a docker spec survives the round trip", () => {
        assert.deepEqual(defined(buildSpecFromEnvironment(dockerEnv)), dockerSpec);
        assert.deepEqual(buildSpecToEnvironment(buildSpecFromEnvironment(dockerEnv)), dockerEnv);
    });

    it("a cloudbuild spec survives the round trip", () => {
        assert.deepEqual(defined(buildSpecFromEnvironment(cloudEnv)), cloudSpec);
        assert.deepEqual(buildSpecToEnvironment(buildSpecFromEnvironment(cloudEnv)), cloudEnv);
    });

    it("labels and the git diff travel when there are some, and are absent otherwise", () => {
        const gitDiff = { dir: "example", exclude: ["infra"], sha256: "e".repeat(64) };
        const spec: BuildSpec = { ...dockerSpec, labels: { "org.example.x": "1" }, gitDiff };
        const env = buildSpecToEnvironment(spec);
        assert.equal(env.FW_LABELS, '{"org.example.x":"1"}');
        assert.equal(env.FW_GIT_DIFF, JSON.stringify(gitDiff));
        assert.deepEqual(defined(buildSpecFromEnvironment(env)), spec);
        assert.ok(!("FW_LABELS" in dockerEnv) && !("FW_GIT_DIFF" in dockerEnv));
        assert.ok(!("FW_LABELS" in buildSpecToEnvironment({ ...dockerSpec, labels: {} })));
    });

    it("a runtime's requirement layers travel when there are several, and are absent otherwise", () => {
        const requirementLayers = [
            { dir: "requirements/1", main: "numerical.txt" },
            { dir: "requirements/2", main: "deps/dev.txt" },
        ];
        const spec: BuildSpec = { ...cloudSpec, requirementLayers };
        const env = buildSpecToEnvironment(spec);
        assert.equal(env.FW_REQUIREMENT_LAYERS, JSON.stringify(requirementLayers));
        assert.deepEqual(defined(buildSpecFromEnvironment(env)), spec);
        assert.ok(!("FW_REQUIREMENT_LAYERS" in cloudEnv));
        assert.ok(!("FW_REQUIREMENT_LAYERS" in buildSpecToEnvironment({ ...cloudSpec, requirementLayers: [] })));
    });

    it("a runtime's previous-image candidates travel when there are some; a bad one is one line", () => {
        const cacheFrom = [
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/alice-runtime:alice-latest",
            `us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime@sha256:${DIGEST_A}`,
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        ];
        const spec: BuildSpec = { ...cloudSpec, cacheFrom };
        const env = buildSpecToEnvironment(spec);
        assert.equal(env.FW_CACHE_FROM, JSON.stringify(cacheFrom));
        assert.deepEqual(defined(buildSpecFromEnvironment(env)), spec);
        assert.ok(!("FW_CACHE_FROM" in cloudEnv));
        assert.ok(!("FW_CACHE_FROM" in buildSpecToEnvironment({ ...cloudSpec, cacheFrom: [] })));
        assert.equal(
            specError({ ...env, FW_CACHE_FROM: JSON.stringify(["runtime@sha256:12"]) }),
            "build-image: spec cacheFrom.0: is not repository, repository:tag or repository@sha256:...",
        );
    });

    it("keys of other tools in the environment are ignored", () => {
        const back = buildSpecFromEnvironment({ ...dockerEnv, PATH: "/usr/bin", FW_BAKE_IMAGE: "fireworker-x" });
        assert.deepEqual(defined(back), dockerSpec);
    });

    it("each missing key is one line naming it", () => {
        const required = [
            "FW_BUILDER",
            "FW_IMAGE",
            "FW_TAGS",
            "FW_CONTEXT_DIGEST",
            "FW_CONTEXT",
            "FW_DOCKERFILE",
            "FW_BUILD_ARGS",
            "FW_PUSH",
        ];
        for (const key of required) {
            const env: Record<string, string | undefined> = { ...cloudEnv };
            delete env[key];
            assert.equal(
                specError(env),
                `build-image: ${key} is not set (this script runs from the program's commands)`,
                key,
            );
        }
    });

    it("FW_CONTEXT and FW_BUILD_ARGS must be JSON", () => {
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT: "example" }),
            'build-image: FW_CONTEXT is not JSON: "example"',
        );
        assert.equal(
            specError({ ...dockerEnv, FW_BUILD_ARGS: "A=1" }),
            'build-image: FW_BUILD_ARGS is not JSON: "A=1"',
        );
    });

    it("a context of an unknown kind, or one missing its fields, is one line naming the path", () => {
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT: '{"kind":"git","url":"https://example.org/r.git"}' }),
            "build-image: spec context.kind: Invalid input",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT: '{"kind":"files"}' }),
            "build-image: spec context.files: Invalid input: expected array, received undefined",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT: '{"kind":"files","files":[{"src":"a"}]}' }),
            "build-image: spec context.files.0.dest: Invalid input: expected string, received undefined",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT: '"example"' }),
            "build-image: spec context: Invalid input: expected object, received string",
        );
    });

    it("a bad builder, digest, tag list, image or build argument is one line naming it", () => {
        assert.equal(
            specError({ ...dockerEnv, FW_BUILDER: "kaniko" }),
            "build-image: spec builder: is not docker or cloudbuild",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT_DIGEST: "abc" }),
            "build-image: spec contextDigest: is not a sha256",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_CONTEXT_DIGEST: "A".repeat(64) }),
            "build-image: spec contextDigest: is not a sha256",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_TAGS: "" }),
            "build-image: spec tags.0: Too small: expected string to have >=1 characters",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_TAGS: "a,,b" }),
            "build-image: spec tags.1: Too small: expected string to have >=1 characters",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_IMAGE: "" }),
            "build-image: spec image: Too small: expected string to have >=1 characters",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_BUILD_ARGS: '{"A":1}' }),
            "build-image: spec buildArgs.A: Invalid input: expected string, received number",
        );
        assert.equal(
            specError({ ...dockerEnv, FW_BUILD_ARGS: "[]" }),
            "build-image: spec buildArgs: Invalid input: expected record, received array",
        );
    });

    it("buildResultSchema accepts sha256:<64 hex> and a reference, and refuses a short digest", () => {
        const ok = { digest: DIGEST_B, reference: `us-docker.pkg.dev/p/r/app@${DIGEST_B}` };
        assert.deepEqual(buildResultSchema.parse(ok), ok);
        assert.deepEqual(parseResultLine(buildResultSchema, resultLine(ok), "build-image"), ok);
        // a local image id is a digest too, and is its own reference
        assert.deepEqual(buildResultSchema.parse({ digest: DIGEST_B, reference: DIGEST_B }), {
            digest: DIGEST_B,
            reference: DIGEST_B,
        });
        assert.throws(() => parseResultLine(buildResultSchema, resultLine({ ...ok, digest: "sha256:0123" }), "t"), {
            message: "t: result digest: is not sha256:<64 hex>",
        });
        assert.throws(() => parseResultLine(buildResultSchema, resultLine({ ...ok, digest: DIGEST_A }), "t"), {
            message: "t: result digest: is not sha256:<64 hex>",
        });
        assert.throws(() => parseResultLine(buildResultSchema, resultLine({ ...ok, reference: "" }), "t"), {
            message: "t: result reference: Too small: expected string to have >=1 characters",
        });
    });
});
