import assert from "node:assert/strict";
import {
    BAKE_DEFAULTS,
    type BakeInputs,
    type BakeOptions,
    readBakeScripts,
    renderBake,
} from "../../../lib/bake/bakeConfig";
import { bakeImageName, MAX_FAMILY_LENGTH, runtimeLine } from "../../../lib/bake/imageName";
import { PROJECT, RUNTIME_REPO, sa } from "../../support/bake";
import { ROOT } from "../../support/plan";

const scripts = readBakeScripts(ROOT);
const options: BakeOptions = { ...BAKE_DEFAULTS, zone: "us-central1-b" };
const inputs = (digit: string, o: BakeOptions = options): BakeInputs => ({
    project: PROJECT,
    family: "fireworker",
    options: o,
    registryHost: "us-central1-docker.pkg.dev",
    runtimeReference: `${RUNTIME_REPO}@sha256:${digit.repeat(64)}`,
    runtimeTaggedReference: `${RUNTIME_REPO}:0123456789abcdef0123`,
    workerServiceAccount: sa("fw-worker"),
});

describe("bake image names (lib/bake/imageName.ts)", () => {
    it("is a valid GCE name, stable for the same inputs, different for another digest or script", () => {
        const a = renderBake(inputs("a"), scripts);
        assert.match(a.imageName, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
        assert.ok(a.imageName.length <= 63);
        assert.equal(renderBake(inputs("a"), scripts).imageName, a.imageName);
        assert.notEqual(renderBake(inputs("b"), scripts).imageName, a.imageName);
        assert.notEqual(
            renderBake(inputs("a"), { ...scripts, preload: `${scripts.preload}\n` }).imageName,
            a.imageName,
        );
        assert.equal(a.runtimeLine, `${RUNTIME_REPO}:0123456789abcdef0123@sha256:${"a".repeat(64)}`);
        assert.equal(MAX_FAMILY_LENGTH, 46);
        assert.throws(() => bakeImageName("f".repeat(47), a.recipe, a.runtimeLine), /at most 46/);
    });

    it("refuses a tag and a digest of different repositories", () => {
        assert.throws(
            () => runtimeLine(`${RUNTIME_REPO}:t`, `${RUNTIME_REPO}-x@sha256:${"a".repeat(64)}`),
            /different repositories/,
        );
        assert.throws(() => runtimeLine(`${RUNTIME_REPO}:t`, `${RUNTIME_REPO}:t`), /REPOSITORY@sha256/);
    });

    it("the recipe does not depend on how the image is baked, only on what shapes it", () => {
        const r = renderBake(inputs("a"), scripts).recipe;
        const recipe = (o: Partial<BakeOptions>) => renderBake(inputs("a", { ...options, ...o }), scripts).recipe;
        assert.equal(
            recipe({ keep: 5, bakeTimeout: 3600, network: "n", zone: "us-central1-c", machineType: "e2-small" }),
            r,
        );
        assert.notEqual(recipe({ workerUsers: ["worker"] }), r);
        assert.notEqual(recipe({ sourceImageFamily: "debian-13" }), r);
        assert.notEqual(recipe({ diskSizeGb: 30 }), r);
    });
});
