// Resolving a base on the real test Docker engine and its loopback registry (scripts/test-env):
// an image the engine holds, one it must pull first, one no registry has.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { BaseProblem, resolveWithEngine } from "../../../lib/build/resolveBase";
import { docker, dockerOk, Registry, removeImages } from "../../support/docker";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";

describe("resolving a base on the local Docker engine (integration: test engine and registry)", function () {
    this.timeout(300_000);

    let t: TestEnv;
    const run = randomBytes(4).toString("hex");
    let repository: string;

    /** Builds a small image FROM the test base under `ref`, with `content` in it. */
    const build = (ref: string, content: string) => {
        const b = spawnSync("docker", ["build", "-q", "-t", ref, "-"], {
            env: t.env,
            input: `FROM ${t.baseImage}\nRUN echo ${content} > /base-version\n`,
        });
        assert.equal(b.status, 0, String(b.stderr));
    };

    before(async function () {
        t = await requireDockerOrSkip(this);
        repository = `${t.registry}/fw16-resolve-${run}`;
    });

    after(() => {
        if (t && repository) removeImages(t, repository);
    });

    it("an image only the registry has is pulled, and resolves to the registry's digest", async () => {
        const ref = `${repository}:pushed`;
        build(ref, "pushed");
        dockerOk(t, ["push", "-q", ref]);
        const registryDigest = (await new Registry(t.registry).manifest(`fw16-resolve-${run}`, "pushed")).digest;
        removeImages(t, repository);
        assert.equal(docker(t, ["image", "inspect", ref]).status, 1, "still in the engine");

        assert.deepEqual(await resolveWithEngine(ref, { env: t.env }), {
            digest: registryDigest,
            reference: `${repository}@${registryDigest}`,
        });
        // pulled: the engine holds it now
        assert.equal(docker(t, ["image", "inspect", ref]).status, 0);
        // held: the same answer without a pull
        assert.deepEqual(await resolveWithEngine(ref, { env: t.env }), {
            digest: registryDigest,
            reference: `${repository}@${registryDigest}`,
        });
    });

    it("an image built here and never pushed resolves to its image id, without asking the registry", async () => {
        const ref = `${repository}:local-only`;
        build(ref, "local-only");
        const id = dockerOk(t, ["image", "inspect", "--format={{.Id}}", ref]);
        // a pull would fail: the registry has no such tag
        assert.deepEqual(await resolveWithEngine(ref, { env: t.env }), { digest: id, reference: id });
    });

    it("an image no registry has fails with Docker's answer, as one line", async () => {
        const ref = `${repository}:missing`;
        await assert.rejects(resolveWithEngine(ref, { env: t.env }), (e: Error) => {
            assert.ok(e instanceof BaseProblem, String(e));
            assert.match(e.message, /^docker pull: .*not found/);
            assert.doesNotMatch(e.message, /\n/);
            return true;
        });
    });
});
