// The wheelhouse on the real Docker engine (the local stack's path: prepareRuntime,
// finalizeBuild, runBuild): a package pip builds from its sdist (from a local package index, a
// find-links folder of the requirements) is built once, kept in the local wheelhouse, and
// reused when a changed pin rebuilds its layer; its content tag never depends on what the
// wheelhouse holds, and nothing of it stays in the image. pip builds the sdist in an isolated
// environment whose setuptools comes from PyPI, through this machine's pip configuration.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type BuildSpec, buildSpecOf } from "../../../lib/build/buildSpec";
import { finalizeBuild } from "../../../lib/build/prepareBuild";
import { runBuild } from "../../../lib/build/runBuild";
import { docker, dockerOk, removeImages } from "../../support/docker";
import { preparedRuntime, ROOT } from "../../support/plan";
import { recorder } from "../../support/recorder";
import { sdist } from "../../support/sdist";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";

const PYTHON_IMAGE = process.env.FW_TEST_PYTHON_IMAGE ?? "fireworker-test/python:3.11-bookworm";

describe("the wheelhouse on the real engine: what pip built once is not built again", function () {
    this.timeout(900_000);
    let t: TestEnv;
    const id = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `test-wheelhouse-${id}`);
    const wheelhouse = path.join(work, "wheelhouse");
    const image = `fw-test/wheelhouse-${id}`;

    before(async function () {
        t = await requireDockerOrSkip(this);
        if (docker(t, ["image", "inspect", PYTHON_IMAGE]).status !== 0) {
            throw new Error(`${PYTHON_IMAGE} is not in the test engine`);
        }
        mkdirSync(path.join(work, "index"), { recursive: true });
        sdist(path.join(work, "index"), "fwcompiled", "1.0");
        sdist(path.join(work, "index"), "fwoften", "1.0");
        sdist(path.join(work, "index"), "fwoften", "2.0");
    });

    after(() => {
        if (!t) return;
        removeImages(t, image);
        rmSync(work, { recursive: true, force: true });
    });

    async function plan(often: string, wheelhouseOn = true): Promise<BuildSpec> {
        writeFileSync(
            path.join(work, "requirements.txt"),
            `--find-links ./index\nfwcompiled==1.0\nfwoften==${often}\n`,
        );
        const { prepared: p, base } = await preparedRuntime(
            {
                base: PYTHON_IMAGE,
                env: { MARK: id },
                requirements: path.relative(ROOT, path.join(work, "requirements.txt")),
                wheelhouse: wheelhouseOn,
            },
            true,
        );
        return buildSpecOf(p, finalizeBuild(p, { image, from: base, movingTags: [] }), {
            builder: "docker",
            image,
            push: false,
        });
    }

    async function build(spec: BuildSpec): Promise<{ log: string; reference: string }> {
        const log = recorder();
        const env = { ...t.env, FW_WHEELHOUSE_DIR: wheelhouse };
        const result = await runBuild(spec, { projectRoot: ROOT, env, network: "host", log: log.stream });
        return { log: log.text(), reference: result.reference };
    }

    it("builds the sdist once, keeps its wheel, and reuses it when a changed pin rebuilds the layer", async () => {
        const v1 = await plan("1.0");
        assert.ok(v1.wheelhouse, "the runtime has a wheelhouse folder");
        const first = await build(v1);
        assert.match(first.log, /Building wheel for fwcompiled/);
        const kept = path.join(wheelhouse, v1.wheelhouse ?? "", "wheels");
        const wheels = spawnSync("find", [kept, "-name", "*.whl"], { encoding: "utf8" }).stdout;
        assert.match(wheels, /fwcompiled-1\.0-py3-none-any\.whl/, "the built wheel is kept in the local wheelhouse");

        const v2 = await plan("2.0");
        assert.equal(v2.wheelhouse, v1.wheelhouse, "a changed pin keeps the build environment");
        const second = await build(v2);
        assert.doesNotMatch(second.log, /Building wheel for fwcompiled/, "fwcompiled is not built again");
        assert.match(second.log, /cached fwcompiled-1\.0-py3-none-any\.whl/);
        assert.match(second.log, /Building wheel for fwoften/, "the changed package is built");
        const ran = dockerOk(t, [
            "run",
            "--rm",
            second.reference,
            "sh",
            "-c",
            "python3 -c 'import fwcompiled, fwoften; print(fwcompiled.VERSION, fwoften.VERSION)'; ls -a /tmp",
        ]);
        assert.match(ran, /^1\.0 2\.0$/m);
        assert.doesNotMatch(ran, /fireworker-pip-cache/, "pip's cache is not in the image");
        const history = dockerOk(t, ["history", "--no-trunc", "--format={{.CreatedBy}}", second.reference]);
        assert.ok(!history.includes(wheelhouse), "the local folder is nowhere in the image's history");
        const containers = dockerOk(t, ["ps", "-a", "--format={{.Names}}"]);
        assert.doesNotMatch(containers, /fireworker-wheelhouse-/, "the server is removed");
    });

    it("the content tag names the inputs, never what the wheelhouse holds; without it pip builds again", async () => {
        const full = await plan("1.0");
        rmSync(wheelhouse, { recursive: true, force: true });
        const empty = await plan("1.0");
        assert.deepEqual(empty.tags, full.tags);
        assert.equal(empty.dockerfile, full.dockerfile);
        // another build environment finds nothing kept by this one
        dockerOk(t, ["rmi", `${image}:${full.tags[0]}`]);
        const again = await build(empty);
        assert.match(again.log, /Building wheel for fwcompiled/);
        assert.ok(existsSync(path.join(wheelhouse, full.wheelhouse ?? "")));
        assert.deepEqual(readdirSync(wheelhouse), [full.wheelhouse]);
        // off: no wheelhouse key, and pip keeps no cache
        const off = await plan("1.0", false);
        assert.equal(off.wheelhouse, undefined);
        assert.doesNotMatch(off.dockerfile, /wheelhouse/);
        assert.notDeepEqual(off.tags, full.tags);
    });
});
