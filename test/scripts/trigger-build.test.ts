import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tar from "tar-stream";
import { buildOf, planOf, ROOT } from "../support/plan";

async function tarNames(file: string): Promise<string[]> {
    const names: string[] = [];
    const extract = tar.extract();
    await new Promise<void>((resolve, reject) => {
        extract.on("entry", (h, stream, next) => {
            names.push(h.name);
            stream.on("end", next);
            stream.resume();
        });
        extract.on("finish", resolve);
        extract.on("error", reject);
        fs.createReadStream(file).pipe(extract);
    });
    return names;
}

describe("trigger builds run the project's own build code", function () {
    this.timeout(120000);

    it("prepare packs the same context and tags as pulumi up would, FROM the given runtime", async () => {
        const plan = await planOf("team");
        const planned = buildOf(plan, "application");
        const runtimeRef = String(plan.outputs.runtimeReference);
        const r = spawnSync("node", ["--require", "ts-node/register/transpile-only", "scripts/trigger-build.ts"], {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, FW_STACK: "team", FW_BUILD: "application", FW_RUNTIME_REF: runtimeRef },
        });
        assert.equal(r.status, 0, r.stderr);
        const script = fs.readFileSync(path.join(ROOT, ".fireworker/trigger/build.sh"), "utf8");
        const tag = planned.FW_TAGS.split(",")[0];
        // the content tag only: an existing one is adopted, a lost push read back
        assert.ok(script.includes(`ref=${planned.FW_IMAGE}:${tag}\n`));
        assert.ok(script.includes('docker manifest inspect --verbose "$1"'), "HTTPS only: not a loopback registry");
        assert.ok(script.includes(`--build-arg=from=${runtimeRef}`));
        assert.ok(script.includes('if docker push "$ref"; then'));
        const names = await tarNames(path.join(ROOT, ".fireworker/trigger/context.tar"));
        assert.deepEqual(names.sort(), [
            ".dockerignore",
            ".fireworker.Dockerfile",
            "fixtures/keep.json",
            "main.py",
            "requirements.txt",
        ]);
        const check = spawnSync("bash", ["-n", path.join(ROOT, ".fireworker/trigger/build.sh")]);
        assert.equal(check.status, 0, "build.sh is not valid bash");
        // an application has no previous image to reuse: no --cache-from, a cache-from.sh that looks nothing up
        assert.ok(!script.includes("--cache-from"));
        const lookup = fs.readFileSync(path.join(ROOT, ".fireworker/trigger/cache-from.sh"), "utf8");
        assert.ok(!lookup.includes("gcloud "), lookup);
        assert.equal(spawnSync("bash", ["-n", path.join(ROOT, ".fireworker/trigger/cache-from.sh")]).status, 0);
    });

    it("refuses an unknown build kind with one line", () => {
        const r = spawnSync("node", ["--require", "ts-node/register/transpile-only", "scripts/trigger-build.ts"], {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, FW_STACK: "team", FW_BUILD: "both" },
        });
        assert.equal(r.status, 1);
        assert.equal(r.stderr, 'trigger-build: FW_BUILD: "both" is not runtime or application\n');
    });
});
