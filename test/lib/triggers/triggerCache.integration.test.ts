// A runtime trigger's build reusing the previous runtime's layers, on the real Docker engine
// (classic builder, as Cloud Build's docker builder) and the loopback registry: the scripts the
// prepare step writes (cache-from.sh with a stand-in gcloud that answers from the registry, then
// build.sh) run as the trigger's steps do, on an engine that has forgotten every image, as a
// fresh Cloud Build worker. Layers before the changed input are the previous runtime's, pulled
// by digest; without a previous runtime, or with one that is gone, the build still runs cold.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { collectContext } from "../../../lib/build/context";
import { writeContextFile } from "../../../lib/build/pack";
import { buildScript, cacheFromScript } from "../../../lib/triggers/prepareTriggerBuild";
import { TRIGGER_DIR } from "../../../lib/triggers/triggerBuild";
import { type Manifest, Registry, removeImages } from "../../support/docker";
import { requireDockerOrSkip, type TestEnv } from "../../support/testEnv";

describe("a runtime trigger reusing the previous runtime's layers, on the real Docker engine and registry", function () {
    this.timeout(600_000);

    let t: TestEnv;
    let work: string;
    let name: string;
    let image: string;
    const id = Math.random().toString(16).slice(2, 10);

    before(async function () {
        t = await requireDockerOrSkip(this);
        work = mkdtempSync(path.join(os.tmpdir(), "fw-trigger-cache-"));
        name = `fireworker/trigger-cache-${id}`;
        image = `${t.registry}/${name}`;
        // the trigger's docker, where the engine has no cloudbuild network (as the race test)
        mkdirSync(path.join(work, "bin"));
        const docker = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8" }).stdout.trim();
        writeFileSync(
            path.join(work, "bin", "docker"),
            [
                "#!/usr/bin/env bash",
                'args=(); for a in "$@"; do [ "$a" = --network=cloudbuild ] && a=--network=host; args+=("$a"); done',
                `exec ${JSON.stringify(docker)} "\${args[@]}"`,
                "",
            ].join("\n"),
        );
        // gcloud's look-up of the newest image, answered with FW_NEWEST (empty: none)
        writeFileSync(
            path.join(work, "bin", "gcloud"),
            [
                "#!/usr/bin/env bash",
                '[ "$4" = list ] && [ -n "${FW_NEWEST:-}" ] && echo "$FW_NEWEST"',
                "exit 0",
                "",
            ].join("\n"),
        );
        chmodSync(path.join(work, "bin", "docker"), 0o755);
        chmodSync(path.join(work, "bin", "gcloud"), 0o755);
    });

    after(async () => {
        if (!t) return;
        removeImages(t, image);
        await new Registry(t.registry).deleteRepository(name);
        rmSync(work, { recursive: true, force: true });
    });

    /**
     * One trigger build of a runtime whose last layer copies `last.txt`: the layers before it are
     * stamped with the time they ran, so a layer run again never equals the previous one.
     */
    async function trigger(tag: string, last: string, newest: string) {
        const dir = path.join(work, tag);
        mkdirSync(path.join(dir, "src"), { recursive: true });
        writeFileSync(path.join(dir, "src", "last.txt"), last);
        const spec: BuildSpec = {
            kind: "runtime",
            builder: "cloudbuild",
            image,
            tags: [tag, "latest"],
            contextDigest: "0".repeat(64),
            context: { kind: "directory", dir: "src" },
            dockerfile: [
                "ARG from",
                "FROM ${from}",
                `RUN echo stack ${id} $(date +%s%N) > /first`,
                "RUN echo numerical $(date +%s%N) > /second",
                "COPY last.txt /last.txt",
                "",
            ].join("\n"),
            buildArgs: { from: t.baseImage },
            push: true,
            project: "example-lab-123456",
            cacheFrom: [image],
        };
        mkdirSync(path.join(dir, TRIGGER_DIR), { recursive: true });
        await writeContextFile(
            collectContext(spec.context, dir),
            spec.dockerfile,
            path.join(dir, TRIGGER_DIR, "context.tar"),
        );
        writeFileSync(path.join(dir, "cache-from.sh"), await cacheFromScript(spec, `${TRIGGER_DIR}/cache-from`));
        writeFileSync(path.join(dir, "build.sh"), buildScript(spec, `${TRIGGER_DIR}/context.tar`));
        // a fresh worker: the engine holds no image of the repository
        removeImages(t, image);
        const env = { ...t.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, FW_NEWEST: newest };
        let out = "";
        for (const step of ["cache-from.sh", "build.sh"]) {
            const r = spawnSync("bash", [step], { cwd: dir, env, encoding: "utf8" });
            out += `${r.stdout}${r.stderr}`;
            assert.equal(r.status, 0, out);
        }
        const digest = readFileSync(path.join(dir, TRIGGER_DIR, "digest"), "utf8").trim();
        const registry = new Registry(t.registry);
        const manifest = await registry.manifest(name, tag);
        assert.equal(manifest.digest, digest);
        assert.equal((await registry.manifest(name, "latest")).digest, digest, "latest moved to the content tag");
        return { out, manifest };
    }

    const layers = (m: Manifest) => m.layers.map((l) => l.digest);
    const cached = (out: string) => (out.match(/Using cache/g) ?? []).length;
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

    it("without a previous runtime: one line, and a cold build; then only the changed last layer is built again", async () => {
        const v1 = await trigger(`${id}v1`, "a\n", "");
        assert.match(v1.out, /fireworker: no previous image found \(.*\); the build runs without one/);
        assert.match(v1.out, /fireworker: no previous image to reuse; building without its layers/);
        assert.equal(cached(v1.out), 0, v1.out);

        // the last layer's input changes; the previous runtime is the registry's newest image
        const previous = `${image}@${v1.manifest.digest}`;
        const v2 = await trigger(`${id}v2`, "b\n", v1.manifest.digest);
        assert.match(v2.out, new RegExp(`fireworker: reusing the layers of ${literal(previous)}`));
        assert.equal(cached(v2.out), 2, v2.out);
        const [before, after] = [layers(v1.manifest), layers(v2.manifest)];
        assert.equal(after.length, before.length);
        assert.deepEqual(after.slice(0, -1), before.slice(0, -1), "every layer before the change is the previous one");
        assert.notEqual(after.at(-1), before.at(-1));
        assert.notEqual(v2.manifest.digest, v1.manifest.digest);

        // the same inputs with no previous runtime: every layer of the stack is run again
        const cold = await trigger(`${id}v3`, "b\n", "");
        assert.equal(cached(cold.out), 0, cold.out);
        const base = layers(v1.manifest).length - 3;
        assert.notDeepEqual(layers(cold.manifest).slice(base, -1), after.slice(base, -1));
        assert.deepEqual(layers(cold.manifest).slice(0, base), before.slice(0, base), "the base is the base");
    });

    it("a previous runtime that cannot be pulled: one line, and a cold build that succeeds", async () => {
        const gone = `sha256:${"0".repeat(64)}`;
        const r = await trigger(`${id}v4`, "c\n", gone);
        assert.match(
            r.out,
            new RegExp(
                `fireworker: the previous image ${literal(`${image}@${gone}`)} cannot be pulled \\(.+\\); building without its layers`,
            ),
        );
        assert.equal(cached(r.out), 0, r.out);
    });
});
