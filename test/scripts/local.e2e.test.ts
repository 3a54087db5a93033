// End to end: what the README tells a newcomer, on the real Pulumi engine (the `pulumi` CLI of the
// test environment, or any on PATH) and the test Docker engine, in a copy of the project with its
// state in the copy's .pulumi-state/. Pending, loudly, without either; FW_REQUIRE_TOOLS=1 (CI)
// makes that a failure. `npm run e2e` runs these alone.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { docker, dockerOk } from "../support/docker";
import { FIRST_COMMIT_DATE, LocalStack, processesIn, type Run, tail } from "../support/localStack";
import { requireDockerOrSkip, type TestEnv } from "../support/testEnv";
import { requireTool } from "../support/tools";

describe("npm run local on the real Pulumi engine (end to end)", function () {
    this.timeout(900_000);

    let t: TestEnv;
    let stack: LocalStack;
    const notes: string[] = [];
    const id = `e2e-${randomBytes(4).toString("hex")}`;

    /** Runs `npm run local` (with `args` for pulumi up), which must succeed. */
    function local(what: string, ...args: string[]): Run {
        const r = stack.local(...args);
        assert.equal(r.status, 0, `npm run local (${what}) failed:\n${tail(r)}`);
        notes.push(`npm run local, ${what}: ${r.seconds.toFixed(1)} s`);
        return r;
    }

    /** What `docker run` of the stack's runCommand output prints. */
    function runCommand(): string {
        const command = stack.outputs().runCommand;
        assert.match(
            command,
            new RegExp(
                `^docker run --rm --user "\\$\\(id -u\\):\\$\\(id -g\\)" ${stack.images.application}:[0-9a-f]{20}$`,
            ),
        );
        const r = stack.run("bash", ["-c", command]);
        assert.equal(r.status, 0, `${command}:\n${tail(r)}`);
        return r.stdout;
    }

    before(async function () {
        t = await requireDockerOrSkip(this);
        const engineEnv = requireTool(this, "pulumi", t.env);
        stack = new LocalStack(t, engineEnv, id);
        const version = stack.pulumiOk(["version"]).trim();
        process.stdout.write(
            `      pulumi version: ${version} (CLI: ${stack.run("bash", ["-c", "command -v pulumi"]).stdout.trim()})\n`,
        );
    });

    after(() => {
        stack?.dispose();
        if (notes.length > 0) {
            process.stdout.write(`      ${notes.join("\n      ")}\n`);
        }
    });

    it("npm run local brings the local stack up: both images built, state in the copy's .pulumi-state", () => {
        const r = local("first run");
        assert.deepEqual(stack.lastChanges(), { create: 6 }, tail(r));
        assert.ok(
            existsSync(path.join(stack.dir, ".pulumi-state", ".pulumi", "stacks", "fireworker-images", "local.json")),
            "no state in the copy's file backend",
        );
        for (const repo of Object.values(stack.images)) {
            assert.match(dockerOk(t, ["image", "ls", "--format", "{{.Tag}}", repo]), /latest/, repo);
        }
        // pip in the runtime build installed the example's requirements
        const runtime = stack.outputs().runtimeReference;
        assert.equal(
            dockerOk(t, [
                "run",
                "--rm",
                "--network",
                "none",
                runtime,
                "python",
                "-c",
                "import numpy; print(numpy.__version__)",
            ]),
            "1.26.4",
        );
    });

    it("docker run of the runCommand output runs the payload and prints its git facts", () => {
        const commit = stack.run("git", ["log", "-1", "--format=%H", "--", "example"]).stdout.trim();
        const lines = runCommand().trim().split("\n");
        assert.match(lines[0], /^fireworker example payload on Python 3\.11\.\d+$/);
        assert.deepEqual(lines.slice(1), [
            `IMAGE_GIT_HASH=${commit}`,
            "IMAGE_GIT_BRANCH=main",
            `IMAGE_TIMESTAMP=${FIRST_COMMIT_DATE.replace(/[-:]/g, "").replace("T", ".").replace("Z", "")}`,
        ]);
    });

    it("a second npm run local changes nothing, and pulumi preview --expect-no-changes passes", () => {
        const ids = stack.ids();
        local("nothing changed");
        assert.deepEqual(stack.lastChanges(), { same: 6 });
        assert.deepEqual(stack.ids(), ids);
        const preview = stack.pulumi(["preview", "--expect-no-changes"]);
        assert.equal(preview.status, 0, tail(preview));
    });

    it("pulumi stack output shows the references, which name the images in Docker", () => {
        const out = stack.outputs();
        assert.deepEqual(Object.keys(out).sort(), [
            "applicationReference",
            "applicationTaggedReference",
            "runCommand",
            "runtimeReference",
        ]);
        assert.match(out.runtimeReference, /^sha256:[0-9a-f]{64}$/);
        assert.match(out.applicationReference, /^sha256:[0-9a-f]{64}$/);
        assert.equal(
            dockerOk(t, ["image", "inspect", "--format", "{{.Id}}", out.applicationTaggedReference]),
            out.applicationReference,
        );
        // the application is built FROM the runtime: its first layers are the runtime's
        const layers = (ref: string) =>
            JSON.parse(dockerOk(t, ["image", "inspect", "--format", "{{json .RootFS.Layers}}", ref])) as string[];
        const runtimeLayers = layers(out.runtimeReference);
        assert.deepEqual(layers(out.applicationReference).slice(0, runtimeLayers.length), runtimeLayers);
        const shown = stack.pulumiOk(["stack", "output"]);
        for (const value of Object.values(out)) {
            assert.ok(shown.includes(value), `pulumi stack output does not show ${value}`);
        }
    });

    it("pulumi preview --policy-pack policy runs the policy pack on the real engine", () => {
        const r = stack.pulumi(["preview", "--policy-pack", "policy"]);
        assert.equal(r.status, 0, tail(r));
        assert.match(r.stdout, /Policies:/);
        assert.match(r.stdout, /fireworker-images@v0\.1\.0/);
        assert.doesNotMatch(r.stdout, /application-labels/);
        // the control: without labels, the advisory policy speaks up (and does not fail the preview)
        const file = path.join(stack.dir, "stacks", "Pulumi.local.yaml");
        const settings = parse(readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
        delete settings.config["fireworker-images:application"].labels;
        const unlabelled = path.join(stack.dir, "unlabelled.yaml");
        writeFileSync(unlabelled, stringify(settings));
        const control = stack.pulumi(["preview", "--policy-pack", "policy", "--config-file", unlabelled]);
        assert.equal(control.status, 0, tail(control));
        assert.match(control.stdout, /application-labels/);
        assert.match(control.stdout, /application image has no email label/);
    });

    it("a one-line payload change replaces the application build only", () => {
        const before = stack.outputs();
        const ids = stack.ids();
        appendFileSync(path.join(stack.dir, "example", "main.py"), "# one more line\n");
        const commit = stack.commit("a one-line payload change", "2024-05-07T00:00:00Z");
        local("one-line payload change");
        assert.deepEqual(stack.lastChanges(), { replace: 1, same: 5 });
        const after = stack.outputs();
        assert.equal(after.runtimeReference, before.runtimeReference);
        assert.notEqual(after.applicationReference, before.applicationReference);
        const now = stack.ids();
        assert.equal(now["runtime-build"], ids["runtime-build"]);
        assert.notEqual(now["application-build"], ids["application-build"]);
        assert.match(runCommand(), new RegExp(`^IMAGE_GIT_HASH=${commit}$`, "m"));
    });

    it("a requirements change rebuilds the runtime and then the application", () => {
        const before = stack.outputs();
        appendFileSync(path.join(stack.dir, "example", "requirements.txt"), "six==1.16.0\n");
        stack.commit("a requirements change", "2024-05-08T00:00:00Z");
        local("requirements change");
        assert.deepEqual(stack.lastChanges(), { replace: 2, same: 4 });
        const after = stack.outputs();
        assert.notEqual(after.runtimeReference, before.runtimeReference);
        assert.notEqual(after.applicationReference, before.applicationReference);
        assert.equal(
            dockerOk(t, [
                "run",
                "--rm",
                "--network",
                "none",
                after.applicationReference,
                "python",
                "-c",
                "import six; print(six.__version__)",
            ]),
            "1.16.0",
        );
    });

    it("a pulumi up killed during a build, then run again, recovers", async () => {
        appendFileSync(path.join(stack.dir, "example", "main.py"), "# and another\n");
        const commit = stack.commit("a change whose build is killed", "2024-05-09T00:00:00Z");
        const run = stack.startLocal();
        const deadline = Date.now() + 300_000;
        while (!/Sending build context/.test(run.output()) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.match(run.output(), /Sending build context/, "the build did not start");
        process.kill(-run.pgid, "SIGKILL");
        await run.done;
        // the killed engine's plugins notice it is gone and end, with the build they ran
        const gone = Date.now() + 30_000;
        while (processesIn(stack.dir).length > 0 && Date.now() < gone) {
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.deepEqual(processesIn(stack.dir), [], "processes of the killed run outlived it");
        const r = local("after a killed run");
        assert.match(
            `${r.stdout}${r.stderr}`,
            /npm run local: the last run \(pid \d+\) was killed; unlocking the stack and clearing the build it interrupted/,
        );
        assert.match(runCommand(), new RegExp(`^IMAGE_GIT_HASH=${commit}$`, "m"));
        // and the run after it is clean: nothing to do, no interrupted operation left in the state
        const next = local("after the recovery");
        assert.deepEqual(stack.lastChanges(), { same: 6 });
        assert.doesNotMatch(`${next.stdout}${next.stderr}`, /pending operations/);
    });

    it("pulumi destroy completes and leaves the images, and says so", () => {
        const out = stack.outputs();
        const runtimeTagged = `${stack.images.runtime}:${
            JSON.parse(stack.pulumiOk(["stack", "export"]))
                .deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::runtime-build"))
                .inputs.environment.FW_TAGS.split(",")[0]
        }`;
        const r = stack.pulumi(["destroy", "--yes"]);
        assert.equal(r.status, 0, tail(r));
        const said = `${r.stdout}${r.stderr}`;
        for (const kept of [out.applicationTaggedReference, runtimeTagged]) {
            assert.ok(
                said.includes(`build-image: kept ${kept}: destroy and replacements leave images in Docker`),
                `${kept}\n${tail(r)}`,
            );
            assert.equal(docker(t, ["image", "inspect", kept]).status, 0, `${kept} is gone`);
        }
        assert.deepEqual(stack.ids(), {});
    });
});
