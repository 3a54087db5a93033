import assert from "node:assert/strict";
import { candidateKind, gcloudLookupArgs, resolveCacheFrom } from "../../../lib/build/cacheFrom";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const RUNTIME = "us-central1-docker.pkg.dev/p/fireworker/runtime";
const MINE = "us-central1-docker.pkg.dev/p/fireworker-dev/alice-runtime";

describe("the previous image a runtime build reuses (lib/build/cacheFrom.ts)", () => {
    it("tells a digest, a tag and a bare repository apart (a registry port is no tag)", () => {
        assert.equal(candidateKind(`${RUNTIME}@${D("a")}`), "digest");
        assert.equal(candidateKind(`${MINE}:alice-latest`), "tag");
        assert.equal(candidateKind(RUNTIME), "newest");
        assert.equal(candidateKind("127.0.0.1:5000/fireworker/runtime"), "newest");
        assert.equal(candidateKind("127.0.0.1:5000/fireworker/runtime:v1"), "tag");
    });

    it("takes the first candidate that exists, as repository@digest", async () => {
        const asked: string[] = [];
        const registry: Record<string, string> = { [`${MINE}:alice-latest`]: D("b"), [RUNTIME]: D("c") };
        const lookup = async (ref: string, kind: string) => {
            asked.push(`${kind} ${ref}`);
            return registry[ref];
        };
        assert.equal(await resolveCacheFrom([`${MINE}:alice-latest`, RUNTIME], lookup), `${MINE}@${D("b")}`);
        assert.equal(await resolveCacheFrom([`${MINE}:gone`, RUNTIME], lookup), `${RUNTIME}@${D("c")}`);
        // a digest reference is taken as it is, without a look-up (the pull tells whether it exists)
        asked.length = 0;
        assert.equal(
            await resolveCacheFrom([`${MINE}:gone`, `${RUNTIME}@${D("d")}`, RUNTIME], lookup),
            `${RUNTIME}@${D("d")}`,
        );
        assert.deepEqual(asked, [`tag ${MINE}:gone`]);
    });

    it("a failing look-up or an answer that is no digest is no previous image, never an error", async () => {
        const failing = async () => {
            throw new Error("gcloud: PERMISSION_DENIED");
        };
        assert.equal(await resolveCacheFrom([RUNTIME], failing), undefined);
        assert.equal(await resolveCacheFrom([RUNTIME], async () => "Listed 0 items."), undefined);
        assert.equal(await resolveCacheFrom([], failing), undefined);
    });

    it("asks gcloud for a tag's digest, or the newest image of a repository", () => {
        assert.deepEqual(gcloudLookupArgs(`${MINE}:alice-latest`, "tag", "p"), [
            "artifacts",
            "docker",
            "images",
            "describe",
            `${MINE}:alice-latest`,
            "--project=p",
            "--format=value(image_summary.digest)",
        ]);
        assert.deepEqual(gcloudLookupArgs(RUNTIME, "newest", "p").slice(3), [
            "list",
            RUNTIME,
            "--project=p",
            "--sort-by=~UPDATE_TIME",
            "--limit=1",
            "--format=value(version)",
        ]);
    });
});
