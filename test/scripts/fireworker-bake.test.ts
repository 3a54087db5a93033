// scripts/fireworker-bake.sh run for real against a fake `gcloud` that logs its argv and
// simulates success, a failed guest, a guest that never answers, a failing image creation and a
// cancelled build. Every failure path must delete the builder VM.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type BakeConfig, unescapeDollars } from "../../lib/bake/bakeConfig";
import { bakeImageName } from "../../lib/bake/imageName";
import { configOf, fakeGcloudBin, RUNTIME_REPO, sa, stepEnvironment } from "../support/bake";
import { patchSetting, planOf, ROOT } from "../support/plan";

const SCRIPT = path.join(ROOT, "scripts", "fireworker-bake.sh");

interface BakeRun {
    status: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    calls: string[];
    state: string;
}

describe("scripts/fireworker-bake.sh with a fake gcloud", () => {
    let config: BakeConfig;
    let imageName: string;
    let recipe: string;
    let fakeBin: string;
    const dirs: string[] = [];

    before(async () => {
        const plan = await planOf("team");
        config = configOf(plan);
        imageName = String(plan.outputs.fireworkerImage);
        recipe = stepEnvironment(config).FW_RECIPE;
        fakeBin = fakeGcloudBin();
        dirs.push(fakeBin);
    });
    after(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    function newState(files: Record<string, string> = {}): string {
        const state = mkdtempSync(path.join(os.tmpdir(), "fw-bake-state-"));
        dirs.push(state);
        for (const [f, text] of Object.entries(files)) writeFileSync(path.join(state, f), text);
        return state;
    }

    function environment(
        state: string,
        fake: Record<string, string>,
        substitutions: Record<string, string> = {},
    ): NodeJS.ProcessEnv {
        return {
            PATH: `${fakeBin}:${process.env.PATH}`,
            HOME: state,
            TMPDIR: state,
            ...stepEnvironment(config, substitutions),
            FW_POLL_INTERVAL: "0.05",
            FW_RETRY_DELAY: "0",
            FAKE_STATE: state,
            ...fake,
        };
    }

    function finish(
        state: string,
        status: number | null,
        signal: NodeJS.Signals | null,
        stdout: string,
        stderr: string,
    ): BakeRun {
        const log = path.join(state, "calls.log");
        const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
        return { status, signal, stdout, stderr, calls, state };
    }

    /** Runs the script file, or (`embedded`) the text of the rendered config as Cloud Build would. */
    function bake(
        fake: Record<string, string> = {},
        opts: { files?: Record<string, string>; substitutions?: Record<string, string>; embedded?: boolean } = {},
    ): BakeRun {
        const state = newState(opts.files);
        const args = opts.embedded ? ["-c", unescapeDollars(config.steps[0].args[1]), "fireworker-bake"] : [SCRIPT];
        const r = spawnSync("bash", args, {
            env: environment(state, fake, opts.substitutions),
            encoding: "utf8",
            timeout: 60000,
        });
        return finish(state, r.status, r.signal, r.stdout, r.stderr);
    }

    const index = (run: BakeRun, prefix: string) => run.calls.findIndex((c) => c.startsWith(prefix));
    const builderOf = (run: BakeRun) => {
        const create = run.calls.find((c) => c.startsWith("compute instances create "));
        assert.ok(create, `no builder was created:\n${run.calls.join("\n")}\n${run.stderr}`);
        return create.split(" ")[3];
    };
    const assertBuilderDeleted = (run: BakeRun) => {
        const builder = builderOf(run);
        assert.ok(
            run.calls.some((c) => c.startsWith(`compute instances delete ${builder} `) && c.includes("--quiet")),
            `builder ${builder} was not deleted:\n${run.calls.join("\n")}\n${run.stderr}`,
        );
        assert.ok(!existsSync(path.join(run.state, `instance-${builder}`)), "the builder VM is left");
    };

    it("success: creates the builder, waits, stops, images, deletes, then prunes the family beyond keep", () => {
        const family = [
            // CSV: name, deprecated.state, deprecated.deleted, labels.managed-by (newest first, after the new image)
            "fireworker-0000000000000001,,,fireworker-images", // rank 2: kept
            "fireworker-0000000000000002,,,fireworker-images", // rank 3: deprecated
            "fireworker-0000000000000003,DEPRECATED,2000-01-01T00:00:00.000-00:00,fireworker-images", // rank 4: past its delete date
            "fireworker-0000000000000004,DEPRECATED,2999-01-01T00:00:00.000-00:00,fireworker-images", // rank 5: waits
            "fireworker-by-hand-1,,,", // rank 6: made by hand, only deprecated
            "fireworker-0000000000000006,DEPRECATED,,fireworker-images", // rank 7: beyond keep+3
        ].join("\n");
        const run = bake({}, { files: { "family.txt": `${family}\n` } });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim().split("\n").pop(), `FIREWORKER-BAKE: baked ${imageName}`);
        const builder = builderOf(run);
        assert.match(builder, /^fwb-[0-9a-f]{16}-0f3c2a1b$/);
        const create = readFileSync(path.join(run.state, "create-args"), "utf8").split("\n");
        for (const arg of [
            "--max-run-duration=2400s",
            "--instance-termination-action=DELETE",
            `--service-account=${sa("fw-worker")}`,
            "--shielded-secure-boot",
            "--shielded-vtpm",
            "--shielded-integrity-monitoring",
            "--image=debian-12-bookworm-v20250610",
            "--image-project=debian-cloud",
            "--boot-disk-size=20GB",
            "--zone=us-central1-b",
            "--metadata=block-project-ssh-keys=TRUE,enable-guest-attributes=TRUE,fw-registry-host=us-central1-docker.pkg.dev",
        ]) {
            assert.ok(create.includes(arg), `instances create lacks ${arg}: ${create.join(" ")}`);
        }
        assert.ok(!create.includes("--no-address"));
        assert.ok(
            create.some(
                (a) =>
                    a.startsWith("--labels=") &&
                    a.includes(`fireworker-image=${imageName}`) &&
                    a.includes("fireworker-role=builder"),
            ),
        );
        const stop = index(run, `compute instances stop ${builder} `);
        const image = index(run, `compute images create ${imageName} `);
        const del = index(run, `compute instances delete ${builder} `);
        const deprecate = index(run, "compute images deprecate ");
        assert.ok(
            index(run, "compute instances create ") < stop && stop < image && image < del && del < deprecate,
            run.calls.join("\n"),
        );
        assert.equal(
            run.calls.filter((c) => c.startsWith("compute instances delete ")).length,
            1,
            "deleted once (the trap finds it gone)",
        );
        const imageCall = run.calls[image];
        assert.ok(imageCall.includes(`--source-disk=${builder} --source-disk-zone=us-central1-b --family=fireworker`));
        const labels = /--labels=(\S+)/.exec(imageCall)![1].split(",");
        for (const l of labels) {
            const [k, v] = l.split("=");
            assert.match(k, /^[a-z][a-z0-9_-]{0,62}$/);
            assert.match(v, /^[a-z0-9_-]{0,63}$/, `label ${l}`);
        }
        const digest = String(config.substitutions._RUNTIME_REF).split("@sha256:")[1];
        assert.ok(labels.includes(`runtime-digest=sha256-${digest.slice(0, 56)}`));
        assert.ok(labels.includes("source-image=debian-12-bookworm-v20250610"));
        assert.ok(
            imageCall.includes(`${config.substitutions._RUNTIME_TAG}@sha256:${digest}`),
            "description names the full runtime reference",
        );
        // pruning: keep 2, deprecate beyond, delete managed images beyond keep+3 or past their date
        const pruned = run.calls
            .filter((c) => c.startsWith("compute images deprecate ") || c.startsWith("compute images delete "))
            .map((c) => c.split(" ").slice(0, 4).join(" "));
        assert.deepEqual(pruned, [
            "compute images deprecate fireworker-0000000000000002",
            "compute images delete fireworker-0000000000000003",
            "compute images deprecate fireworker-by-hand-1",
            "compute images delete fireworker-0000000000000006",
        ]);
        assert.ok(
            run.calls.some((c) =>
                c.startsWith(
                    "compute images deprecate fireworker-0000000000000002 --state=DEPRECATED --replacement=" +
                        imageName,
                ),
            ),
        );
        assert.ok(!run.calls.some((c) => c.startsWith("compute images list ") && !c.includes("--show-deprecated")));
    });

    it("the embedded config text computes the name Pulumi exports", () => {
        const run = bake({}, { embedded: true });
        assert.equal(run.status, 0, run.stderr);
        assert.ok(run.calls.some((c) => c.startsWith(`compute images create ${imageName} `)));
    });

    it("exits 0 at once when the image exists: baking twice makes one image", () => {
        const run = bake({}, { files: { [`image-${imageName}`]: "" } });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
        assert.equal(index(run, "compute instances create "), -1);
        assert.equal(index(run, "compute images create "), -1);
    });

    it("guest reports failed: prints the serial console tail, fails, deletes the builder", () => {
        const run = bake({ FAKE_GUEST: "failed" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /preload failed on fwb-\S+: pull failed: runtime@sha256:abc/);
        assert.match(run.stderr, /FIREWORKER-PRELOAD: failed: pull failed/);
        assert.ok(index(run, "compute instances get-serial-port-output ") >= 0);
        assert.equal(index(run, "compute images create "), -1);
        assertBuilderDeleted(run);
    });

    it("guest never answers: times out, prints the serial console tail, deletes the builder", () => {
        const run = bake({ FAKE_GUEST: "none", FW_WAIT_TIMEOUT: "1" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /timed out after 1s waiting for fwb-\S+ to report fireworker\/status/);
        assert.ok(index(run, "compute instances get-serial-port-output ") >= 0);
        assert.equal(index(run, "compute images create "), -1);
        assertBuilderDeleted(run);
    });

    it("image creation fails: fails, deletes the builder, prunes nothing", () => {
        const run = bake({ FAKE_IMAGE_CREATE: "fail" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /could not create image/);
        assert.ok(index(run, "compute images create ") > index(run, "compute instances stop "));
        assert.equal(index(run, "compute images deprecate "), -1);
        assertBuilderDeleted(run);
    });

    it("cancelled build (SIGTERM while waiting): deletes the builder on the way out", async () => {
        const state = newState();
        const child = spawn("bash", [SCRIPT], {
            env: environment(state, { FAKE_GUEST: "none", FW_WAIT_TIMEOUT: "600" }),
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
            child.on("exit", (code, signal) => resolve([code, signal])),
        );
        const log = path.join(state, "calls.log");
        for (
            let i = 0;
            i < 200 && !(existsSync(log) && readFileSync(log, "utf8").includes("get-guest-attributes"));
            i++
        ) {
            await new Promise((r) => setTimeout(r, 50));
        }
        child.kill("SIGTERM");
        const [code, signal] = await exited;
        const run = finish(state, code, signal, stdout, stderr);
        assert.equal(run.status, 143, run.stderr);
        assertBuilderDeleted(run);
    });

    it("a runtime pushed outside Pulumi (the trigger's substitutions) bakes another image", () => {
        const pushedDigest = `sha256:${"e".repeat(64)}`;
        const run = bake(
            {},
            {
                substitutions: {
                    _RUNTIME_REF: `${RUNTIME_REPO}@${pushedDigest}`,
                    _RUNTIME_TAG: `${RUNTIME_REPO}:eeeeeeeeeeeeeeeeeeee`,
                },
            },
        );
        assert.equal(run.status, 0, run.stderr);
        const expected = bakeImageName("fireworker", recipe, `${RUNTIME_REPO}:eeeeeeeeeeeeeeeeeeee@${pushedDigest}`);
        assert.notEqual(expected, imageName);
        assert.ok(
            run.calls.some((c) => c.startsWith(`compute images create ${expected} `)),
            run.calls.join("\n"),
        );
    });

    it("refuses a tag and a digest of different repositories before creating anything", () => {
        const run = bake({}, { substitutions: { _RUNTIME_TAG: `${RUNTIME_REPO}-other:t` } });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /different repositories/);
        assert.equal(index(run, "compute instances create "), -1);
    });

    it("deletes builders left by killed bakes, and waits for a live bake of the same image instead of baking twice", () => {
        const old =
            "fwb-0000000000000000-deadbeef,us-central1-b,2020-01-01T00:00:00.000-07:00,fireworker-0000000000000000";
        const now = new Date().toISOString();
        const live = `fwb-${imageName.split("-").pop()}-cafecafe,us-central1-b,${now},${imageName}`;
        const run = bake(
            { FAKE_CONCURRENT_IMAGE: imageName, FAKE_CONCURRENT_BUILDER: `fwb-${imageName.split("-").pop()}-cafecafe` },
            { files: { "builders.txt": `${old}\n${live}\n` } },
        );
        assert.equal(run.status, 0, run.stderr);
        assert.ok(
            run.calls.some((c) =>
                c.startsWith("compute instances delete fwb-0000000000000000-deadbeef --zone=us-central1-b"),
            ),
        );
        assert.ok(
            !run.calls.some((c) => c.startsWith(`compute instances delete fwb-${imageName.split("-").pop()}`)),
            "the live builder is not ours to delete",
        );
        assert.equal(index(run, "compute instances create "), -1);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
    });

    it("an image another bake is still making (PENDING) is waited for until READY, never taken as done", () => {
        const run = bake({ FAKE_PENDING: "2" }, { files: { [`image-${imageName}`]: "" } });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
        assert.equal(run.calls.filter((c) => c.startsWith(`compute images describe ${imageName} `)).length, 3);
        assert.match(run.stderr, /is PENDING; waiting until it is READY/);
        // and its own new image: READY before the builder goes and the bake ends
        const own = bake({ FAKE_PENDING: "2" });
        assert.equal(own.status, 0, own.stderr);
        const ready = own.calls
            .map((c, i) => [c, i] as const)
            .filter(([c]) => c.startsWith(`compute images describe ${imageName} `));
        assert.ok(
            ready.length >= 3 && ready[ready.length - 1][1] < index(own, "compute instances delete "),
            own.calls.join("\n"),
        );
    });

    it("bakes started at once: the younger builder deletes itself and waits for the older bake's image", () => {
        const older = `fwb-${imageName.split("-").pop()}-00000000`;
        const run = bake({
            FAKE_OLDER_BUILDER: older,
            FAKE_CONCURRENT_BUILDER: older,
            FAKE_CONCURRENT_IMAGE: imageName,
        });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trim(), `FIREWORKER-BAKE: exists ${imageName}`);
        assert.match(run.stderr, new RegExp(`builder ${older} of another bake started ${imageName} first`));
        assertBuilderDeleted(run);
        assert.equal(index(run, "compute images create "), -1, "one image: only the older bake makes it");
        assert.equal(index(run, "compute instances get-guest-attributes "), -1);
    });

    it("the serial console's line is the signal when the powered-off guest's attributes are gone", () => {
        const run = bake({ FAKE_GUEST: "serial-ok" });
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stderr, /preload finished on fwb-\S+ \(serial console\)/);
        assert.ok(index(run, `compute images create ${imageName} `) > 0);
    });

    it("retries permission errors while grants propagate, for FW_IAM_SETTLE_SECONDS only", () => {
        const run = bake({ FAKE_DENY_CREATE: "2", FW_IAM_SETTLE_SECONDS: "60" });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.calls.filter((c) => c.startsWith("compute instances create ")).length, 3);
        assert.match(run.stderr, /permission denied on gcloud compute instances create .*retrying/);
        const denied = bake({ FAKE_DENY_CREATE: "2", FW_IAM_SETTLE_SECONDS: "0" });
        assert.notEqual(denied.status, 0);
        assert.match(denied.stderr, /could not create builder/);
        assert.equal(denied.calls.filter((c) => c.startsWith("compute instances create ")).length, 1);
    });

    it("checks the runtime against the registry: the re-bake ignores a forged or untagged message, Pulumi's bake fails", () => {
        const forged = `sha256:${"f".repeat(64)}`;
        const other = { _RUNTIME_REF: `${RUNTIME_REPO}@${forged}` };
        // the registry says the tag names the digest Pulumi built, not the one in the message
        const registered = { FAKE_TAG_DIGEST: String(config.substitutions._RUNTIME_REF).split("@")[1] };
        const rebake = bake({ ...registered, FW_TRIGGER_ACTION: "INSERT" }, { substitutions: other });
        assert.equal(rebake.status, 0, rebake.stderr);
        assert.equal(rebake.stdout.trim(), `FIREWORKER-BAKE: ignored ${config.substitutions._RUNTIME_TAG}`);
        assert.match(rebake.stderr, /not baking: the registry says \S+ is sha256:[0-9a-f]{64}, not sha256:f{64}/);
        assert.equal(index(rebake, "compute instances create "), -1);
        const pulumi = bake(registered, { substitutions: other });
        assert.notEqual(pulumi.status, 0);
        assert.match(pulumi.stderr, /FAILED: the registry says/);
        // a tag that is not a content tag (a moving tag) is never baked from the topic
        const moving = bake(
            { FW_TRIGGER_ACTION: "INSERT" },
            { substitutions: { _RUNTIME_TAG: `${RUNTIME_REPO}:latest` } },
        );
        assert.equal(moving.status, 0, moving.stderr);
        assert.match(moving.stderr, /not baking: \S+:latest is not a content tag/);
        assert.ok(
            rebake.calls.some((c) =>
                c.startsWith(`artifacts docker images describe ${config.substitutions._RUNTIME_TAG} `),
            ),
        );
    });

    it("internalIpOnly and a subnetwork reach the builder", async () => {
        const plan = await planOf(
            "team",
            patchSetting("team", "fireworker", { internalIpOnly: true, subnetwork: "builders" }),
        );
        const saved = config;
        config = configOf(plan);
        try {
            const run = bake();
            assert.equal(run.status, 0, run.stderr);
            const create = readFileSync(path.join(run.state, "create-args"), "utf8").split("\n");
            assert.ok(create.includes("--no-address"));
            assert.ok(create.includes("--subnet=builders"));
        } finally {
            config = saved;
        }
    });
});
