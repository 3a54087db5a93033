import assert from "node:assert/strict";
import {
    digestReference,
    globalArgDefault,
    isArtifactRegistryHost,
    isPinned,
    oneLine,
    registryHostOf,
    resolutionFailure,
    resolvedProblem,
    runtimeBase,
} from "../../../lib/build/baseReference";
import { SettingsError } from "../../../lib/errors";
import type { BroughtRuntime, RenderedRuntime } from "../../../lib/settings/types";

const D = `sha256:${"a".repeat(64)}`;

const rendered = (base: string, baseUpdates: "track" | "pinned" = "track"): RenderedRuntime => ({
    name: "runtime",
    baseUpdates,
    buildArgs: {},
    timeout: 3600,
    base,
    aptPackages: [],
    requirements: "example/requirements.txt",
    writableDirs: [],
    env: {},
    pipSteps: [],
    wheelhouse: false,
});

const brought = (base: string | undefined, baseUpdates: "track" | "pinned" = "track"): BroughtRuntime => ({
    name: "runtime",
    baseUpdates,
    buildArgs: {},
    timeout: 3600,
    dockerfile: "cloud/docker/runtime/Dockerfile",
    context: "..",
    base,
});

describe("the runtime's base as a digest (lib/build/baseReference.ts)", () => {
    it("a Dockerfile's global ARG default: before the first FROM, quotes removed, several names per ARG", () => {
        assert.equal(globalArgDefault("ARG from=python:3.8.6\nFROM ${from}\n", "from"), "python:3.8.6");
        assert.equal(globalArgDefault('ARG a=1 from="python:3.11"\nFROM ${from}\n', "from"), "python:3.11");
        assert.equal(globalArgDefault("ARG from\nFROM ${from}\n", "from"), undefined);
        assert.equal(globalArgDefault("ARG from=\nFROM ${from}\n", "from"), undefined);
        assert.equal(globalArgDefault("FROM python:3.11\nARG from=debian:12\n", "from"), undefined);
        assert.equal(globalArgDefault("ARG other=x\nFROM x\n", "from"), undefined);
    });

    it("a digest is pinned (with or without its tag, or a bare image id); a tag is not", () => {
        assert.ok(isPinned(`python@${D}`));
        assert.ok(isPinned(`python:3.11-slim-bookworm@${D}`));
        assert.ok(isPinned(D));
        assert.ok(!isPinned("python:3.11-slim-bookworm"));
    });

    it("runtime.base is resolved when it is a tag and passed as from; a digest is used as it is", () => {
        assert.deepEqual(runtimeBase(rendered("python:3.11-slim-bookworm"), ""), {
            reference: "python:3.11-slim-bookworm",
            setting: "runtime.base",
            resolve: true,
            passAsFrom: true,
        });
        assert.deepEqual(runtimeBase(rendered(`python@${D}`, "pinned"), ""), {
            reference: `python@${D}`,
            setting: "runtime.base",
            resolve: false,
            passAsFrom: true,
        });
    });

    it("a brought Dockerfile's ARG from default: a tag is resolved and passed, a digest left to the Dockerfile", () => {
        assert.deepEqual(runtimeBase(brought(undefined), "ARG from=python:3.8.6\nFROM ${from}\n"), {
            reference: "python:3.8.6",
            setting: "runtime.dockerfile",
            resolve: true,
            passAsFrom: true,
        });
        assert.deepEqual(runtimeBase(brought(undefined), `ARG from=python@${D}\nFROM \${from}\n`), {
            reference: `python@${D}`,
            setting: "runtime.dockerfile",
            resolve: false,
            passAsFrom: false,
        });
        // runtime.base wins over the default; no ARG from and no runtime.base: nothing to resolve
        assert.equal(
            runtimeBase(brought("python:3.12"), "ARG from=python:3.8.6\nFROM ${from}\n")?.reference,
            "python:3.12",
        );
        assert.equal(runtimeBase(brought(undefined), "FROM python:3.11\n"), undefined);
    });

    it("runtime.baseUpdates: pinned refuses a tag with one line naming where it comes from", () => {
        assert.throws(
            () => runtimeBase(rendered("python:3.11-slim-bookworm", "pinned"), ""),
            (e: SettingsError) =>
                e instanceof SettingsError &&
                e.lines.length === 1 &&
                e.message ===
                    'fireworker-images:runtime.base: "python:3.11-slim-bookworm" is a tag, but runtime.baseUpdates is pinned; pin the base by digest (python:3.11-slim-bookworm@sha256:<64 hex>, the digest pulumi preview shows for the tag), or set runtime.baseUpdates: track',
        );
        assert.throws(() => runtimeBase(brought(undefined, "pinned"), "ARG from=python:3.8.6\nFROM ${from}\n"), {
            message:
                /^fireworker-images:runtime\.dockerfile: "cloud\/docker\/runtime\/Dockerfile" has ARG from=python:3\.8\.6, a tag, but runtime\.baseUpdates is pinned; /,
        });
    });

    it("registry hosts: Docker Hub unless the first component is a host; Artifact Registry by its name", () => {
        assert.equal(registryHostOf("python:3.11"), "docker.io");
        assert.equal(registryHostOf("library/python:3.11"), "docker.io");
        assert.equal(registryHostOf("ghcr.io/o/img:1"), "ghcr.io");
        assert.equal(registryHostOf("localhost/img:1"), "localhost");
        assert.equal(registryHostOf("127.0.0.1:5000/img:1"), "127.0.0.1:5000");
        assert.equal(registryHostOf(`us-central1-docker.pkg.dev/p/r/python@${D}`), "us-central1-docker.pkg.dev");
        assert.ok(isArtifactRegistryHost("us-central1-docker.pkg.dev"));
        assert.ok(isArtifactRegistryHost("europe-docker.pkg.dev"));
        assert.ok(!isArtifactRegistryHost("docker.io"));
        assert.ok(!isArtifactRegistryHost("gcr.io"));
        assert.ok(!isArtifactRegistryHost("evil.example/us-docker.pkg.dev"));
    });

    it("a resolved reference is the repository at the digest, its tag left out", () => {
        assert.equal(digestReference("python:3.11-slim-bookworm", D), `python@${D}`);
        assert.equal(digestReference("127.0.0.1:5000/fw/base:1", D), `127.0.0.1:5000/fw/base@${D}`);
    });

    it("a resolver's answer must be a digest and a reference that names it", () => {
        assert.equal(resolvedProblem({ digest: D, reference: `python@${D}` }), undefined);
        assert.equal(resolvedProblem({ digest: D, reference: D }), undefined);
        assert.equal(resolvedProblem(null), "the resolver answered no JSON object");
        assert.equal(
            resolvedProblem({ digest: "sha256:abc", reference: "x" }),
            'the resolver answered no digest ("sha256:abc")',
        );
        assert.equal(
            resolvedProblem({ digest: D, reference: "python:3.11" }),
            'the resolver answered a reference that does not name its digest ("python:3.11")',
        );
    });

    it("a failure is one line: the setting, the reference, who answered and the answer without the SDK's wrapping", () => {
        assert.equal(
            oneLine("Invoke of 'docker:index/getRegistryImage:getRegistryImage' failed: got\n  404\n"),
            "got 404",
        );
        assert.equal(oneLine(""), "no answer");
        assert.equal(oneLine("x".repeat(500)).length, 400);
        assert.equal(
            resolutionFailure(
                { reference: "python:3.99-nope", setting: "runtime.base" },
                "registry",
                "Invoke of 'docker:index/getRegistryImage:getRegistryImage' failed: Got bad response from registry: 404 Not Found",
            ),
            'fireworker-images:runtime.base: "python:3.99-nope" cannot be resolved to a digest by docker.io: Got bad response from registry: 404 Not Found; check that the image exists and that you may pull it, or pin it by digest',
        );
        assert.equal(
            resolutionFailure(
                { reference: "us-docker.pkg.dev/p/r/base:1", setting: "runtime.dockerfile" },
                "registry",
                "403 Forbidden",
            ),
            "fireworker-images:runtime.dockerfile: ARG from=us-docker.pkg.dev/p/r/base:1 cannot be resolved to a digest by us-docker.pkg.dev: 403 Forbidden; check that the image exists and that you may pull it, or pin it by digest",
        );
    });
});
