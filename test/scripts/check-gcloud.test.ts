// npm run check-gcloud (scripts/check-gcloud.ts, test/support/gcloudCheck.ts): every gcloud
// command line and Cloud Build config of every example stack through the real gcloud's parser.
// Without gcloud: pending with one loud line; FW_REQUIRE_TOOLS=1 (CI) makes that a failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MISSING_LINE } from "../../scripts/check-gcloud";
import { collectAll, documentCommands } from "../support/gcloudCheck";
import { ROOT } from "../support/plan";
import {
    changesConfig,
    checkAll,
    checkBatch,
    checkOne,
    cloudSdk,
    type GcloudItem,
    type GcloudVerdict,
    realGcloud,
    verdictLine,
} from "../support/realGcloud";
import { requireTool } from "../support/tools";

describe("npm run check-gcloud without gcloud", function () {
    this.timeout(60_000);

    it("is required in CI: .ci/run exports FW_REQUIRE_TOOLS=1 before npm test, which runs it", () => {
        const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
        const exported = ci.search(/^export .*\bFW_REQUIRE_TOOLS=1\b/m);
        assert.ok(exported >= 0, "FW_REQUIRE_TOOLS=1 is not exported");
        assert.ok(ci.indexOf("\nnpm test", exported) > exported, "npm test does not come after it");
        // npm test's mocha glob takes this file
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.match(pkg.scripts.test, /mocha( --[a-z]+( \d+)?)* "test\/\*\*\/\*\.test\.ts"/);
    });

    it("is pending with one loud line, and fails with FW_REQUIRE_TOOLS=1", () => {
        // a PATH with sh and node only: no gcloud
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fw-no-gcloud-"));
        try {
            fs.symlinkSync(process.execPath, path.join(bin, "node"));
            fs.symlinkSync("/bin/sh", path.join(bin, "sh"));
            const run = (extra: Record<string, string>) =>
                spawnSync(
                    process.execPath,
                    ["-r", "ts-node/register/transpile-only", path.join("scripts", "check-gcloud.ts")],
                    { cwd: ROOT, env: { PATH: bin, HOME: bin, ...extra }, encoding: "utf8" },
                );
            const pending = run({});
            assert.equal(pending.status, 0, pending.stderr);
            assert.equal(pending.stderr, `${MISSING_LINE}\n`);
            assert.equal(pending.stdout, "");
            const required = run({ FW_REQUIRE_TOOLS: "1" });
            assert.equal(required.status, 1);
            assert.equal(required.stderr, `${MISSING_LINE}\n`);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });
});

describe("npm run check-gcloud: the real gcloud parses every command line and config", function () {
    this.timeout(600_000);
    let gcloud: string;
    let work: string;

    before(function () {
        requireTool(this, "gcloud");
        const found = realGcloud();
        if (!found) throw new Error("gcloud answers, but realGcloud() did not find it");
        gcloud = found.path;
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-check-gcloud-test-"));
    });
    after(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** A valid command line, the same with an unknown flag, with a bad value; an unknown config field; and valid ones. */
    function samples(): Record<string, GcloudItem> {
        const create = ["compute", "instances", "create", "fwb-x", "--zone=us-central1-b"];
        const project = "--project=example-lab-123456";
        const config = (name: string, text: string) => {
            fs.writeFileSync(path.join(work, name), text);
            return ["builds", "submit", "--no-source", `--config=${path.join(work, name)}`, project];
        };
        const step = "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: [build]\n";
        const item = (argv: string[]) => ({ origin: "test", argv });
        return {
            // --metadata is a flag calliope allows once per command line: a CLI run twice in
            // one process would refuse the second (the batch gives each its own CLI)
            metadata: item([...create, "--metadata=a=1", project]),
            metadataAgain: item([...create, "--metadata=a=1", "--description=again", project]),
            flag: item([...create, "--bogus-flag", project]),
            value: item([...create, "--instance-termination-action=EXPLODE", project]),
            field: item(config("bad.yaml", `${step}    envs: [A=1]\n`)),
            goodConfig: item(config("good.yaml", `${step}    env: [A=1]\n`)),
            good: item(["builds", "list", project, "--ongoing"]),
        };
    }

    it("refuses, with gcloud's own message, an unknown flag, a bad value and an unknown config field", async () => {
        const sdk = cloudSdk(gcloud);
        assert.ok(sdk, `${gcloud} is no Cloud SDK install: no lib/gcloud.py beside its bin/`);
        const s = samples();
        const [flag, value, field, good, goodConfig] = await checkBatch(sdk, [
            s.flag,
            s.value,
            s.field,
            s.good,
            s.goodConfig,
        ]);
        assert.equal(flag.ok, false);
        assert.match(flag.message, /unrecognized arguments: --bogus-flag/);
        assert.equal(value.ok, false);
        assert.match(value.message, /instance-termination-action/i);
        assert.equal(field.ok, false);
        assert.match(field.message, /\.steps\[0\]\.envs: unused/);
        assert.equal(good.ok, true, good.message);
        assert.equal(goodConfig.ok, true, goodConfig.message);
    });

    it("gives each command line, in one batch, the verdict gcloud gives it in a process of its own", async () => {
        const sdk = cloudSdk(gcloud);
        assert.ok(sdk);
        const items = Object.values(samples());
        const batch = await checkBatch(sdk, items);
        const alone: GcloudVerdict[] = [];
        for (const i of items) alone.push(await checkOne(gcloud, i));
        const verdict = (v: GcloudVerdict) => `${v.ok ? "ok" : "refused"} ${v.message}`;
        assert.deepEqual(batch.map(verdict), alone.map(verdict));
        assert.deepEqual(
            batch.map((v) => v.ok),
            [true, true, false, false, false, true, true],
        );
    });

    it("runs a command that changes gcloud's configuration in a process of its own: the batch's configuration stays empty", async () => {
        assert.ok(changesConfig(["config", "set", "account", "a@example.com"]));
        assert.ok(changesConfig(["--project", "p", "beta", "auth", "login"]));
        assert.ok(!changesConfig(["builds", "list", "--project=p"]));
        const item = (argv: string[]) => ({ origin: "test", argv });
        const [account, list] = await checkAll(gcloud, [
            item(["config", "set", "account", "someone@example.com"]),
            item(["builds", "list", "--project=example-lab-123456", "--ongoing"]),
        ]).then((vs) => [vs.find((v) => v.argv[0] === "config"), vs.find((v) => v.argv[0] === "builds")]);
        // it succeeds (so it is no "valid, but no account" verdict), in a configuration thrown away
        assert.equal(account?.ok, false);
        assert.equal(list?.ok, true, list?.message);
    });

    it("reads the documents' commands: continuation lines, variables, $(...) and heredoc files", () => {
        const { argvs, files } = documentCommands(
            [
                "```sh",
                "PROJECT_NUMBER=$(gcloud projects describe \"$PROJECT_ID\" --format='value(projectNumber)')",
                "cat > c.yaml <<END",
                "title: t in $PROJECT_ID",
                "END",
                'gcloud projects add-iam-policy-binding "$PROJECT_ID" \\',
                '    --member="serviceAccount:$PROJECT_NUMBER@cloudbuild.gserviceaccount.com" --condition-from-file=c.yaml',
                "```",
            ].join("\n"),
        );
        assert.deepEqual(argvs, [
            ["projects", "describe", "example-lab-123456", "--format=value(projectNumber)"],
            [
                "projects",
                "add-iam-policy-binding",
                "example-lab-123456",
                "--member=serviceAccount:123456789012@cloudbuild.gserviceaccount.com",
                "--condition-from-file=c.yaml",
            ],
        ]);
        assert.deepEqual(files, { "c.yaml": "title: t in example-lab-123456\n" });
    });

    it("every example stack's gcloud command lines and Cloud Build configs, and the documents' commands, are accepted", async () => {
        const items = await collectAll(work);
        const verdicts: GcloudVerdict[] = await checkAll(gcloud, items);
        const failed = verdicts.filter((v) => !v.ok);
        assert.deepEqual(failed.map(verdictLine), []);
        // what was collected: every kind of call the program makes, so an accepted run means something
        const seen = new Set(
            verdicts.map((v) =>
                v.argv
                    .filter((a) => !a.startsWith("-"))
                    .slice(0, 3)
                    .join(" "),
            ),
        );
        for (const call of [
            "builds submit",
            "builds list",
            "builds describe fake-0001",
            "builds log fake-0001",
            "builds log build-0001",
            "artifacts docker images",
            "artifacts docker tags",
            "compute instances create",
            "compute instances delete",
            "compute instances stop",
            "compute instances list",
            "compute instances get-guest-attributes",
            "compute instances get-serial-port-output",
            "compute images create",
            "compute images describe",
            "compute images describe-from-family",
            "compute images list",
            "compute images deprecate",
            "compute images delete",
            "resource-manager org-policies enable-enforce",
            "projects remove-iam-policy-binding example-lab-123456",
        ]) {
            assert.ok(
                [...seen].some((s) => s.startsWith(call)),
                `no ${call} collected`,
            );
        }
        assert.ok(
            verdicts.some((v) => v.argv[0] === "builds" && v.argv[1] === "cancel"),
            "no election collected",
        );
        assert.equal(
            verdicts.filter((v) => v.kind === "config").length,
            8,
            "configs: team builds, bake, 4 triggers; dev build",
        );
    });
});
