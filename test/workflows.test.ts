// The GitHub workflows: every file passes actionlint (upstream github.com/rhysd/actionlint, built
// from Go modules by scripts/build-engine) and shellcheck on each `run:` script at style severity
// (stricter than actionlint's own shellcheck pass); permissions are least privilege; only
// same-repository pull requests reach credentials; and the plan job's script really plans and
// diffs every stack, fails on invalid settings and diffs a new stack against nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./support/plan";
import { requireTool } from "./support/tools";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface LintFinding {
    message: string;
    line: number;
    column: number;
    kind: string;
}

/** actionlint's findings on `text` as the workflow file `file` (exit 0: none, 1: some, else an error). */
function actionlint(env: NodeJS.ProcessEnv, text: string, file: string): LintFinding[] {
    const r = spawnSync("actionlint", ["-format", "{{json .}}", "-stdin-filename", file, "-"], {
        env,
        input: text,
        encoding: "utf8",
    });
    assert.ok(r.status === 0 || r.status === 1, `actionlint failed (exit ${r.status}): ${r.stderr}${r.error ?? ""}`);
    return JSON.parse(r.stdout) as LintFinding[];
}
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";

interface Step {
    name?: string;
    id?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    "working-directory"?: string;
    if?: string;
}
interface Job {
    name?: string;
    if?: string;
    permissions?: Record<string, string> | string;
    steps: Step[];
    strategy?: { matrix?: Record<string, unknown> };
    needs?: string | string[];
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    jobs: Record<string, Job>;
}

const files = fs
    .readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

function load(file: string): Workflow {
    return parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

function stepUsing(job: Job, action: string): Step {
    const step = job.steps.find((s) => s.uses?.split("@")[0] === action);
    assert.ok(step, `no step uses ${action}`);
    return step;
}

describe("GitHub workflows", function () {
    this.timeout(300000);

    it("has the preview and deploy workflows", () => {
        assert.ok(files.includes("preview.yml") && files.includes("deploy.yml"), files.join(", "));
    });

    for (const file of files) {
        describe(file, () => {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            const wf = load(file);

            it("passes actionlint", function () {
                const env = requireTool(this, "actionlint");
                const findings = actionlint(env, text, `.github/workflows/${file}`);
                assert.deepEqual(
                    findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`),
                    [],
                );
            });

            it("passes actionlint's own self-check (a broken workflow is reported)", function () {
                const env = requireTool(this, "actionlint");
                const broken = text.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    bogus-key: 1");
                const findings = actionlint(env, broken, `.github/workflows/${file}`);
                assert.ok(
                    findings.some((f) => f.kind === "syntax-check" && f.message.includes('"bogus-key"')),
                    JSON.stringify(findings),
                );
            });

            it("pins every action to a released version (or a commit) and never uses a key file", () => {
                for (const job of Object.values(wf.jobs)) {
                    for (const step of job.steps) {
                        if (step.uses)
                            assert.match(step.uses, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, step.uses);
                        assert.equal(step.with?.credentials_json, undefined);
                    }
                }
                assert.ok(!/credentials_json|GOOGLE_CREDENTIALS|service_account_key/.test(text));
            });

            it("grants the workflow only contents: read, and every job its own permissions", () => {
                assert.deepEqual(wf.permissions, { contents: "read" });
                for (const [id, job] of Object.entries(wf.jobs)) {
                    assert.equal(typeof job.permissions, "object", `${id} has no explicit permissions`);
                }
            });

            const runSteps = Object.entries(wf.jobs).flatMap(([id, job]) =>
                job.steps
                    .filter((s) => s.run)
                    .map((s) => ({ where: `${file} ${id} "${s.name ?? s.run!.split("\n")[0]}"`, run: s.run! })),
            );

            it("puts no expression inside a run script (inputs go through env)", () => {
                assert.ok(runSteps.length > 0);
                for (const { where, run } of runSteps) {
                    assert.ok(!run.includes("${{"), `${where}: an expression in a run script`);
                }
            });

            it("has run scripts that pass shellcheck at style severity", function () {
                requireTool(this, "shellcheck");
                for (const { where, run } of runSteps) {
                    // GitHub runs `bash --noprofile --norc -eo pipefail {0}`
                    const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
                        input: run,
                        encoding: "utf8",
                    });
                    assert.equal(r.status, 0, `${where}:\n${r.stdout}${r.stderr}${r.error ?? ""}`);
                }
            });
        });
    }

    describe("preview.yml", () => {
        const wf = load("preview.yml");

        it("runs on pull requests", () => {
            assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
        });

        it("plan: only contents: read, no secrets, no guard (runs for forks), artifact and summary", () => {
            const plan = wf.jobs.plan;
            assert.deepEqual(plan.permissions, { contents: "read" });
            assert.equal(plan.if, undefined);
            assert.ok(!JSON.stringify(plan).includes("secrets."), "the plan job reads a secret");
            const refs = plan.steps
                .filter((s) => s.uses?.startsWith("actions/checkout@"))
                .map((s) => [s.with?.ref ?? "(merge)", s.with?.path]);
            assert.deepEqual(refs, [
                ["${{ github.event.pull_request.base.sha }}", "base"],
                ["(merge)", "head"],
            ]);
            const upload = stepUsing(plan, "actions/upload-artifact");
            assert.equal(upload.if, "always()");
            assert.ok(plan.steps.some((s) => s.run?.includes("GITHUB_STEP_SUMMARY")));
        });

        it("preview: same-repository pull requests only, least privilege, Workload Identity Federation", () => {
            const job = wf.jobs.preview;
            assert.equal(job.if, FORK_GUARD);
            assert.equal(wf.jobs["preview-stacks"].if, FORK_GUARD);
            assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write", "id-token": "write" });
            assert.deepEqual(wf.jobs["preview-stacks"].permissions, { contents: "read" });
            // every job that touches a secret, a variable or an OIDC token is guarded
            for (const [id, j] of Object.entries(wf.jobs)) {
                const s = JSON.stringify(j);
                if (/secrets\.|vars\.|id-token/.test(s)) assert.equal(j.if, FORK_GUARD, `${id} is not guarded`);
            }
            assert.deepEqual(stepUsing(job, "google-github-actions/auth").with, {
                workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                service_account: "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}",
            });
        });

        it("preview: pulumi preview --diff of the team stack and the touched developer stacks, commented", () => {
            const job = wf.jobs.preview;
            assert.equal(job.strategy?.matrix?.stack, "${{ fromJSON(needs.preview-stacks.outputs.stacks) }}");
            const step = stepUsing(job, "pulumi/actions");
            assert.deepEqual(
                { ...step.with },
                {
                    command: "preview",
                    "work-dir": ".",
                    "stack-name": "${{ matrix.stack }}",
                    diff: true,
                    policyPacks: "policy",
                    "comment-on-pr": true,
                    "edit-pr-comment": true,
                    "always-include-summary": true,
                    upsert: "${{ matrix.stack != 'team' }}",
                },
            );
            assert.deepEqual(step.env, { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
            // one npm ci installs the policy pack too (policy/ is an npm workspace)
            assert.ok(job.steps.some((s) => s.run?.trim() === "npm ci --no-audit --no-fund"));
        });

        it("preview-stacks: the team stack and each added or changed developer stack file", () => {
            const script = wf.jobs["preview-stacks"].steps.find((s) => s.id === "stacks")!.run!;
            const repo = fs.mkdtempSync(path.join(os.tmpdir(), "fw-stacks-"));
            const git = (...args: string[]) => {
                const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], {
                    cwd: repo,
                    encoding: "utf8",
                });
                assert.equal(r.status, 0, r.stderr);
                return r.stdout.trim();
            };
            try {
                fs.mkdirSync(path.join(repo, "stacks"));
                for (const s of ["team", "dev-kept", "dev-changed", "dev-gone"])
                    fs.writeFileSync(path.join(repo, "stacks", `Pulumi.${s}.yaml`), `config: {}\n# ${s}\n`);
                git("init", "-q", "-b", "main");
                git("add", ".");
                git("commit", "-q", "-m", "base");
                const base = git("rev-parse", "HEAD");
                fs.appendFileSync(path.join(repo, "stacks", "Pulumi.dev-changed.yaml"), "# changed\n");
                fs.appendFileSync(path.join(repo, "stacks", "Pulumi.team.yaml"), "# changed\n");
                fs.writeFileSync(path.join(repo, "stacks", "Pulumi.dev-new-one.yaml"), "config: {}\n");
                fs.writeFileSync(path.join(repo, "stacks", "Pulumi.dev-Bad_Name.yaml"), "config: {}\n");
                fs.rmSync(path.join(repo, "stacks", "Pulumi.dev-gone.yaml"));
                git("add", "-A");
                git("commit", "-q", "-m", "pull request");
                const output = path.join(repo, "github-output");
                const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
                    cwd: repo,
                    encoding: "utf8",
                    env: { ...process.env, BASE_SHA: base, GITHUB_OUTPUT: output },
                });
                assert.equal(r.status, 0, r.stderr);
                assert.equal(fs.readFileSync(output, "utf8"), 'stacks=["team","dev-changed","dev-new-one"]\n');
                assert.match(r.stdout, /::warning::skipping stacks\/Pulumi\.dev-Bad_Name\.yaml/);
            } finally {
                fs.rmSync(repo, { recursive: true, force: true });
            }
        });

        it("plan: the script plans every stack on base and head, diffs, and fails on invalid settings", () => {
            const step = wf.jobs.plan.steps.find((s) => s.run?.includes("plan-diff"))!;
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fw-prplan-"));
            try {
                // base and head: copies of this work tree (tracked and new files), sharing node_modules
                const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
                    cwd: ROOT,
                    encoding: "utf8",
                });
                assert.equal(listed.status, 0, listed.stderr);
                const tracked = listed.stdout
                    .split("\0")
                    .filter((f) => f && !f.startsWith("policy/") && fs.existsSync(path.join(ROOT, f)));
                for (const side of ["base", "head"]) {
                    for (const f of tracked) {
                        fs.mkdirSync(path.join(tmp, side, path.dirname(f)), { recursive: true });
                        fs.copyFileSync(path.join(ROOT, f), path.join(tmp, side, f));
                    }
                    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp, side, "node_modules"), "dir");
                }
                // the pull request: a one-line payload change, a new developer stack, a broken stack
                fs.appendFileSync(path.join(tmp, "head", "example", "main.py"), "# one more line\n");
                fs.copyFileSync(
                    path.join(tmp, "head", "stacks", "Pulumi.dev-example.yaml"),
                    path.join(tmp, "head", "stacks", "Pulumi.dev-new.yaml"),
                );
                fs.writeFileSync(
                    path.join(tmp, "head", "stacks", "Pulumi.broken.yaml"),
                    "config:\n  fireworker-images:mode: local\n  fireworker-images:runtime:\n    base: python:3.11-alpine\n",
                );
                const summary = path.join(tmp, "summary.md");
                // a job summary holds 1 MiB: a lower limit here, so that the summaries must go alone
                const limit = 6000;
                const env: NodeJS.ProcessEnv = {
                    ...process.env,
                    ...step.env,
                    BASE_SHA: "b".repeat(40),
                    HEAD_SHA: "c".repeat(40),
                    OUT: path.join(tmp, "out"),
                    GITHUB_STEP_SUMMARY: summary,
                    SUMMARY_LIMIT: String(limit),
                };
                delete env.FW_GIT_COMMIT;
                delete env.FW_GIT_BRANCH;
                const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
                    cwd: tmp,
                    encoding: "utf8",
                    env,
                });
                assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
                assert.match(
                    r.stdout,
                    /::error title=Invalid stack settings::stacks\/Pulumi\.broken\.yaml: plan exit status 2/,
                );
                // the whole report (the artifact): each stack's summary, then its full diff folded
                const text = fs.readFileSync(path.join(tmp, "out", "plan-diff.md"), "utf8");
                assert.ok(text.startsWith("# Offline plan diff\n"), text);
                assert.ok(
                    text.includes(
                        "## Stack `broken`: invalid on this pull request (plan exit status 2)\n\n~~~~text\nfireworker-images:runtime.base:",
                    ),
                    text,
                );
                assert.ok(text.includes("## Stack `dev-new` (new stack): "), text);
                assert.ok(
                    text.includes(
                        "## Stack `local`: application rebuilds\n\n**Will run, on the local Docker engine:** only the application build FROM the unchanged runtime (1 layer; ",
                    ),
                    text,
                );
                assert.ok(text.includes("\n  - 1 file changed: `main.py` (+16 B)\n"), text);
                assert.ok(text.includes("<details>\n<summary>Full plan diff (resources: 1 changed, 4 unchanged"), text);
                assert.ok(text.includes("- `command:local:Command application-build (application)`"), text);
                assert.ok(text.includes("## Stack `dev-example`: "), text);
                assert.ok(text.includes("## Stack `team`: "), text);
                // stacks in sorted order, and the artifact has the plans and the diff
                const order = ["broken", "dev-example", "dev-new", "local", "team"].map((s) =>
                    text.indexOf(`## Stack \`${s}\``),
                );
                assert.deepEqual(
                    [...order].sort((a, b) => a - b),
                    order,
                );
                assert.deepEqual(
                    fs
                        .readdirSync(path.join(tmp, "out", "head"))
                        .filter((f) => f.endsWith(".json"))
                        .sort(),
                    ["broken.json", "dev-example.json", "dev-new.json", "local.json", "team.json"],
                );
                // the job summary: too long for the limit, so the summaries without the folded diffs
                const summaries = text.replace(/^<details>\n[\s\S]*?^<\/details>\n/gm, "");
                assert.ok(text.length > limit && summaries.length < limit, `${text.length} ${summaries.length}`);
                assert.equal(
                    fs.readFileSync(summary, "utf8"),
                    `${summaries}\n\n**Too long for a job summary**: the full diffs are in plan-diff.md in the \`plan-diff\` artifact.\n`,
                );
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });
    });

    describe("deploy.yml", () => {
        const wf = load("deploy.yml");

        it("runs pulumi up of the team stack on pushes to main, one at a time, never cancelled", () => {
            assert.deepEqual(wf.on, { push: { branches: ["main"] } });
            assert.deepEqual(wf.concurrency, { group: "deploy-team", "cancel-in-progress": false });
            const job = wf.jobs.up;
            assert.deepEqual(job.permissions, { contents: "read", "id-token": "write" });
            const step = stepUsing(job, "pulumi/actions");
            assert.equal(step.with?.command, "up");
            assert.equal(step.with?.["stack-name"], "team");
            assert.equal(step.with?.policyPacks, "policy");
            assert.deepEqual(step.env, { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
            assert.deepEqual(stepUsing(job, "google-github-actions/auth").with, {
                workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                service_account: "${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}",
            });
        });
    });
});
