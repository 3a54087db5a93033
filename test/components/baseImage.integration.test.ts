// The base image pinned by digest on the real Pulumi engine (scripts/build-engine) with the local
// stack, on the test Docker engine and its loopback registry (scripts/test-env): the base, named by
// tag in a brought runtime Dockerfile's `ARG from=`, is resolved to its registry digest at every
// plan (components/baseImage.ts, scripts/resolve-base.ts, lib/build/resolveBase.ts through the
// command provider's `local:run`). An unchanged base changes nothing; the same tag pushed with new
// content changes the runtime's content tag and rebuilds the runtime, then the application; a base
// that does not exist stops the plan with one line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { docker, dockerOk, removeImages } from "../support/docker";
import { commitAll, git, writeFiles } from "../support/git";
import { ROOT } from "../support/plan";
import { requireDockerOrSkip, type TestEnv } from "../support/testEnv";
import { repoTempDir } from "../support/tmp";

/** The program's files a lab checks in (node_modules is linked). */
const PROGRAM = ["package.json", "tsconfig.json", "index.ts", "components", "lib", "scripts"];

/** The project file, without a config schema: the CLI would require a key declared without a default. */
const PROJECT =
    "name: fireworker-images\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nstackConfigDir: stacks\n";

interface Run {
    status: number | null;
    out: string;
}

interface BuildState {
    tags: string;
    from: string;
    base?: string;
}

describe("BaseImage on the real Pulumi engine (integration: local stack, test engine and registry)", function () {
    this.timeout(900_000);

    let t: TestEnv;
    let lab: string;
    let program: string;
    let state: string;
    const run = randomBytes(4).toString("hex");
    let base: string;
    const names = { runtime: `fw16-${run}-runtime`, application: `fw16-${run}-app` };

    const pulumi = (args: string[]): Run => {
        const r = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never", "--stack", "e2e"], {
            cwd: program,
            encoding: "utf8",
            env: {
                ...t.env,
                PULUMI_BACKEND_URL: `file://${state}`,
                PULUMI_CONFIG_PASSPHRASE: "",
                FW_DOCKER_BUILD_NETWORK: "host",
            },
            maxBuffer: 64 << 20,
            timeout: 600_000,
        });
        return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    };
    const ok = (args: string[]): string => {
        const r = pulumi(args);
        assert.equal(r.status, 0, `pulumi ${args.join(" ")} failed:\n${r.out.split("\n").slice(-40).join("\n")}`);
        return r.out;
    };
    /** Pushes the base under its tag, with `version` in /base-version: its registry digest. */
    const pushBase = (version: string): string => {
        const dockerfile = `FROM ${t.baseImage}\nRUN echo ${version} > /base-version\n`;
        const b = spawnSync("docker", ["build", "-q", "-t", base, "-"], { env: t.env, input: dockerfile });
        assert.equal(b.status, 0, String(b.stderr));
        dockerOk(t, ["push", "-q", base]);
        const digests = dockerOk(t, ["image", "inspect", "--format={{range .RepoDigests}}{{println .}}{{end}}", base]);
        const mine = digests.split("\n").find((d) => d.startsWith(`${base.split(":").slice(0, -1).join(":")}@`));
        assert.ok(mine, digests);
        return mine.split("@")[1];
    };
    /** The build commands' inputs Pulumi recorded. */
    const recorded = (): Record<"runtime" | "application", BuildState> => {
        const exported = JSON.parse(ok(["stack", "export"])) as {
            deployment: {
                resources: { type: string; urn: string; inputs?: { environment?: Record<string, string> } }[];
            };
        };
        const of = (parent: string): BuildState => {
            const r = exported.deployment.resources.find(
                (x) => x.type === "command:local:Command" && x.urn.endsWith(`$command:local:Command::${parent}-build`),
            );
            const env = r?.inputs?.environment ?? {};
            return { tags: env.FW_TAGS, from: JSON.parse(env.FW_BUILD_ARGS ?? "{}").from, base: env.FW_BASE };
        };
        return { runtime: of("runtime"), application: of("application") };
    };
    const writeStack = (runtime: Record<string, unknown>) => {
        const config = {
            "fireworker-images:mode": "local",
            "fireworker-images:registry": { localHost: t.registry },
            "fireworker-images:runtime": { name: names.runtime, dockerfile: "../runtime/Dockerfile", ...runtime },
            "fireworker-images:application": {
                name: names.application,
                context: "../payload",
                dockerfile: "../payload/Dockerfile",
            },
        };
        fs.writeFileSync(path.join(program, "stacks", "Pulumi.e2e.yaml"), stringify({ config }));
    };

    before(async function () {
        t = await requireDockerOrSkip(this);
        this.timeout(900_000);
        const cli = spawnSync("pulumi", ["version"], { env: t.env, encoding: "utf8" });
        if (cli.status !== 0) {
            if (process.env.FW_REQUIRE_DOCKER === "1") {
                throw new Error('no pulumi CLI on PATH (FW_REQUIRE_DOCKER=1): eval "$(scripts/test-env env)"');
            }
            process.stderr.write(
                'SKIPPED the real-engine test: no pulumi CLI on PATH (eval "$(scripts/test-env env)")\n',
            );
            this.skip();
        }
        base = `${t.registry}/fw16-${run}-base:bookworm`;
        lab = repoTempDir("base-e2e-");
        program = path.join(lab, "infra");
        state = path.join(lab, ".state");
        fs.mkdirSync(path.join(program, "stacks"), { recursive: true });
        fs.mkdirSync(state);
        for (const entry of PROGRAM) {
            fs.cpSync(path.join(ROOT, entry), path.join(program, entry), { recursive: true });
        }
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(program, "node_modules"));
        writeFiles(lab, {
            ".gitignore": ".state/\ninfra/node_modules\ninfra/.fireworker/\n",
            "infra/Pulumi.yaml": PROJECT,
            // the lab's own runtime Dockerfile: its ARG from default is the base, by tag
            "runtime/Dockerfile": `ARG from=${base}\nFROM \${from}\nCOPY requirements.txt /requirements.txt\n`,
            "runtime/requirements.txt": "# none\n",
            "payload/Dockerfile":
                'ARG from=x\nFROM ${from}\nCOPY hello.txt /app/hello.txt\nCMD ["cat", "/base-version"]\n',
            "payload/hello.txt": "hello\n",
        });
        writeStack({});
        git(lab, ["init", "-q", "-b", "main"]);
        commitAll(lab, "the lab", "2024-05-06T07:08:09Z");
        ok(["stack", "init"]);
    });

    after(() => {
        if (!t || !lab) return;
        for (const repo of [
            base.replace(/:[^:/]+$/, ""),
            ...Object.values(names).map((n) => `${t.registry}/fireworker/${n}`),
        ]) {
            removeImages(t, repo);
        }
        fs.rmSync(lab, { recursive: true, force: true });
    });

    let first: Record<"runtime" | "application", BuildState>;

    it("pulumi up builds the runtime FROM the digest its base's tag names, and the plan shows both", () => {
        const v1 = pushBase("v1");
        // not in the engine: resolving pulls it
        removeImages(t, base.replace(/:[^:/]+$/, ""));
        ok(["up", "--yes", "--skip-preview"]);
        first = recorded();
        assert.equal(first.runtime.base, base);
        assert.equal(first.runtime.from, `${base.replace(/:[^:/]+$/, "")}@${v1}`);
        const runtimeRef = ok(["stack", "output", "runtimeReference"]).trim();
        const app = ok(["stack", "output", "applicationTaggedReference"]).trim();
        assert.equal(first.application.from, runtimeRef);
        assert.equal(dockerOk(t, ["run", "--rm", app]), "v1");
    });

    it("an unchanged base changes nothing", () => {
        assert.ok(first, "the first up did not run");
        const out = ok(["preview", "--expect-no-changes"]);
        assert.match(out, /\b6 unchanged\b/);
    });

    it("the same tag pushed with new content: a visible change that rebuilds the runtime, then the application", () => {
        assert.ok(first, "the first up did not run");
        const v2 = pushBase("v2");
        const preview = pulumi(["preview", "--expect-no-changes", "--diff"]);
        assert.notEqual(preview.status, 0, "the preview saw no change");
        assert.ok(preview.out.includes(`${base.replace(/:[^:/]+$/, "")}@${v2}`), preview.out);
        ok(["up", "--yes", "--skip-preview"]);
        const second = recorded();
        assert.equal(second.runtime.base, base);
        assert.equal(second.runtime.from, `${base.replace(/:[^:/]+$/, "")}@${v2}`);
        assert.notEqual(second.runtime.tags, first.runtime.tags, "the runtime's content tag did not change");
        assert.notEqual(second.application.tags, first.application.tags, "the application was not rebuilt");
        const app = ok(["stack", "output", "applicationTaggedReference"]).trim();
        assert.equal(dockerOk(t, ["run", "--rm", app]), "v2");
    });

    it("a base that does not exist stops the plan with one line naming the setting and Docker's answer", () => {
        assert.ok(first, "the first up did not run");
        const missing = `${t.registry}/fw16-${run}-missing:1`;
        writeStack({ base: missing });
        try {
            const r = pulumi(["preview"]);
            assert.notEqual(r.status, 0);
            // the diagnostics' line (the progress display shows it too, after the resource's name)
            const line = r.out
                .split("\n")
                .map((l) => l.trim())
                .find((l) => l.startsWith("error: fireworker-images:runtime.base:"));
            assert.ok(line, r.out);
            assert.match(
                line,
                new RegExp(
                    `^error: fireworker-images:runtime\\.base: "${missing.replace(/[.]/g, "\\.")}" cannot be resolved to a digest by the local Docker engine: docker pull: .*not found.*; check that the image exists and that you may pull it, or pin it by digest$`,
                ),
            );
            assert.doesNotMatch(r.out, /\n\s+at /, "a stack trace");
            assert.equal(docker(t, ["image", "inspect", missing]).status, 1);
        } finally {
            writeStack({});
        }
    });
});
