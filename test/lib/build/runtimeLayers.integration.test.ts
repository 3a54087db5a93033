// Layered requirements on the real Docker engine (the local stack's path: prepareRuntime,
// finalizeBuild, runBuild): a changed pin in the last requirements file rebuilds only the last
// layer, the ones before come from the engine's cache; a change before them (here the image's
// env, as a base or apt list change would) rebuilds everything after it, as Docker does. The
// packages are wheels made here, so pip needs no index.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildSpecOf } from "../../../lib/build/buildSpec";
import { finalizeBuild } from "../../../lib/build/prepareBuild";
import { runBuild } from "../../../lib/build/runBuild";
import { docker, dockerOk, removeImages } from "../../support/docker";
import { preparedRuntime, ROOT } from "../../support/plan";
import { recorder } from "../../support/recorder";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";

const PYTHON_IMAGE = process.env.FW_TEST_PYTHON_IMAGE ?? "fireworker-test/python:3.11-bookworm";

/** A pure-Python wheel `name-version-py3-none-any.whl` in `dir`, made with the zipfile module. */
function wheel(dir: string, name: string, version: string): string {
    const file = `${name}-${version}-py3-none-any.whl`;
    const info = `${name}-${version}.dist-info`;
    const files: Record<string, string> = {
        [`${name}/__init__.py`]: `VERSION = "${version}"\n`,
        [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
        [`${info}/WHEEL`]: "Wheel-Version: 1.0\nGenerator: fireworker-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    };
    files[`${info}/RECORD`] = `${[...Object.keys(files), `${info}/RECORD`].map((f) => `${f},,`).join("\n")}\n`;
    const script =
        "import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],'w')\n" +
        "for k,v in json.loads(sys.argv[2]).items(): z.writestr(zipfile.ZipInfo(k,(2020,1,1,0,0,0)),v)\nz.close()";
    const r = spawnSync("python3", ["-c", script, path.join(dir, file), JSON.stringify(files)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return file;
}

describe("layered requirements on the real engine: what a rebuild reuses", function () {
    this.timeout(600_000);
    let t: TestEnv;
    const id = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `test-layers-${id}`);
    const image = `fw-test/layers-${id}`;

    before(async function () {
        t = await requireDockerOrSkip(this);
        if (docker(t, ["image", "inspect", PYTHON_IMAGE]).status !== 0) {
            throw new Error(`${PYTHON_IMAGE} is not in the test engine`);
        }
        mkdirSync(work, { recursive: true });
        wheel(work, "stack", "1.0");
        wheel(work, "often", "1.0");
        wheel(work, "often", "2.0");
        writeFileSync(path.join(work, "stack.txt"), "./stack-1.0-py3-none-any.whl\n");
    });

    after(() => {
        if (!t) return;
        removeImages(t, image);
        rmSync(work, { recursive: true, force: true });
    });

    async function build(often: string, env: Record<string, string>): Promise<{ layers: string[]; log: string }> {
        writeFileSync(path.join(work, "often.txt"), `./often-${often}-py3-none-any.whl\n`);
        const rel = (f: string) => path.relative(ROOT, path.join(work, f));
        const { prepared: p, base } = await preparedRuntime(
            { base: PYTHON_IMAGE, env, requirements: [rel("stack.txt"), rel("often.txt")] },
            false,
        );
        const spec = buildSpecOf(p, finalizeBuild(p, { image, from: base, movingTags: [] }), {
            builder: "docker",
            image,
            push: false,
        });
        const log = recorder();
        const result = await runBuild(spec, { projectRoot: ROOT, env: t.env, network: "host", log: log.stream });
        const ran = dockerOk(t, [
            "run",
            "--rm",
            result.reference,
            "python3",
            "-c",
            "import often; print(often.VERSION)",
        ]);
        assert.equal(ran, often);
        const layers = dockerOk(t, ["image", "inspect", "--format={{json .RootFS.Layers}}", result.reference]);
        return { layers: JSON.parse(layers), log: log.text() };
    }

    it("a changed pin in the last file rebuilds the last layer alone; a change before the layers rebuilds them all", async () => {
        const base = JSON.parse(dockerOk(t, ["image", "inspect", "--format={{json .RootFS.Layers}}", PYTHON_IMAGE]));
        const v1 = await build("1.0", { MARK: id });
        // the base's layers, then COPY and RUN pip of each requirements layer
        assert.equal(v1.layers.length, base.length + 4);
        const v2 = await build("2.0", { MARK: id });
        assert.deepEqual(v2.layers.slice(0, -2), v1.layers.slice(0, -2), "the first requirements layer is reused");
        assert.notEqual(v2.layers.at(-1), v1.layers.at(-1));
        assert.match(v2.log, /Using cache/);
        // a change before the requirements (the env, as a base or apt list change): nothing after it is reused
        const v3 = await build("2.0", { MARK: `${id}-other` });
        assert.deepEqual(v3.layers.slice(0, base.length), base);
        const oldLayers = new Set([...v1.layers, ...v2.layers].slice(base.length));
        const afterBase = v3.layers.slice(base.length);
        // identical bytes may give an identical layer (a COPY of the same file); never a cached pip layer
        assert.doesNotMatch(v3.log.split("pip install")[1] ?? "", /Using cache/);
        assert.ok(!oldLayers.has(afterBase[1]) && !oldLayers.has(afterBase[3]), "the pip layers were installed again");
    });
});
