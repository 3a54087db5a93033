// The pure parts of resolving a base on the local Docker engine (lib/build/resolveBase.ts). The
// engine itself (an image it holds, one it pulls, one no registry has) is exercised on the real
// test engine and registry in resolveBase.integration.test.ts.
import assert from "node:assert/strict";
import {
    BaseProblem,
    familiarRepository,
    resolvedFromInspect,
    resolveWithEngine,
} from "../../../lib/build/resolveBase";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const ID = `sha256:${"1".repeat(64)}`;

describe("resolving a base on the local Docker engine (lib/build/resolveBase.ts)", () => {
    it("Docker Hub's names are compared as the engine records them", () => {
        assert.equal(familiarRepository("docker.io/library/python"), "python");
        assert.equal(familiarRepository("index.docker.io/library/python"), "python");
        assert.equal(familiarRepository("library/python"), "python");
        assert.equal(familiarRepository("docker.io/bitnami/python"), "bitnami/python");
        assert.equal(familiarRepository("127.0.0.1:5000/fw/base"), "127.0.0.1:5000/fw/base");
    });

    it("an image pulled from a registry resolves to its repository digest, as written in the settings", () => {
        assert.deepEqual(resolvedFromInspect("docker.io/library/python:3.11", ID, [`other@${B}`, `python@${A}`]), {
            digest: A,
            reference: `docker.io/library/python@${A}`,
        });
        // an image built or imported here has no repository digest: its image id
        assert.deepEqual(resolvedFromInspect("fw/base:1", ID, []), { digest: ID, reference: ID });
        assert.deepEqual(resolvedFromInspect("fw/base:1", ID, [`elsewhere/base@${A}`]), { digest: ID, reference: ID });
        assert.throws(() => resolvedFromInspect("fw/base:1", "", []), BaseProblem);
    });

    it("a digest is used as it is: Docker is not asked", async () => {
        // an engine that cannot answer: any question to it would fail
        const env = { DOCKER_HOST: "unix:///nonexistent/fw-no-engine.sock" };
        assert.deepEqual(await resolveWithEngine(`python:3.11@${A}`, { env }), { digest: A, reference: `python@${A}` });
        assert.deepEqual(await resolveWithEngine(ID, { env }), { digest: ID, reference: ID });
    });
});
