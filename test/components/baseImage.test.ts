import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { BaseImage, type BaseImageArgs } from "../../components/baseImage";
import type { ResolvedBase } from "../../lib/build/baseReference";
import { type Plan, planJson } from "../../lib/plan/offlinePlan";
import { placeholderBase } from "../../lib/plan/planMocks";
import { buildOf, byType, find, patchSetting, planOf, planOfComponents } from "../support/plan";

const D = `sha256:${"d".repeat(64)}`;

/** Plans one BaseImage; its resolution, as the program awaits it. */
async function planBase(
    args: BaseImageArgs,
    resolveBase?: (reference: string, resolver: string) => Promise<ResolvedBase>,
) {
    let resolved: Promise<ResolvedBase> | undefined;
    const plan = await planOfComponents(
        () => {
            const base = new BaseImage("runtime-base", args);
            resolved = base.resolved;
            // the outputs follow the resolution (empty when it failed: the program stops on `resolved`)
            return { digest: base.digest, reference: base.reference };
        },
        resolveBase ? { resolveBase } : {},
    );
    return { plan, resolved: resolved as unknown as Promise<ResolvedBase> };
}

describe("the base image (components/baseImage.ts)", function () {
    this.timeout(60000);

    it("a public base is resolved by its registry through @pulumi/docker, anonymously, to a placeholder offline", async () => {
        const { plan, resolved } = await planBase({
            reference: "python:3.11-slim-bookworm",
            setting: "runtime.base",
            resolver: "registry",
        });
        const expected = placeholderBase("python:3.11-slim-bookworm", "registry");
        assert.deepEqual(await resolved, expected);
        assert.equal(plan.outputs.reference, expected.reference);
        assert.match(String(plan.outputs.reference), /^python@sha256:0{32}[0-9a-f]{32}$/);
        assert.equal(find(plan, "fireworker-images:images:BaseImage", "runtime-base").parent, null);
        // an explicit provider of its own, with no registry credentials
        const provider = find(plan, "pulumi:providers:docker", "runtime-base-registry", "runtime-base");
        assert.equal(provider.inputs.registryAuth, undefined);
        assert.deepEqual(
            (plan.placeholders ?? []).find((p) => p.value === expected.digest),
            { value: expected.digest, meaning: "registry digest of python:3.11-slim-bookworm, resolved at pulumi up" },
        );
    });

    it("an Artifact Registry base authenticates with the Google client's access token, a secret", async () => {
        const reference = "europe-west4-docker.pkg.dev/lab-images-123456/bases/python:3.11-slim-bookworm";
        const { plan } = await planBase({ reference, setting: "runtime.base", resolver: "registry" });
        const provider = find(plan, "pulumi:providers:docker", "runtime-base-registry", "runtime-base");
        // the provider takes it as one JSON value: all of it is secret
        assert.equal(provider.inputs.registryAuth, "[secret]");
        assert.doesNotMatch(JSON.stringify(plan), /offline-plan-access-token/);
    });

    it("the local engine resolves through the command provider: no provider plugin of its own", async () => {
        const asked: string[] = [];
        const { plan, resolved } = await planBase(
            { reference: "fw/base:bookworm", setting: "runtime.dockerfile", resolver: "engine" },
            async (reference, resolver) => {
                asked.push(`${resolver} ${reference}`);
                return { digest: D, reference: D };
            },
        );
        assert.deepEqual(asked, ["engine fw/base:bookworm"]);
        assert.deepEqual(await resolved, { digest: D, reference: D });
        assert.equal(plan.outputs.digest, D);
        assert.deepEqual(byType(plan, "pulumi:providers:docker"), []);
        // offline, a placeholder that says where it is resolved
        const offline = await planBase({ reference: "fw/base:bookworm", setting: "runtime.base", resolver: "engine" });
        assert.deepEqual(await offline.resolved, placeholderBase("fw/base:bookworm", "engine"));
        assert.ok(
            (offline.plan.placeholders ?? []).some(
                (p) => p.meaning === "digest of fw/base:bookworm in the local Docker engine, resolved at pulumi up",
            ),
        );
    });

    for (const resolver of ["registry", "engine"] as const) {
        it(`a base the ${resolver} cannot resolve is one line: the setting, the reference and the answer`, async () => {
            const { resolved } = await planBase(
                { reference: "python:3.99-nope", setting: "runtime.base", resolver },
                async () => {
                    throw new Error("manifest unknown: manifest unknown");
                },
            );
            const where = resolver === "engine" ? "the local Docker engine" : "docker.io";
            await assert.rejects(resolved, (e: Error) => {
                assert.ok(pulumi.RunError.isInstance(e));
                assert.equal(
                    e.message,
                    `fireworker-images:runtime.base: "python:3.99-nope" cannot be resolved to a digest by ${where}: manifest unknown: manifest unknown; check that the image exists and that you may pull it, or pin it by digest`,
                );
                return true;
            });
        });
    }

    it("an answer that is no digest is refused as one line too", async () => {
        const { resolved } = await planBase(
            { reference: "fw/base:1", setting: "runtime.base", resolver: "engine" },
            async () => ({ digest: "sha256:short", reference: "fw/base@sha256:short" }),
        );
        await assert.rejects(resolved, {
            message:
                'fireworker-images:runtime.base: "fw/base:1" cannot be resolved to a digest by the local Docker engine: the resolver answered no digest ("sha256:short"); check that the image exists and that you may pull it, or pin it by digest',
        });
    });
});

describe("the runtime's base in each kind of stack (index.ts, under mocks)", function () {
    this.timeout(120000);

    const BASE = "python:3.11-slim-bookworm";
    const fromOf = (plan: Plan) => JSON.parse(buildOf(plan, "runtime").FW_BUILD_ARGS).from as string;

    it("team: the tag is resolved through @pulumi/docker, anonymously; the plan shows tag and digest, byte-identical", async () => {
        const plan = await planOf("team");
        const expected = placeholderBase(BASE, "registry");
        assert.equal(fromOf(plan), expected.reference);
        assert.equal(buildOf(plan, "runtime").FW_BASE, BASE);
        assert.equal(find(plan, "pulumi:providers:docker", "runtime-base-registry").inputs.registryAuth, undefined);
        // the same bytes on every run and machine: the digest is derived from the reference only
        assert.equal(planJson(await planOf("team")), planJson(plan));
    });

    it("team: a base in Artifact Registry authenticates with the Google client's access token", async () => {
        const base = "us-central1-docker.pkg.dev/example-lab-123456/bases/python:3.11-slim-bookworm";
        const plan = await planOf("team", patchSetting("team", "runtime", { base }));
        assert.equal(fromOf(plan), placeholderBase(base, "registry").reference);
        assert.equal(find(plan, "pulumi:providers:docker", "runtime-base-registry").inputs.registryAuth, "[secret]");
        assert.doesNotMatch(planJson(plan), /offline-plan-access-token/);
    });

    it("team: a digest in the settings is used as it is, and baseUpdates: pinned takes only a digest", async () => {
        const pinned = `python:3.11-slim-bookworm@sha256:${"e".repeat(64)}`;
        const plan = await planOf("team", patchSetting("team", "runtime", { base: pinned, baseUpdates: "pinned" }));
        assert.equal(fromOf(plan), pinned);
        assert.equal(buildOf(plan, "runtime").FW_BASE, undefined);
        assert.deepEqual(byType(plan, "fireworker-images:images:BaseImage"), []);
        assert.deepEqual(byType(plan, "pulumi:providers:docker"), []);
        await assert.rejects(planOf("team", patchSetting("team", "runtime", { baseUpdates: "pinned" })), (e: Error) => {
            assert.equal(e.message.split("\n").length, 1, e.message);
            assert.match(
                e.message,
                /^fireworker-images:runtime\.base: "python:3\.11-slim-bookworm" is a tag, but runtime\.baseUpdates is pinned; /,
            );
            return true;
        });
    });

    it("developer: only an experimental runtime resolves its base, by its registry", async () => {
        const shared = await planOf("dev-example");
        assert.deepEqual(byType(shared, "fireworker-images:images:BaseImage"), []);
        const own = await planOf("dev-example", patchSetting("dev-example", "runtime", { experimental: true }));
        assert.equal(fromOf(own), placeholderBase(BASE, "registry").reference);
        assert.equal(buildOf(own, "runtime").FW_BASE, BASE);
        assert.equal(find(own, "pulumi:providers:docker", "runtime-base-registry").inputs.registryAuth, undefined);
    });

    it("local: the tag is resolved on the local Docker engine, with no docker provider", async () => {
        const plan = await planOf("local");
        const expected = placeholderBase(BASE, "engine");
        assert.equal(fromOf(plan), expected.reference);
        assert.equal(buildOf(plan, "runtime").FW_BASE, BASE);
        assert.deepEqual(byType(plan, "pulumi:providers:docker"), []);
        assert.ok(
            (plan.placeholders ?? []).some(
                (p) =>
                    p.value === expected.digest &&
                    p.meaning === `digest of ${BASE} in the local Docker engine, resolved at pulumi up`,
            ),
        );
        assert.equal(planJson(await planOf("local")), planJson(plan));
    });
});
