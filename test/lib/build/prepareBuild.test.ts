import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PIP_RELAY_HOST } from "../../../lib/pip/pipRelay";
import { buildOf, patchSetting, planOf, ROOT } from "../../support/plan";

/** A folder outside the project, referenced relative to the project root as settings are. */
function folder(files: Record<string, string>): { dir: string; rel: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-brought-"));
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return { dir, rel: path.relative(ROOT, dir).split(path.sep).join("/") };
}

describe("brought Dockerfiles", () => {
    it("a runtime Dockerfile uploads only what it COPYs, never the rest of its folder", async () => {
        const { rel } = folder({
            Dockerfile:
                "ARG from=python:3.11-slim-bookworm\nFROM ${from}\nCOPY requirements.txt /\nCOPY scripts /opt/scripts\nRUN pip install --no-cache-dir -r /requirements.txt\n",
            "requirements.txt": "numpy==1.26.4\n",
            "scripts/setup.sh": "echo\n",
            "huge-dataset.bin": "not uploaded",
        });
        const plan = await planOf("team", patchSetting("team", "runtime", { dockerfile: `${rel}/Dockerfile` }));
        const runtime = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(runtime.FW_CONTEXT), {
            kind: "files",
            files: [
                { src: `${rel}/requirements.txt`, dest: "requirements.txt" },
                { src: `${rel}/scripts`, dest: "scripts" },
            ],
        });
        assert.match(runtime.FW_DOCKERFILE, /^COPY scripts \/opt\/scripts$/m);
    });

    it("a runtime Dockerfile that breaks a rule stops the plan with file:line", async () => {
        const { rel } = folder({
            Dockerfile: "FROM python:3.11-slim-bookworm\nRUN apt-get install -y swig\nRUN pip install numpy\n",
        });
        await assert.rejects(
            planOf("team", patchSetting("team", "runtime", { dockerfile: `${rel}/Dockerfile` })),
            (err: Error) => {
                assert.equal(
                    err.message,
                    [
                        `${rel}/Dockerfile:2: apt-install-without-update: apt-get install without apt-get update in the same RUN, so the package lists can come stale from the cache`,
                        `${rel}/Dockerfile:3: pip-cache: pip install without --no-cache-dir keeps the downloads in the layer`,
                    ].join("\n"),
                );
                return true;
            },
        );
    });

    it("an application Dockerfile with an Alpine default that our build overrides by digest passes", async () => {
        const { rel } = folder({ "Dockerfile.app": "ARG from=python:3.11-alpine\nFROM ${from}\nCOPY . /app\n" });
        const plan = await planOf("team", patchSetting("team", "application", { dockerfile: `${rel}/Dockerfile.app` }));
        const app = buildOf(plan, "application");
        assert.match(app.FW_DOCKERFILE, /^ARG from=python:3\.11-alpine$/m);
        assert.match(JSON.parse(app.FW_BUILD_ARGS).from, /@sha256:[0-9a-f]{64}$/);
    });

    it("a COPY source that does not exist is one line", async () => {
        const { rel } = folder({ Dockerfile: "FROM python:3.11-slim-bookworm\nCOPY missing.txt /\n" });
        await assert.rejects(planOf("team", patchSetting("team", "runtime", { dockerfile: `${rel}/Dockerfile` })), {
            message: `${rel}/Dockerfile: COPY source "missing.txt" does not exist in ${rel}`,
        });
    });
});

describe("the rendered runtime's pip step", () => {
    it("reaches for the building machine's pip relay in the local stack only: Cloud Build never has one", async () => {
        const local = buildOf(await planOf("local"), "runtime").FW_DOCKERFILE;
        assert.match(
            local,
            new RegExp(`^RUN if getent hosts ${PIP_RELAY_HOST.replace(/\./g, "\\.")} >/dev/null; then`, "m"),
        );
        for (const stack of ["team", "dev-example"]) {
            const plan = await planOf(
                stack,
                stack === "dev-example" ? patchSetting(stack, "runtime", { experimental: true }) : {},
            );
            const cloud = buildOf(plan, "runtime").FW_DOCKERFILE;
            assert.match(cloud, /^RUN pip install --no-cache-dir -r \/tmp\/requirements\.txt$/m, stack);
            assert.doesNotMatch(cloud, /pip-relay/, stack);
        }
    });
});
