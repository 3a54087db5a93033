import assert from "node:assert/strict";
import { baseImageProblem, isAlpine, isDigest, parseImageRef } from "../../lib/imageRef";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;

const NOT_A_REFERENCE = "is not an image reference; use e.g. python:3.11-slim-bookworm";
const ALPINE =
    "is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm";
const MALFORMED_DIGEST = "has a malformed digest; expected @sha256: and 64 hex digits";
const NO_TAG =
    "has no tag, so Docker pulls whatever is tagged latest today; pin a tag such as python:3.11-slim-bookworm or a digest";
const LATEST = "uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm or a digest";

describe("image references (lib/imageRef.ts)", () => {
    it("parseImageRef splits [host[:port]/]path[:tag][@digest]", () => {
        const table: [string, { repository: string; tag?: string; digest?: string }][] = [
            ["python", { repository: "python" }],
            ["python:3.11-slim-bookworm", { repository: "python", tag: "3.11-slim-bookworm" }],
            [`python@${DIGEST}`, { repository: "python", digest: DIGEST }],
            [`python:3.11@${DIGEST}`, { repository: "python", tag: "3.11", digest: DIGEST }],
            ["library/python:3", { repository: "library/python", tag: "3" }],
            ["localhost:5000/fireworker/app", { repository: "localhost:5000/fireworker/app" }],
            ["localhost:5000/fireworker/app:abc", { repository: "localhost:5000/fireworker/app", tag: "abc" }],
            [`127.0.0.1:5000/a/b/c:t@${DIGEST}`, { repository: "127.0.0.1:5000/a/b/c", tag: "t", digest: DIGEST }],
            [
                `us-central1-docker.pkg.dev/p/fireworker/runtime@${DIGEST}`,
                { repository: "us-central1-docker.pkg.dev/p/fireworker/runtime", digest: DIGEST },
            ],
            ["python:", { repository: "python", tag: "" }],
            ["", { repository: "" }],
        ];
        for (const [ref, expected] of table) {
            assert.deepEqual(parseImageRef(ref), { tag: undefined, digest: undefined, ...expected }, ref);
        }
    });

    it("baseImageProblem accepts a pinned tag or a digest", () => {
        for (const ref of [
            "python:3.11-slim-bookworm",
            "debian:bookworm-20250610",
            "localhost:5000/base/python:3.11",
            `python@${DIGEST}`,
            `python:latest@${DIGEST}`,
            `us-docker.pkg.dev/p/r/runtime@${DIGEST}`,
            "registry.example.org/lab/py_base:1.0",
        ]) {
            assert.equal(baseImageProblem(ref), undefined, ref);
        }
    });

    it("baseImageProblem: what is not a reference", () => {
        for (const ref of ["", "Python:3.11", "-python:3", ".python:3", "host:5000/", "a/b/:t", "py thon:3", ":3"]) {
            assert.equal(baseImageProblem(ref), NOT_A_REFERENCE, ref);
        }
    });

    it("baseImageProblem: an Alpine image, by name or tag, pinned or not", () => {
        for (const ref of [
            "alpine:3.20",
            "alpine",
            "python:3.11-alpine",
            "python:3.11-Alpine3.20",
            "ghcr.io/lab/alpine-python:1",
            `python:alpine@${DIGEST}`,
            `alpine@${DIGEST}`,
        ]) {
            assert.equal(baseImageProblem(ref), ALPINE, ref);
        }
    });

    it("baseImageProblem: a malformed digest", () => {
        for (const ref of [
            "python@sha256:abc",
            `python@sha512:${HEX}`,
            `python@sha256:${HEX.toUpperCase()}`,
            `python@sha256:${HEX}0`,
            "python@",
            `python:3.11@${HEX}`,
        ]) {
            assert.equal(baseImageProblem(ref), MALFORMED_DIGEST, ref);
        }
    });

    it("baseImageProblem: no tag, an empty tag, or latest", () => {
        assert.equal(baseImageProblem("python"), NO_TAG);
        assert.equal(baseImageProblem("python:"), NO_TAG);
        assert.equal(baseImageProblem("localhost:5000/python"), NO_TAG);
        assert.equal(baseImageProblem("python:latest"), LATEST);
        assert.equal(baseImageProblem("localhost:5000/python:latest"), LATEST);
        // a tag that merely contains latest is pinned
        assert.equal(baseImageProblem("python:latest-3.11"), undefined);
    });

    it("isAlpine looks at the last path part and the tag only", () => {
        assert.equal(isAlpine("alpine"), true);
        assert.equal(isAlpine("python:3-alpine3.20"), true);
        assert.equal(isAlpine("lab/ALPINE-py:1"), true);
        assert.equal(isAlpine("alpine.example.org/lab/python:3.11"), false);
        assert.equal(isAlpine("lab/alpine/python:3.11"), false);
        assert.equal(isAlpine("python:3.11-slim-bookworm"), false);
        assert.equal(isAlpine(`python@${DIGEST}`), false);
    });

    it("isDigest is sha256: and 64 lowercase hex digits, nothing around", () => {
        assert.equal(isDigest(DIGEST), true);
        assert.equal(isDigest(`sha256:${"f".repeat(64)}`), true);
        assert.equal(isDigest(HEX), false);
        assert.equal(isDigest(`sha256:${HEX.slice(1)}`), false);
        assert.equal(isDigest(`sha256:${HEX}0`), false);
        assert.equal(isDigest(`sha256:${HEX.toUpperCase()}`), false);
        assert.equal(isDigest(`python@${DIGEST}`), false);
        assert.equal(isDigest(` ${DIGEST}`), false);
        assert.equal(isDigest(""), false);
    });
});
