import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import { renderCloudBuildConfig, wheelhouseBuildScript } from "../../../lib/build/cloudBuildConfig";
import { WHEELHOUSE_VOLUME } from "../../../lib/build/wheelhouse";
import {
    WHEELHOUSE_ADD_HOST,
    wheelhouseCollectScript,
    wheelhouseFetchScript,
    wheelhouseServeScript,
    wheelhouseStoreScript,
} from "../../../lib/build/wheelhouseSteps";
import { buildScript } from "../../../lib/triggers/prepareTriggerBuild";
import { requireTool } from "../../support/tools";

const URI = "gs://example-lab-123456-fireworker-wheelhouse/0123456789abcdef0123";
const BASE = `python@sha256:${"a".repeat(64)}`;

const config = (store: boolean, cacheFrom = true) =>
    renderCloudBuildConfig({
        image: "us-central1-docker.pkg.dev/p/fireworker/runtime",
        tags: ["0123456789abcdef0123"],
        buildArgs: { from: BASE },
        timeoutSeconds: 3600,
        cacheFrom,
        wheelhouse: { uri: URI, image: BASE, store },
    });

describe("the wheelhouse steps of a Cloud Build build", () => {
    it("fetch, serve, build, collect, then store (team builds only), the wheelhouse steps on their own volume", () => {
        const team = config(true);
        assert.deepEqual(
            team.steps.map((s) => s.id),
            ["wheelhouse-fetch", "wheelhouse-serve", "build", "wheelhouse-collect", "wheelhouse-store"],
        );
        for (const s of team.steps.filter((x) => x.id !== "build")) {
            assert.deepEqual(s.volumes, [WHEELHOUSE_VOLUME], s.id);
        }
        // the build step needs no volume: it only reaches the server
        assert.equal(team.steps[2].volumes, undefined);
        assert.deepEqual(
            config(false).steps.map((s) => s.id),
            ["wheelhouse-fetch", "wheelhouse-serve", "build", "wheelhouse-collect"],
        );
        assert.ok(!WHEELHOUSE_VOLUME.path.startsWith("/workspace"), "never inside the uploaded context");
    });

    it("the build step passes the server's address, and the previous runtime when there is one", () => {
        for (const cacheFrom of [true, false]) {
            const step = config(true, cacheFrom).steps[2];
            assert.equal(step.args[1], wheelhouseBuildScript(cacheFrom));
            assert.equal(step.env !== undefined, cacheFrom);
            assert.equal(step.args.at(-1), ".");
        }
        assert.match(wheelhouseBuildScript(true), /--cache-from=\$CACHE_FROM/);
        assert.doesNotMatch(wheelhouseBuildScript(false), /CACHE_FROM/);
        assert.match(wheelhouseBuildScript(false), /--add-host=pip-wheelhouse\.fireworker\.invalid:\$ip/);
    });

    it("stores with --no-clobber (the writer cannot replace or delete), never when nothing was kept", () => {
        const store = wheelhouseStoreScript(URI);
        assert.match(store, /gcloud storage rsync --recursive --no-clobber \/fireworker-wheelhouse gs:\/\//);
        assert.match(store, /^if \[ -d \/fireworker-wheelhouse\/wheels \]/);
    });

    it("every script is shellcheck clean, the trigger's build.sh with a wheelhouse too", function () {
        requireTool(this, "shellcheck");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-wheelhouse-sh-"));
        const spec: BuildSpec = {
            kind: "runtime",
            builder: "cloudbuild",
            image: "us-central1-docker.pkg.dev/p/fireworker/runtime",
            tags: ["0123456789abcdef0123"],
            contextDigest: "0".repeat(64),
            context: { kind: "files", files: [] },
            dockerfile: "FROM scratch\n",
            buildArgs: { from: BASE },
            wheelhouse: "0123456789abcdef0123",
            cacheFrom: ["us-central1-docker.pkg.dev/p/fireworker/runtime"],
            push: true,
        };
        const scripts: Record<string, string> = {
            fetch: wheelhouseFetchScript(URI),
            serve: wheelhouseServeScript(BASE),
            collect: wheelhouseCollectScript(),
            store: wheelhouseStoreScript(URI),
            "build-cache": `set -- docker build .\n${wheelhouseBuildScript(true)}`,
            "build-plain": `set -- docker build .\n${wheelhouseBuildScript(false)}`,
            "add-host": `${WHEELHOUSE_ADD_HOST.join("\n")}\necho "\${wheelhouse[@]}"`,
            "trigger-build": buildScript(spec, ".fireworker/trigger/context.tar"),
        };
        try {
            for (const [name, text] of Object.entries(scripts)) {
                const file = path.join(dir, `${name}.sh`);
                fs.writeFileSync(file, text.startsWith("#!") ? text : `#!/usr/bin/env bash\n${text}\n`);
                const r = spawnSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
                assert.equal(r.status, 0, `${name}:\n${r.stdout}${r.stderr}`);
            }
            assert.match(scripts["trigger-build"], /fireworker-wheelhouse/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
