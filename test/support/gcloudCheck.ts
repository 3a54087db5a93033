/**
 * The real gcloud's check of every gcloud command line the program runs (`npm run check-gcloud`,
 * and a test of it). For each example stack it plans the stack, then runs the program's own
 * code paths against the recording fakes of Google Cloud (test/support/fakeCloud.ts for builds,
 * test/support/bake.ts for the bake and its script, in every scenario the tests use), and
 * collects each gcloud argv exactly. It adds the commands the README and docs/pull-requests.md
 * tell people to run, and every rendered Cloud Build config (image builds, the bake, the trigger
 * builds). The preload (scripts/fireworker-preload.sh) runs no gcloud: it logs in with
 * `docker login` and the metadata server's token. test/support/realGcloud.ts then puts each
 * through the real gcloud.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { bakeSpecFromEnvironment } from "../../lib/bake/bakeSpec";
import { runBake } from "../../lib/bake/runBake";
import { buildSpecFromEnvironment } from "../../lib/build/buildSpec";
import { runBuild } from "../../lib/build/runBuild";
import { SILENT } from "../../lib/commands/exec";
import type { Plan } from "../../lib/plan/offlinePlan";
import { bakeEnvOf, configOf, fakeArgv, fakeGcloudBin, stepEnvironment } from "./bake";
import { cloudCalls, fakeCloud } from "./fakeCloud";
import { planOf, ROOT } from "./plan";
import type { GcloudItem } from "./realGcloud";

const TEAM_PROJECT = "example-lab-123456";

// ------------------------------------------------------------------------------ collect ----

/** Every gcloud command line and Cloud Build config of one example stack, from its plan. */
export async function collectStack(stack: string, plan: Plan, work: string): Promise<GcloudItem[]> {
    const items: GcloudItem[] = [];
    const add = (origin: string, argvs: string[][]) => items.push(...argvs.map((argv) => ({ origin, argv })));

    // image builds: two builders at once (the election cancels one) and one after (adopts); a
    // fake build lasts long enough for the younger builder to see the older one, even on a busy machine
    const builds = plan.resources.filter(
        (x) =>
            x.type === "command:local:Command" &&
            (x.inputs.environment as Record<string, string>).FW_BUILDER === "cloudbuild",
    );
    await Promise.all(
        builds.map(async (r) => {
            const spec = buildSpecFromEnvironment(r.inputs.environment as Record<string, string>);
            const cloud = fakeCloud();
            const run = () =>
                runBuild(spec, {
                    projectRoot: ROOT,
                    env: { ...cloud.env, FAKE_BUILD_MS: "15000", FW_IAM_SETTLE_SECONDS: "0" },
                    log: SILENT,
                    pollSeconds: 1,
                });
            await Promise.all([run(), run()]);
            await run();
            add(`${stack}: ${r.name} (runBuild)`, cloudCalls(cloud.state));
            items.push(configItem(`${stack}: ${r.name} (Cloud Build config)`, spec.cloudBuildConfig ?? "", work));
        }),
    );

    if (plan.resources.some((r) => r.type === "command:local:Command" && r.name.endsWith("-bake"))) {
        items.push(...(await collectBake(stack, plan, work)));
    }

    // the triggers' inline builds, as Cloud Build configs
    for (const t of plan.resources.filter((r) => r.type === "gcp:cloudbuild/trigger:Trigger")) {
        const b = t.inputs.build as {
            steps: { id?: string; name: string; entrypoint?: string; args?: string[]; envs?: string[] }[];
            [k: string]: unknown;
        };
        const { steps, ...rest } = b;
        const config = {
            ...rest,
            steps: steps.map(({ envs, ...s }) => ({ ...s, ...(envs ? { env: envs } : {}) })),
        };
        items.push(configItem(`${stack}: ${t.name} (trigger build)`, stringify(config), work));
    }
    return items;
}

async function collectBake(stack: string, plan: Plan, work: string): Promise<GcloudItem[]> {
    const items: GcloudItem[] = [];
    const bin = fakeGcloudBin();
    const env = bakeEnvOf(plan);
    // pulumi up's runner: a bake that ends well, and one that fails (its log is shown)
    for (const status of ["SUCCESS", "FAILURE"]) {
        const state = fs.mkdtempSync(path.join(work, "bake-runner-"));
        await runBake(bakeSpecFromEnvironment(env), {
            projectRoot: work,
            env: { PATH: `${bin}:${process.env.PATH}`, FAKE_STATE: state, FAKE_BUILD_STATUS: status },
            pollSeconds: 0,
            log: SILENT,
        }).catch(() => undefined);
        items.push(...fakeArgv(state).map((argv) => ({ origin: `${stack}: bake runner (${status})`, argv })));
    }
    const config = configOf(plan);
    items.push(configItem(`${stack}: bake (Cloud Build config)`, env.FW_BAKE_CONFIG, work));

    // the bake script on Cloud Build, in each scenario of its tests
    const image = String(plan.outputs.fireworkerImage ?? "");
    const hash = image.split("-").pop();
    const family = [
        `${image.replace(/[0-9a-f]{16}$/, "0000000000000001")},,,fireworker-images`,
        `${image.replace(/[0-9a-f]{16}$/, "0000000000000002")},,,fireworker-images`,
        `${image.replace(/[0-9a-f]{16}$/, "0000000000000003")},DEPRECATED,2000-01-01T00:00:00.000-00:00,fireworker-images`,
        `${image.replace(/[0-9a-f]{16}$/, "0000000000000006")},DEPRECATED,,fireworker-images`,
        "by-hand-1,,,",
    ].join("\n");
    const stale = `fwb-0000000000000000-deadbeef,us-central1-b,2020-01-01T00:00:00.000-07:00,${image}`;
    const scenarios: [string, Record<string, string>, Record<string, string>][] = [
        [
            "baked, family pruned, a stale builder swept",
            { FAKE_PENDING: "1" },
            { "family.txt": `${family}\n`, "builders.txt": `${stale}\n` },
        ],
        ["the guest failed", { FAKE_GUEST: "failed" }, {}],
        ["the serial console's signal", { FAKE_GUEST: "serial-ok" }, {}],
        [
            "a concurrent older bake",
            {
                FAKE_OLDER_BUILDER: `fwb-${hash}-00000000`,
                FAKE_CONCURRENT_BUILDER: `fwb-${hash}-00000000`,
                FAKE_CONCURRENT_IMAGE: image,
            },
            {},
        ],
        ["the image exists", {}, { [`image-${image}`]: "" }],
    ];
    for (const [name, fake, files] of scenarios) {
        const state = fs.mkdtempSync(path.join(work, "bake-script-"));
        for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(state, f), text);
        // not spawnSync: another stack's fake builds run meanwhile in this process, and their
        // election needs its timers on time
        await runScript(path.join(ROOT, "scripts", "fireworker-bake.sh"), {
            env: {
                PATH: `${bin}:${process.env.PATH}`,
                HOME: state,
                TMPDIR: state,
                ...stepEnvironment(config),
                FW_POLL_INTERVAL: "0.05",
                FW_RETRY_DELAY: "0",
                FAKE_STATE: state,
                ...fake,
            },
        });
        items.push(...fakeArgv(state).map((argv) => ({ origin: `${stack}: fireworker-bake.sh (${name})`, argv })));
    }
    return items;
}

/** Runs a bash script to its end (whatever its status: a scenario may fail on purpose), 60 s at most. */
function runScript(script: string, opts: { env: NodeJS.ProcessEnv }): Promise<void> {
    return new Promise((resolve) => {
        const child = spawn("bash", [script], { env: opts.env, stdio: "ignore" });
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("close", () => {
            clearTimeout(timer);
            resolve();
        });
    });
}

/** A rendered Cloud Build config, checked by `gcloud builds submit --no-source --config`. */
function configItem(origin: string, yaml: string, work: string): GcloudItem {
    const file = path.join(work, `config-${createHash("sha256").update(yaml).digest("hex").slice(0, 16)}.yaml`);
    fs.writeFileSync(file, yaml);
    return {
        origin,
        kind: "config",
        argv: [
            "builds",
            "submit",
            "--no-source",
            `--config=${file}`,
            `--project=${TEAM_PROJECT}`,
            "--region=us-central1",
        ],
    };
}

/** Example values of the shell variables the documents use. */
const DOC_VALUES: Record<string, string> = {
    PROJECT_ID: TEAM_PROJECT,
    PROJECT_NUMBER: "123456789012",
    ORG_ID: "123456789012",
    REPO: "example-lab/fireworker-images",
    REPO_ID: "123456789",
    POOL: `projects/123456789012/locations/global/workloadIdentityPools/github`,
    PREVIEW: `fw-preview@${TEAM_PROJECT}.iam.gserviceaccount.com`,
    DEPLOY: `fw-deploy@${TEAM_PROJECT}.iam.gserviceaccount.com`,
    role: "roles/logging.viewer",
};

/**
 * The gcloud commands of a Markdown document's `sh` blocks, as argv: continuation lines joined,
 * `$VAR`/`${VAR}` replaced by example values, `$(gcloud ...)` taken as a command of its own; and
 * the files its heredocs (`cat > FILE <<END`) write, with variables expanded.
 */
export function documentCommands(markdown: string): { argvs: string[][]; files: Record<string, string> } {
    const argvs: string[][] = [];
    const files: Record<string, string> = {};
    const heredoc = /cat > (\S+) <<'?(\w+)'?\n([\s\S]*?)\n\2\n/g;
    for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const h of block[1].matchAll(heredoc)) {
            files[h[1]] = `${expand(h[3])}\n`;
        }
        const text = block[1].replace(heredoc, "").replace(/\\\n\s*/g, " ");
        for (const raw of text.split("\n")) {
            let line = raw
                .replace(/^\s*(?:for .*; do\s*)?/, "")
                .replace(/\s#.*$/, "")
                .trim();
            for (const inner of substitutions(line)) {
                argvs.push(words(inner).slice(1));
                line = line.replace(`$(${inner})`, "x");
            }
            const m = /^(?:[A-Z_]+=)?(gcloud\s.*)$/.exec(line);
            if (m) argvs.push(words(m[1].replace(/;\s*done$/, "")).slice(1));
        }
    }
    return { argvs, files };
}

/** The `$(gcloud ...)` command substitutions of a line, parentheses balanced. */
function substitutions(line: string): string[] {
    const out: string[] = [];
    for (let i = line.indexOf("$(gcloud "); i >= 0; i = line.indexOf("$(gcloud ", i + 1)) {
        let depth = 0;
        for (let j = i + 1; j < line.length; j++) {
            if (line[j] === "(") depth++;
            if (line[j] === ")" && --depth === 0) {
                out.push(line.slice(i + 2, j));
                break;
            }
        }
    }
    return out;
}

/** Shell words of one line: quotes removed, variables replaced by example values. */
function words(line: string): string[] {
    const out: string[] = [];
    const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)|(\s+)/g;
    let cur: string | undefined;
    for (const m of line.matchAll(re)) {
        if (m[4] !== undefined) {
            if (cur !== undefined) out.push(cur);
            cur = undefined;
            continue;
        }
        const part = m[1] ?? expand(m[2] ?? m[3] ?? "");
        cur = (cur ?? "") + part;
    }
    if (cur !== undefined) out.push(cur);
    return out;
}

function expand(text: string): string {
    return text.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_m, v: string) => DOC_VALUES[v] ?? `x${v.toLowerCase()}`);
}

/** Every item of every example stack and document. */
export async function collectAll(work: string): Promise<GcloudItem[]> {
    const items: GcloudItem[] = [];
    // every example stack of stacks/, so a new one is checked too
    const stacks = fs
        .readdirSync(path.join(ROOT, "stacks"))
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
    // planned one after another (the plan's mocks are the process's), then collected at once:
    // most of a stack's time is its fake builds' waits
    const plans: Plan[] = [];
    for (const stack of stacks) plans.push(await planOf(stack));
    for (const stackItems of await Promise.all(stacks.map((stack, i) => collectStack(stack, plans[i], work)))) {
        items.push(...stackItems);
    }
    for (const doc of ["README.md", path.join("docs", "pull-requests.md")]) {
        const { argvs, files } = documentCommands(fs.readFileSync(path.join(ROOT, doc), "utf8"));
        const cwd = fs.mkdtempSync(path.join(work, "doc-"));
        for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(cwd, f), text);
        items.push(...argvs.map((argv) => ({ origin: doc, argv, cwd })));
    }
    return items;
}
