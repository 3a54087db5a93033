import assert from "node:assert/strict";
import {
    type BakeSpec,
    bakeResultSchema,
    bakeSpecFromEnvironment,
    bakeSpecToEnvironment,
} from "../../../lib/bake/bakeSpec";
import { HandoffError, parseResultLine, resultLine } from "../../../lib/commands/handoff";

const spec: BakeSpec = {
    image: "fireworker-0123456789abcdef",
    family: "fireworker",
    config: 'steps:\n  - name: gcr.io/google.com/cloudsdktool/google-cloud-cli:slim\n    args: ["bash", "-c", "echo $$HOME"]\n',
    project: "example-lab-123456",
    region: "us-central1",
};

function specError(env: Record<string, string | undefined>): string {
    try {
        bakeSpecFromEnvironment(env);
    } catch (err) {
        assert.ok(err instanceof HandoffError, `expected a HandoffError, got ${err}`);
        return err.message;
    }
    assert.fail("expected a HandoffError, got none");
}

describe("the bake hand-off (lib/bake/bakeSpec.ts)", () => {
    const env = bakeSpecToEnvironment(spec);

    it("a spec becomes exactly these environment keys", () => {
        assert.deepEqual(env, {
            FW_BAKE_IMAGE: "fireworker-0123456789abcdef",
            FW_BAKE_FAMILY: "fireworker",
            FW_BAKE_CONFIG: spec.config,
            FW_GCP_PROJECT: "example-lab-123456",
            FW_CLOUDBUILD_REGION: "us-central1",
        });
    });

    it("a spec survives the round trip, both ways", () => {
        assert.deepEqual(bakeSpecFromEnvironment(env), spec);
        assert.deepEqual(bakeSpecToEnvironment(bakeSpecFromEnvironment(env)), env);
    });

    it("keys of other tools in the environment are ignored", () => {
        assert.deepEqual(bakeSpecFromEnvironment({ ...env, FW_IMAGE: "x", HOME: "/root" }), spec);
    });

    it("each missing key is one line naming it", () => {
        for (const key of Object.keys(env)) {
            const partial: Record<string, string | undefined> = { ...env };
            delete partial[key];
            assert.equal(
                specError(partial),
                `bake-image: ${key} is not set (this script runs from the program's commands)`,
                key,
            );
        }
    });

    it("an image name that is not a GCE name is one line", () => {
        for (const image of ["Fireworker-0123", "fireworker_0123", "0fireworker", "fireworker-", "a".repeat(64), ""]) {
            assert.equal(
                specError({ ...env, FW_BAKE_IMAGE: image }),
                "bake-image: spec image: is not a GCE image name",
            );
        }
        // 63 characters is the longest GCE name
        const longest = `f${"0".repeat(62)}`;
        assert.equal(bakeSpecFromEnvironment({ ...env, FW_BAKE_IMAGE: longest }).image, longest);
    });

    it("a bad family, empty config, project or region is one line naming it", () => {
        assert.equal(
            specError({ ...env, FW_BAKE_FAMILY: "Fireworker" }),
            "bake-image: spec family: is not a GCE image family",
        );
        assert.equal(specError({ ...env, FW_BAKE_CONFIG: "" }), "bake-image: spec config: is empty");
        assert.equal(specError({ ...env, FW_GCP_PROJECT: "lab" }), "bake-image: spec project: is not a project id");
        assert.equal(
            specError({ ...env, FW_GCP_PROJECT: "Example-lab-123456" }),
            "bake-image: spec project: is not a project id",
        );
        assert.equal(specError({ ...env, FW_CLOUDBUILD_REGION: "us" }), "bake-image: spec region: is not a region");
        assert.equal(
            specError({ ...env, FW_CLOUDBUILD_REGION: "us-central1-b" }),
            "bake-image: spec region: is not a region",
        );
    });

    it("bakeResultSchema accepts what a finished bake prints, and refuses bad names and build ids", () => {
        const ok = { image: spec.image, family: "fireworker", build: "0f3c2a1b-7d4e-4b8a-9c1d-2e3f4a5b6c7d" };
        assert.deepEqual(parseResultLine(bakeResultSchema, `Waiting...\n${resultLine(ok)}`, "bake-image"), ok);
        assert.throws(() => parseResultLine(bakeResultSchema, resultLine({ ...ok, image: "Fireworker" }), "t"), {
            message: "t: result image: Invalid string: must match pattern /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/",
        });
        assert.throws(() => parseResultLine(bakeResultSchema, resultLine({ ...ok, family: "" }), "t"), {
            message: "t: result family: Invalid string: must match pattern /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/",
        });
        assert.throws(() => parseResultLine(bakeResultSchema, resultLine({ ...ok, build: "build 1" }), "t"), {
            message: "t: result build: Invalid string: must match pattern /^[A-Za-z0-9-]+$/",
        });
        assert.throws(
            () => parseResultLine(bakeResultSchema, resultLine({ image: ok.image, family: ok.family }), "t"),
            {
                message: "t: result build: Invalid input: expected string, received undefined",
            },
        );
    });
});
