// What a payload change rebuilds, read from the offline plan (no Docker): a one-line change
// in a real git repository changes the application's content hash and nothing of the runtime.
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildHash } from "../../../lib/build/contentHash";
import { type Plan, planStack } from "../../../lib/plan/offlinePlan";
import { stackConfig } from "../../../lib/plan/stackFile";
import { commitAll, git } from "../../support/git";
import { buildOf, patchSetting, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

describe("rebuilds (offline plan of a real git payload)", function () {
    this.timeout(120_000);

    let work: string;
    let payload: string;
    let config: Record<string, string>;

    before(() => {
        work = repoTempDir("rebuild-");
        payload = path.join(work, "payload");
        mkdirSync(path.join(payload, "lib"), { recursive: true });
        git(payload, ["init", "-q", "-b", "main"]);
        writeFileSync(path.join(payload, "main.py"), "from lib.util import answer\nprint(answer())\n");
        writeFileSync(path.join(payload, "lib", "util.py"), "def answer():\n    return 42\n");
        writeFileSync(path.join(payload, ".dockerignore"), ".git\n");
        commitAll(payload, "payload", "2024-03-05T06:07:08Z");
        config = {
            ...stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml")),
            ...patchSetting("local", "application", { context: path.relative(ROOT, payload) }),
        };
    });

    after(() => {
        if (work) {
            rmSync(work, { recursive: true, force: true });
        }
    });

    const plan = () => planStack("local", config);
    const contentTag = (p: Plan, c: "runtime" | "application") => buildOf(p, c).FW_TAGS.split(",")[0];
    const buildArgs = (p: Plan) => JSON.parse(buildOf(p, "application").FW_BUILD_ARGS) as Record<string, string>;

    it("plans the same bytes twice for an unchanged payload", async () => {
        const a = await plan();
        const b = await plan();
        assert.deepEqual(b, a);
        assert.match(contentTag(a, "application"), /^[0-9a-f]{20}$/);
    });

    it("a one-line change changes only the application's content hash", async () => {
        const before = await plan();
        writeFileSync(path.join(payload, "lib", "util.py"), "def answer():\n    return 43\n");

        // left uncommitted: a new context digest, and the hash says -dirty
        const dirty = await plan();
        const head = git(payload, ["rev-parse", "HEAD"]);
        assert.deepEqual(buildOf(dirty, "runtime"), buildOf(before, "runtime"));
        assert.equal(dirty.outputs.runtimeReference, before.outputs.runtimeReference);
        assert.notEqual(contentTag(dirty, "application"), contentTag(before, "application"));
        assert.notEqual(
            buildOf(dirty, "application").FW_CONTEXT_DIGEST,
            buildOf(before, "application").FW_CONTEXT_DIGEST,
        );
        assert.equal(buildArgs(dirty).git_hash, `${head}-dirty`);
        assert.equal(buildArgs(dirty).from, buildArgs(before).from);

        // committed: another content hash again, the new commit's facts
        const commit = commitAll(payload, "one line", "2024-03-06T07:08:09Z");
        const committed = await plan();
        assert.deepEqual(buildOf(committed, "runtime"), buildOf(before, "runtime"));
        assert.notEqual(contentTag(committed, "application"), contentTag(before, "application"));
        assert.notEqual(contentTag(committed, "application"), contentTag(dirty, "application"));
        assert.equal(
            buildOf(committed, "application").FW_CONTEXT_DIGEST,
            buildOf(dirty, "application").FW_CONTEXT_DIGEST,
        );
        const labels = JSON.parse(buildOf(committed, "application").FW_LABELS);
        assert.deepEqual(
            {
                git_hash: buildArgs(committed).git_hash,
                timestamp: buildArgs(committed).timestamp,
                created: labels["org.opencontainers.image.created"],
                revision: labels["org.opencontainers.image.revision"],
            },
            { git_hash: commit, timestamp: "20240306.070809", created: "2024-03-06T07:08:09Z", revision: commit },
        );
        // only the application's build command changes
        const changed = (a: Plan, b: Plan) =>
            a.resources
                .filter((r, i) => JSON.stringify(r) !== JSON.stringify(b.resources[i]))
                .map((r) => `${r.type}::${r.name}`);
        assert.equal(committed.resources.length, before.resources.length);
        assert.deepEqual(changed(before, committed), ["command:local:Command::application-build"]);
    });
});

describe("the content hash (lib/build/contentHash.ts)", () => {
    it("the build hash changes with the Dockerfile, a build arg and the config", () => {
        const parts = {
            context: "c",
            dockerfile: "FROM x:1\n",
            buildArgs: { from: "x:1" },
            config: { timeoutSeconds: 60 },
        };
        const h = buildHash(parts);
        assert.equal(buildHash({ ...parts, buildArgs: { from: "x:1" } }), h);
        assert.notEqual(buildHash({ ...parts, dockerfile: "FROM x:2\n" }), h);
        assert.notEqual(buildHash({ ...parts, buildArgs: { from: "x:2" } }), h);
        assert.notEqual(buildHash({ ...parts, config: { timeoutSeconds: 61 } }), h);
        assert.notEqual(buildHash({ ...parts, labels: { a: "1" } }), h);
        assert.notEqual(buildHash({ ...parts, gitDiff: "d".repeat(64) }), h);
        // absent labels and diff leave the hash as it was, so builds without them keep their tags
        assert.equal(buildHash({ ...parts, labels: undefined, gitDiff: undefined }), h);
    });

    it("does not depend on the order of build args or config keys", () => {
        const a = buildHash({ context: "c", dockerfile: "d", buildArgs: { a: "1", b: "2" }, config: { x: 1, y: 2 } });
        const b = buildHash({ context: "c", dockerfile: "d", buildArgs: { b: "2", a: "1" }, config: { y: 2, x: 1 } });
        assert.equal(a, b);
        assert.match(a, /^[0-9a-f]{64}$/);
    });
});
