// The wheelhouse steps of a Cloud Build runtime build, run as Cloud Build runs them, on the real
// Docker engine: the rendered config's steps in order, each a `bash -c` of its script, on a
// `cloudbuild` network; the steps' volume is a folder here. Only gcloud is a stand-in: a
// `gcloud storage rsync` between that folder and a folder standing for the bucket, whose every
// command line then goes through the real gcloud. The packages come from a local package index
// (a find-links folder of the requirements with an sdist and setuptools), as on a worker with no
// cache: the first build compiles and stores, a cold build after it (a new worker: no layer
// cache) reuses the stored wheel. The server's container has Cloud Build's fixed name, so two runs
// of this file on one engine at once would meet.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { renderCloudBuildConfig } from "../../../lib/build/cloudBuildConfig";
import { collectContext } from "../../../lib/build/context";
import { writeContextFile } from "../../../lib/build/pack";
import type { PreparedBuild } from "../../../lib/build/prepareBuild";
import { WHEELHOUSE_VOLUME } from "../../../lib/build/wheelhouse";
import { wheelhouseBucketName } from "../../../lib/names";
import { buildScript, wheelhouseScripts } from "../../../lib/triggers/prepareTriggerBuild";
import { TRIGGER_DIR } from "../../../lib/triggers/triggerBuild";
import { docker, Registry, removeImages } from "../../support/docker";
import { preparedRuntime, ROOT } from "../../support/plan";
import { checkAll, realGcloud, verdictLine } from "../../support/realGcloud";
import { sdist } from "../../support/sdist";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";
import { requireTool } from "../../support/tools";

const PYTHON_IMAGE = process.env.FW_TEST_PYTHON_IMAGE ?? "fireworker-test/python:3.11-bookworm";
const PROJECT = "fw-test-project";
/** The team's wheelhouse bucket of PROJECT, as the trigger's scripts name it. */
const BUCKET = wheelhouseBucketName(PROJECT);

/** A gcloud that does `storage rsync` between folders (gs://BUCKET is `bucket`), and logs its argv. */
function fakeGcloud(dir: string, bucket: string, argvLog: string): void {
    writeFileSync(
        path.join(dir, "gcloud"),
        [
            "#!/usr/bin/env bash",
            "set -eu",
            `printf '%s\\0' "$@" >> ${JSON.stringify(argvLog)}; printf '\\n' >> ${JSON.stringify(argvLog)}`,
            '[ "$1 $2" = "storage rsync" ] || { echo "fake gcloud: $*" >&2; exit 2; }',
            "shift 2",
            'args=(); for a in "$@"; do case "$a" in --*) ;; *) args+=("$a");; esac; done',
            `map() { case "$1" in gs://${BUCKET}/*) echo "${bucket}/\${1#gs://${BUCKET}/}";; *) echo "$1";; esac; }`,
            'src="$(map "${args[0]}")"; dst="$(map "${args[1]}")"',
            '[ -d "$src" ] || { echo "ERROR: $src not found" >&2; exit 1; }',
            'mkdir -p "$dst"; cp -a -n "$src/." "$dst/"',
        ].join("\n"),
    );
    chmodSync(path.join(dir, "gcloud"), 0o755);
}

describe("the wheelhouse steps of a Cloud Build runtime build, on the real engine", function () {
    this.timeout(900_000);
    let t: TestEnv;
    const id = Math.random().toString(16).slice(2, 10);
    const work = path.join(ROOT, ".fireworker", `test-wheelhouse-cb-${id}`);
    const bucket = path.join(work, "bucket");
    const volume = path.join(work, "volume");
    const bin = path.join(work, "bin");
    const argvLog = path.join(work, "gcloud-argv");
    const image = `fw-test/wheelhouse-cb-${id}`;

    before(async function () {
        t = await requireDockerOrSkip(this);
        if (docker(t, ["image", "inspect", PYTHON_IMAGE]).status !== 0) {
            throw new Error(`${PYTHON_IMAGE} is not in the test engine`);
        }
        for (const d of [bucket, bin, path.join(work, "index")]) mkdirSync(d, { recursive: true });
        sdist(path.join(work, "index"), "fwcompiled", "1.0");
        // the build backend pip installs in its isolated build environment, from the same folder
        const pip = spawnSync(
            "python3",
            ["-m", "pip", "download", "--quiet", "--no-deps", "--dest", path.join(work, "index"), "setuptools==75.8.0"],
            { encoding: "utf8" },
        );
        assert.equal(pip.status, 0, `pip download setuptools (PyPI): ${pip.stderr}`);
        writeFileSync(path.join(work, "requirements.txt"), "--no-index\n--find-links ./index\nfwcompiled==1.0\n");
        fakeGcloud(bin, bucket, argvLog);
        // Cloud Build's network; left in place afterwards, as another run on this engine may use it
        if (docker(t, ["network", "inspect", "cloudbuild"]).status !== 0) {
            const made = docker(t, ["network", "create", "cloudbuild"]);
            assert.ok(made.status === 0 || /already exists/.test(made.stderr), made.stderr);
        }
    });

    after(() => {
        if (!t) return;
        docker(t, ["rm", "--force", "fireworker-wheelhouse"]);
        removeImages(t, image);
        rmSync(work, { recursive: true, force: true });
    });

    /** The runtime as a Google stack renders it (no pip relay), with a wheelhouse. */
    async function prepared(): Promise<PreparedBuild> {
        const { prepared: p } = await preparedRuntime(
            {
                base: PYTHON_IMAGE,
                env: { MARK: id },
                requirements: path.relative(ROOT, path.join(work, "requirements.txt")),
                wheelhouse: true,
            },
            false,
        );
        assert.ok(p.wheelhouse);
        return p;
    }

    /** A step's text with the volume's path at `volume`. */
    const atVolume = (text: string) =>
        text.replace(/(^|[\s'"=])\/fireworker-wheelhouse/g, (_m, pre: string) => `${pre}${volume}`);
    const stepEnv = () => ({ ...process.env, ...t.env, PATH: `${bin}:${process.env.PATH}`, CACHE_FROM: "" });

    /** Runs the config's steps as Cloud Build would; the volume's path is `volume`. Returns the log. */
    async function cloudBuild(noCache: boolean): Promise<string> {
        const p = await prepared();
        const config = renderCloudBuildConfig({
            image,
            tags: [`cb-${noCache ? "cold" : "first"}`],
            buildArgs: { from: PYTHON_IMAGE },
            timeoutSeconds: 600,
            wheelhouse: { uri: `gs://${BUCKET}/${p.wheelhouse}`, image: PYTHON_IMAGE, store: true },
        });
        // the source Cloud Build unpacks into /workspace
        const workspace = path.join(work, `workspace-${noCache ? "cold" : "first"}`);
        mkdirSync(workspace, { recursive: true });
        const tar = path.join(work, "context.tar");
        await writeContextFile(collectContext(p.context, ROOT), p.dockerfile, tar);
        assert.equal(spawnSync("tar", ["-xf", tar, "-C", workspace]).status, 0);
        rmSync(volume, { recursive: true, force: true });
        mkdirSync(volume);
        const log: string[] = [];
        for (const step of config.steps) {
            assert.deepEqual(step.volumes ?? [WHEELHOUSE_VOLUME], [WHEELHOUSE_VOLUME], step.id);
            const args = step.args.map(atVolume);
            // a build on a new worker has no layer cache
            const dockerArgs = noCache && step.id === "build" ? [...args.slice(0, -1), "--no-cache", "."] : args;
            const r = spawnSync(step.entrypoint ?? "docker", dockerArgs, {
                cwd: workspace,
                encoding: "utf8",
                env: stepEnv(),
                timeout: 600_000,
            });
            log.push(`--- ${step.id} (${step.name})\n${r.stdout}${r.stderr}`);
            assert.equal(r.status, 0, `${step.id}: ${r.stderr}`);
        }
        return log.join("\n");
    }

    it("the first build compiles and stores the wheel; a cold build on a new worker reuses it", async () => {
        const first = await cloudBuild(false);
        assert.match(first, /Building wheel for fwcompiled/);
        assert.match(first, /cannot be read \(new, or no access\)/, "the bucket had nothing yet");
        const stored = spawnSync("find", [bucket, "-name", "*.whl"], { encoding: "utf8" }).stdout;
        assert.match(stored, /fwcompiled-1\.0-py3-none-any\.whl/, "the wheel is in the bucket");

        const cold = await cloudBuild(true);
        assert.match(cold, new RegExp(`wheelhouse gs://${BUCKET}/[0-9a-f]{20}: 1 wheels`));
        assert.doesNotMatch(cold, /Building wheel for fwcompiled/, "not compiled again");
        assert.match(cold, /cached fwcompiled-1\.0-py3-none-any\.whl/);
        assert.equal(docker(t, ["ps", "-a", "--filter=name=fireworker-wheelhouse", "--format={{.Names}}"]).stdout, "");
    });

    it("the runtime trigger's scripts reuse the stored wheel too (fetch, build.sh, store)", async () => {
        const p = await prepared();
        const name = `fw-test/wheelhouse-trigger-${id}`;
        const spec: BuildSpec = {
            kind: "runtime",
            builder: "cloudbuild",
            image: `${t.registry}/${name}`,
            tags: ["trigger"],
            contextDigest: p.contextDigest,
            context: p.context,
            dockerfile: p.dockerfile,
            buildArgs: { from: PYTHON_IMAGE },
            wheelhouse: p.wheelhouse,
            push: true,
            project: PROJECT,
        };
        const dir = path.join(work, "trigger");
        mkdirSync(path.join(dir, TRIGGER_DIR), { recursive: true });
        await writeContextFile(
            collectContext(p.context, ROOT),
            p.dockerfile,
            path.join(dir, TRIGGER_DIR, "context.tar"),
        );
        const scripts = wheelhouseScripts(spec);
        const steps: [string, string][] = [
            ["wheelhouse-fetch.sh", scripts.fetch],
            ["build.sh", buildScript(spec, `${TRIGGER_DIR}/context.tar`)],
            ["wheelhouse-store.sh", scripts.store],
        ];
        rmSync(volume, { recursive: true, force: true });
        mkdirSync(volume);
        let out = "";
        try {
            for (const [file, text] of steps) {
                writeFileSync(path.join(dir, file), atVolume(text));
                const r = spawnSync("bash", [file], { cwd: dir, env: stepEnv(), encoding: "utf8", timeout: 600_000 });
                out += `--- ${file}\n${r.stdout}${r.stderr}`;
                assert.equal(r.status, 0, out);
            }
            assert.match(out, /cached fwcompiled-1\.0-py3-none-any\.whl/, out);
            assert.doesNotMatch(out, /Building wheel for fwcompiled/);
            assert.match(readFileSync(path.join(dir, TRIGGER_DIR, "digest"), "utf8").trim(), /^sha256:[0-9a-f]{64}$/);
        } finally {
            removeImages(t, spec.image);
            await new Registry(t.registry).deleteRepository(name);
        }
    });

    it("every gcloud command line of the steps is valid for the real gcloud", async function () {
        requireTool(this, "gcloud");
        const gcloud = realGcloud();
        assert.ok(gcloud);
        const lines = readFileSync(argvLog, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("\0").filter(Boolean));
        assert.ok(lines.length >= 3, "fetch, store and fetch again ran gcloud");
        const verdicts = await checkAll(
            gcloud.path,
            lines.map((argv) => ({ origin: "wheelhouse steps", argv })),
        );
        assert.deepEqual(verdicts.filter((v) => !v.ok).map(verdictLine), []);
    });
});
