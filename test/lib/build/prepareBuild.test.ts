// Preparing builds (lib/build/prepareBuild.ts) through the offline plan: brought Dockerfiles as
// a lab's own scripts build them, rendered ones with build args, ENV, steps and labels, the
// requirements' includes, the program's folder left out, and the payload's git diff.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GIT_DIFF_FILE } from "../../../lib/build/prepareBuild";
import { PIP_RELAY_HOST } from "../../../lib/pip/pipRelay";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { placeholderBase } from "../../../lib/plan/planMocks";
import { commitAll, git } from "../../support/git";
import { buildOf, patchSetting, planOf, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

/** A folder inside the repository, referenced relative to the project root as settings are. */
function folder(files: Record<string, string>): { dir: string; rel: string } {
    const dir = repoTempDir("brought-");
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return { dir, rel: path.relative(ROOT, dir).split(path.sep).join("/") };
}

const runtime = (settings: Record<string, unknown>) => ({ "fireworker-images:runtime": JSON.stringify(settings) });
const application = (settings: Record<string, unknown>) => ({
    "fireworker-images:application": JSON.stringify(settings),
});
const args = (plan: Plan, c: "runtime" | "application") => JSON.parse(buildOf(plan, c).FW_BUILD_ARGS);
/** What a base by tag resolves to in a team plan: its placeholder digest reference. */
const resolved = (tag: string) => placeholderBase(tag, "registry").reference;
const labels = (plan: Plan) => JSON.parse(buildOf(plan, "application").FW_LABELS ?? "{}");
const lines = async (p: Promise<unknown>) =>
    p.then(
        () => [],
        (err: Error) => err.message.split("\n"),
    );

describe("brought Dockerfiles", function () {
    this.timeout(60000);

    it("a runtime Dockerfile uploads only what it COPYs, never the rest of its folder", async () => {
        const { rel } = folder({
            Dockerfile:
                "ARG from=python:3.11-slim-bookworm\nFROM ${from}\nCOPY requirements.txt /\nCOPY scripts /opt/scripts\nRUN pip install --no-cache-dir -r /requirements.txt\n",
            "requirements.txt": "numpy==1.26.4\n",
            "scripts/setup.sh": "echo\n",
            "huge-dataset.bin": "not uploaded",
        });
        const plan = await planOf("team", runtime({ dockerfile: `${rel}/Dockerfile` }));
        const build = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(build.FW_CONTEXT), {
            kind: "files",
            files: [
                { src: `${rel}/requirements.txt`, dest: "requirements.txt" },
                { src: `${rel}/scripts`, dest: "scripts" },
            ],
        });
        assert.match(build.FW_DOCKERFILE, /^COPY scripts \/opt\/scripts$/m);
    });

    it("a runtime Dockerfile is built from the context the lab's script uses (the repository root)", async () => {
        const { rel } = folder({
            "cloud/docker/runtime/Dockerfile":
                "ARG from=python:3.11.9-slim-bookworm\nFROM ${from}\nCOPY requirements.txt /\nRUN pip install --no-cache-dir -r /requirements.txt\n",
            "requirements.txt": "numpy==1.26.4\n",
        });
        const plan = await planOf(
            "team",
            runtime({ dockerfile: `${rel}/cloud/docker/runtime/Dockerfile`, context: rel }),
        );
        const build = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(build.FW_CONTEXT).files, [
            { src: `${rel}/requirements.txt`, dest: "requirements.txt" },
        ]);
        // runtime.base unset: the Dockerfile's own default, a tag, is resolved to its digest at plan
        // time and passed as from; the plan shows the tag beside it
        assert.deepEqual(args(plan, "runtime"), { from: resolved("python:3.11.9-slim-bookworm") });
        assert.equal(buildOf(plan, "runtime").FW_BASE, "python:3.11.9-slim-bookworm");
        // a digest default is used as it is: nothing is passed, nothing resolved
        const digest = `python:3.11.9-slim-bookworm@sha256:${"d".repeat(64)}`;
        fs.writeFileSync(
            path.join(ROOT, rel, "cloud/docker/runtime/Dockerfile"),
            `ARG from=${digest}\nFROM \${from}\nCOPY requirements.txt /\nRUN pip install --no-cache-dir -r /requirements.txt\n`,
        );
        const pinned = await planOf(
            "team",
            runtime({ dockerfile: `${rel}/cloud/docker/runtime/Dockerfile`, context: rel }),
        );
        assert.deepEqual(args(pinned, "runtime"), {});
        assert.equal(buildOf(pinned, "runtime").FW_BASE, undefined);
        assert.ok(!pinned.resources.some((r) => r.type === "fireworker-images:images:BaseImage"));
    });

    it("runtime.base overrides the Dockerfile's ARG from default, which it must declare", async () => {
        const { rel } = folder({
            Dockerfile: "ARG from=python:3.11.9-slim-bookworm\nFROM ${from}\n",
            "Dockerfile.fixed": "FROM python:3.11.9-slim-bookworm\n",
        });
        const plan = await planOf(
            "team",
            runtime({ dockerfile: `${rel}/Dockerfile`, base: "python:3.12-slim-bookworm" }),
        );
        assert.deepEqual(args(plan, "runtime"), { from: resolved("python:3.12-slim-bookworm") });
        assert.deepEqual(
            await lines(
                planOf("team", runtime({ dockerfile: `${rel}/Dockerfile.fixed`, base: "python:3.12-slim-bookworm" })),
            ),
            [
                `fireworker-images:runtime.base: "python:3.12-slim-bookworm" is set, but ${rel}/Dockerfile.fixed declares no ARG from to take it; start it with ARG from=<image> and FROM \${from}, or leave runtime.base unset`,
            ],
        );
    });

    it("runtime.baseUpdates: pinned takes a base by digest only, from the settings or the Dockerfile", async () => {
        const { rel } = folder({ Dockerfile: "ARG from=python:3.11.9-slim-bookworm\nFROM ${from}\n" });
        const digest = `python:3.11-slim-bookworm@sha256:${"e".repeat(64)}`;
        // rendered: the default base is a tag
        assert.deepEqual(await lines(planOf("team", runtime({ baseUpdates: "pinned" }))), [
            `fireworker-images:runtime.base: "python:3.11-slim-bookworm" is a tag, but runtime.baseUpdates is pinned; pin the base by digest (python:3.11-slim-bookworm@sha256:<64 hex>, the digest pulumi preview shows for the tag), or set runtime.baseUpdates: track`,
        ]);
        // brought: its ARG from default is a tag
        assert.deepEqual(
            await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile`, baseUpdates: "pinned" }))),
            [
                `fireworker-images:runtime.dockerfile: "${rel}/Dockerfile" has ARG from=python:3.11.9-slim-bookworm, a tag, but runtime.baseUpdates is pinned; pin the base by digest in runtime.base or in that ARG (e.g. python:3.11.9-slim-bookworm@sha256:<64 hex>), or set runtime.baseUpdates: track`,
            ],
        );
        // a digest is used as it is: never resolved, no BaseImage, no FW_BASE
        for (const settings of [
            { base: digest, baseUpdates: "pinned" },
            { dockerfile: `${rel}/Dockerfile`, base: digest, baseUpdates: "pinned" },
            { base: digest },
        ]) {
            const plan = await planOf("team", runtime(settings));
            assert.equal(args(plan, "runtime").from, digest);
            assert.equal(buildOf(plan, "runtime").FW_BASE, undefined);
            assert.ok(!plan.resources.some((r) => r.type === "fireworker-images:images:BaseImage"));
            assert.ok(!(plan.placeholders ?? []).some((p) => p.meaning.includes("resolved at pulumi up")));
        }
    });

    it("build args reach the Dockerfile that declares them; one it does not declare is refused", async () => {
        const { rel } = folder({
            Dockerfile:
                "ARG from=python:3.11.9-slim-bookworm\nFROM ${from}\nARG COMPILE_BLAS=0\nRUN echo $COMPILE_BLAS\n",
        });
        const plan = await planOf(
            "team",
            runtime({ dockerfile: `${rel}/Dockerfile`, buildArgs: { COMPILE_BLAS: "1" } }),
        );
        assert.deepEqual(args(plan, "runtime"), { COMPILE_BLAS: "1", from: resolved("python:3.11.9-slim-bookworm") });
        assert.deepEqual(
            await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile`, buildArgs: { NO_AVX2: "1" } }))),
            [
                `fireworker-images:runtime.buildArgs.NO_AVX2: "1" is not declared in ${rel}/Dockerfile (no ARG NO_AVX2), so the build would ignore it; declare it or remove it`,
            ],
        );
    });

    it("settings that only shape a rendered Dockerfile are refused with a brought one", async () => {
        const { rel } = folder({
            Dockerfile: "FROM python:3.11.9-slim-bookworm\n",
            "App.Dockerfile": "ARG from\nFROM ${from}\n",
        });
        assert.deepEqual(
            await lines(
                planOf(
                    "team",
                    runtime({
                        dockerfile: `${rel}/Dockerfile`,
                        aptPackages: ["swig"],
                        env: { A: "1" },
                        wheelhouse: true,
                    }),
                ),
            ),
            [
                `fireworker-images:runtime.aptPackages: ["swig"] does nothing with runtime.dockerfile (${rel}/Dockerfile is used as it is); remove it, or do it in that Dockerfile`,
                `fireworker-images:runtime.env: {"A":"1"} does nothing with runtime.dockerfile (${rel}/Dockerfile is used as it is); remove it, or do it in that Dockerfile`,
                `fireworker-images:runtime.wheelhouse: true does nothing with runtime.dockerfile (${rel}/Dockerfile is used as it is); remove it, or do it in that Dockerfile`,
            ],
        );
        assert.deepEqual(
            await lines(
                planOf("team", application({ dockerfile: `${rel}/App.Dockerfile`, run: ["make"], cmd: ["x"] })),
            ),
            [
                `fireworker-images:application.cmd: ["x"] does nothing with application.dockerfile (${rel}/App.Dockerfile is used as it is); remove it, or do it in that Dockerfile`,
                `fireworker-images:application.run: ["make"] does nothing with application.dockerfile (${rel}/App.Dockerfile is used as it is); remove it, or do it in that Dockerfile`,
            ],
        );
        assert.deepEqual(await lines(planOf("team", runtime({ context: rel }))), [
            `fireworker-images:runtime.context: ${JSON.stringify(rel)} is only for a brought runtime.dockerfile; the rendered runtime's context is its requirements`,
        ]);
    });

    it("a runtime Dockerfile that breaks a rule stops the plan with file:line", async () => {
        const { rel } = folder({
            Dockerfile: "FROM python:3.11-slim-bookworm\nRUN apt-get install -y swig\nRUN pip install numpy\n",
        });
        assert.deepEqual(await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile` }))), [
            `${rel}/Dockerfile:2: apt-install-without-update: apt-get install without apt-get update in the same RUN, so the package lists can come stale from the cache`,
            `${rel}/Dockerfile:3: pip-cache: pip install without --no-cache-dir keeps the downloads in the layer`,
        ]);
    });

    it("an application Dockerfile takes the runtime by digest, the git facts it declares, and labels from the build", async () => {
        const { rel } = folder({
            "Dockerfile.app": "ARG from=python:3.11-alpine\nFROM ${from}\nARG git_hash\nCOPY . /app\n",
        });
        const plan = await planOf(
            "team",
            patchSetting("team", "application", { dockerfile: `${rel}/Dockerfile.app`, labels: { repository: "x" } }),
        );
        const a = args(plan, "application");
        assert.match(a.from, /@sha256:[0-9a-f]{64}$/);
        assert.deepEqual(Object.keys(a).sort(), ["from", "git_hash"]); // git_branch, timestamp: not declared
        assert.equal(labels(plan).application, "app"); // unset: the image name
        assert.equal(labels(plan).repository, "x");
    });

    it("an application Dockerfile that declares no ARG from is refused", async () => {
        const { rel } = folder({ "Dockerfile.app": "FROM python:3.11.9-slim-bookworm\nCOPY . /app\n" });
        assert.deepEqual(await lines(planOf("team", application({ dockerfile: `${rel}/Dockerfile.app` }))), [
            `fireworker-images:application.dockerfile: "${rel}/Dockerfile.app" declares no ARG from, so it cannot build FROM the runtime; start it with ARG from=<runtime image> and FROM \${from}`,
        ]);
    });

    it("a COPY source that does not exist, or leaves the context, is one line with file:line", async () => {
        const { rel } = folder({
            Dockerfile: "FROM python:3.11-slim-bookworm\nCOPY missing.txt /\n",
            "Dockerfile.up": "FROM python:3.11-slim-bookworm\nCOPY ../../../../etc/passwd /x\n",
        });
        assert.deepEqual(await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile` }))), [
            `${rel}/Dockerfile:2: COPY source "missing.txt" does not exist in ${rel}`,
        ]);
        assert.deepEqual(await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile.up` }))), [
            `${rel}/Dockerfile.up:2: COPY source "../../../../etc/passwd" is outside the build context ${rel}, which Docker does not allow`,
        ]);
    });
});

describe("rendered Dockerfiles from settings", function () {
    this.timeout(60000);

    it("runtime build args, ENV and pip steps; application build args, ENV, build steps and any label", async () => {
        const plan = await planOf("team", {
            ...patchSetting("team", "runtime", {
                buildArgs: { COMPILE_BLAS: "0" },
                env: { OPENBLAS_NUM_THREADS: "1" },
                pipSteps: ["--upgrade pip setuptools wheel", "numpy==1.26.4"],
                // the plain pip RUNs (the team example keeps a wheelhouse)
                wheelhouse: false,
            }),
            ...patchSetting("team", "application", {
                buildArgs: { MODE: "fast" },
                env: { PYTHONPATH: "/app" },
                run: ["make clean compile"],
                labels: { application: "WCM", repository: "https://github.com/lab/wcm", "org.lab.team": "cell" },
            }),
        });
        const rt = buildOf(plan, "runtime").FW_DOCKERFILE;
        assert.match(rt, /^ARG COMPILE_BLAS$/m);
        assert.match(rt, /^ENV OPENBLAS_NUM_THREADS="1"$/m);
        assert.match(rt, /^RUN pip install --no-cache-dir numpy==1\.26\.4$/m);
        assert.deepEqual(args(plan, "runtime").COMPILE_BLAS, "0");
        const app = buildOf(plan, "application").FW_DOCKERFILE;
        assert.match(app, /^ARG MODE$/m);
        assert.match(app, /^ENV PYTHONPATH="\/app"$/m);
        assert.match(app, /^RUN make clean compile$/m);
        assert.equal(args(plan, "application").MODE, "fast");
        const l = labels(plan);
        assert.equal(l["org.lab.team"], "cell");
        assert.equal(l["org.opencontainers.image.title"], "WCM");
        // the team's trigger repository names the source, never the website
        assert.equal(l["org.opencontainers.image.source"], "https://github.com/example-lab/fireworker-images");
    });

    it("without a trigger repository the source is the repository label, never the website", async () => {
        const plan = await planOf(
            "local",
            patchSetting("local", "application", { labels: { repository: "https://x.org/r" } }),
        );
        assert.equal(labels(plan)["org.opencontainers.image.source"], "https://x.org/r");
        const none = await planOf("local");
        assert.equal(labels(none)["org.opencontainers.image.source"], undefined);
        assert.equal(labels(none).website, "https://example.org/");
    });
});

describe("requirements that read other files", function () {
    this.timeout(60000);

    it("uploads and hashes every file they read, where pip looks for it", async () => {
        const { rel, dir } = folder({
            "deps/requirements.txt":
                "-r base.txt\n-c ../constraints.txt\n./wheels/x-1.0-py3-none-any.whl\nrequests==2.32.3\n",
            "deps/base.txt": "numpy==1.26.4\n",
            "constraints.txt": "numpy<2\n",
            "deps/wheels/x-1.0-py3-none-any.whl": "wheel bytes",
        });
        const plan = await planOf(
            "team",
            patchSetting("team", "runtime", { requirements: `${rel}/deps/requirements.txt`, wheelhouse: false }),
        );
        const build = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(build.FW_CONTEXT).files, [
            { src: `${rel}/deps/requirements.txt`, dest: "requirements/deps/requirements.txt" },
            { src: `${rel}/deps/base.txt`, dest: "requirements/deps/base.txt" },
            { src: `${rel}/constraints.txt`, dest: "requirements/constraints.txt" },
            {
                src: `${rel}/deps/wheels/x-1.0-py3-none-any.whl`,
                dest: "requirements/deps/wheels/x-1.0-py3-none-any.whl",
            },
        ]);
        assert.match(
            build.FW_DOCKERFILE,
            /^RUN cd \/tmp\/requirements\/deps && pip install --no-cache-dir -r requirements\.txt$/m,
        );
        const before = build.FW_TAGS;
        fs.writeFileSync(path.join(dir, "deps", "base.txt"), "numpy==1.26.3\n");
        const after = await planOf(
            "team",
            patchSetting("team", "runtime", { requirements: `${rel}/deps/requirements.txt` }),
        );
        assert.notEqual(buildOf(after, "runtime").FW_TAGS, before, "an included file is part of the content tag");
    });

    it("refuses what pip would read from outside the repository, with file:line", async () => {
        const { rel } = folder({
            "abs.txt": "-r /etc/passwd\n",
            "up.txt": "numpy\n-r ../../../../../../../../etc/passwd\n",
            "url.txt": "pkg @ file:///opt/pkg\n",
            "var.txt": "-r ${HOME}/x.txt\n",
        });
        const refused = (f: string) =>
            lines(planOf("team", patchSetting("team", "runtime", { requirements: `${rel}/${f}` })));
        assert.deepEqual(await refused("abs.txt"), [
            `${rel}/abs.txt:1: /etc/passwd is an absolute path, which the builder does not have; write it relative to the requirements file`,
        ]);
        assert.deepEqual(await refused("up.txt"), [
            `${rel}/up.txt:2: ../../../../../../../../etc/passwd is outside the repository that holds the program; paths must stay inside it`,
        ]);
        assert.deepEqual(await refused("url.txt"), [
            `${rel}/url.txt:1: a file: URL; write the path relative to the requirements file instead`,
        ]);
        assert.deepEqual(await refused("var.txt"), [
            `${rel}/var.txt:1: \${HOME}/x.txt uses an environment variable; the plan cannot know its value`,
        ]);
    });

    it("a requirements file that is a symlink: its target's bytes are uploaded and hashed", async () => {
        const { rel, dir } = folder({ "real.txt": "numpy==1.26.4\n" });
        fs.symlinkSync("real.txt", path.join(dir, "requirements.txt"));
        const plan = await planOf("team", patchSetting("team", "runtime", { requirements: `${rel}/requirements.txt` }));
        assert.deepEqual(JSON.parse(buildOf(plan, "runtime").FW_CONTEXT).files, [
            { src: `${rel}/real.txt`, dest: "requirements.txt" },
        ]);
    });
});

describe("requirements in layers", function () {
    this.timeout(60000);

    const layered = (rel: string) =>
        patchSetting("team", "runtime", {
            requirements: [`${rel}/numerical.txt`, `${rel}/deps/dev.txt`],
            wheelhouse: false,
        });

    it("each file is a layer after the apt layer that copies only what its pip reads", async () => {
        const { rel } = folder({
            "numerical.txt": "-c constraints.txt\nnumpy==1.26.4\n",
            "constraints.txt": "numpy<2\n",
            "deps/dev.txt": "-c ../constraints.txt\nrequests==2.32.3\n",
        });
        const plan = await planOf("team", layered(rel));
        const build = buildOf(plan, "runtime");
        assert.deepEqual(JSON.parse(build.FW_CONTEXT).files, [
            { src: `${rel}/numerical.txt`, dest: "requirements/1/numerical.txt" },
            { src: `${rel}/constraints.txt`, dest: "requirements/1/constraints.txt" },
            { src: `${rel}/deps/dev.txt`, dest: "requirements/2/deps/dev.txt" },
            { src: `${rel}/constraints.txt`, dest: "requirements/2/constraints.txt" },
        ]);
        assert.match(
            build.FW_DOCKERFILE,
            /^RUN apt-get update[\s\S]*^COPY requirements\/1\/ \/tmp\/requirements\/1\/\nRUN cd \/tmp\/requirements\/1 && pip install --no-cache-dir -r numerical\.txt\nCOPY requirements\/2\/ \/tmp\/requirements\/2\/\nRUN cd \/tmp\/requirements\/2\/deps && pip install --no-cache-dir -r dev\.txt$/m,
        );
        assert.deepEqual(JSON.parse(build.FW_REQUIREMENT_LAYERS), [
            { dir: "requirements/1", main: "numerical.txt" },
            { dir: "requirements/2", main: "deps/dev.txt" },
        ]);
        // the plan's builds section: each layer's files and their digest, each file's lines
        const record = plan.builds?.find((b) => b.kind === "runtime");
        assert.deepEqual(
            record?.requirementLayers?.map(({ digest, ...l }) => ({ ...l, digest: /^[0-9a-f]{64}$/.test(digest) })),
            [
                {
                    layer: 1,
                    main: "requirements/1/numerical.txt",
                    files: ["requirements/1/constraints.txt", "requirements/1/numerical.txt"],
                    digest: true,
                },
                {
                    layer: 2,
                    main: "requirements/2/deps/dev.txt",
                    files: ["requirements/2/constraints.txt", "requirements/2/deps/dev.txt"],
                    digest: true,
                },
            ],
        );
        assert.deepEqual(
            record?.requirements?.map((r) => r.file),
            ["requirements/1/numerical.txt", "requirements/2/deps/dev.txt"],
        );
    });

    it("a changed pin in the last file changes the last layer's digest and the content tag, never the first layer", async () => {
        const { rel, dir } = folder({
            "numerical.txt": "numpy==1.26.4\n",
            "deps/dev.txt": "requests==2.32.3\n",
        });
        const before = await planOf("team", layered(rel));
        fs.writeFileSync(path.join(dir, "deps", "dev.txt"), "requests==2.32.4\n");
        const after = await planOf("team", layered(rel));
        const layers = (p: Plan) => p.builds?.find((b) => b.kind === "runtime")?.requirementLayers ?? [];
        assert.equal(layers(after)[0].digest, layers(before)[0].digest);
        assert.notEqual(layers(after)[1].digest, layers(before)[1].digest);
        assert.notEqual(buildOf(after, "runtime").FW_TAGS, buildOf(before, "runtime").FW_TAGS);
        // the Dockerfile is the same: only the last layer's COPY sees new bytes
        assert.equal(buildOf(after, "runtime").FW_DOCKERFILE, buildOf(before, "runtime").FW_DOCKERFILE);
    });

    it("a list of one file builds exactly as the file alone", async () => {
        const alone = await planOf(
            "team",
            patchSetting("team", "runtime", { requirements: "example/requirements.txt" }),
        );
        const listed = await planOf(
            "team",
            patchSetting("team", "runtime", { requirements: ["example/requirements.txt"] }),
        );
        assert.deepEqual(buildOf(listed, "runtime"), buildOf(alone, "runtime"));
        assert.deepEqual(listed.builds, alone.builds);
    });

    it("a problem in a listed file names its item", async () => {
        const { rel } = folder({ "ok.txt": "numpy\n", "abs.txt": "-r /etc/passwd\n" });
        assert.deepEqual(
            await lines(
                planOf("team", patchSetting("team", "runtime", { requirements: [`${rel}/ok.txt`, `${rel}/abs.txt`] })),
            ),
            [
                `${rel}/abs.txt:1: /etc/passwd is an absolute path, which the builder does not have; write it relative to the requirements file`,
            ],
        );
    });
});

describe("the program's own folder and the payload's git diff", function () {
    this.timeout(60000);

    it("a context that holds the program leaves its folder out, whatever the ignore files say", async () => {
        // the program's folder is the repository root here: a context of "." holds it
        const plan = await planOf("local", patchSetting("local", "application", { context: "." }));
        const context = JSON.parse(buildOf(plan, "application").FW_CONTEXT);
        assert.ok(context.exclude.includes("node_modules") && context.exclude.includes("lib"), context.exclude);
        assert.ok(!context.exclude.includes("example"));
    });

    it("a dirty payload's diff goes into the image as source-info/git_diff.txt, and into the content tag", async () => {
        const { dir, rel } = folder({ "main.py": "print(1)\n" });
        git(dir, ["init", "-q", "-b", "main"]);
        commitAll(dir, "payload", "2024-01-02T03:04:05Z");
        const plan = () => planOf("local", patchSetting("local", "application", { context: rel }));
        const clean = buildOf(await plan(), "application");
        assert.equal(clean.FW_GIT_DIFF, undefined);
        fs.writeFileSync(path.join(dir, "main.py"), "print(2)\n");
        const dirty = buildOf(await plan(), "application");
        const diff = JSON.parse(dirty.FW_GIT_DIFF);
        assert.equal(diff.dir, rel);
        assert.match(diff.sha256, /^[0-9a-f]{64}$/);
        const off = buildOf(
            await planOf("local", patchSetting("local", "application", { context: rel, gitDiff: false })),
            "application",
        );
        assert.equal(off.FW_GIT_DIFF, undefined);
        assert.notEqual(off.FW_TAGS, dirty.FW_TAGS);
        fs.mkdirSync(path.join(dir, "source-info"));
        fs.writeFileSync(path.join(dir, GIT_DIFF_FILE), "mine\n");
        assert.deepEqual(await lines(plan()), [
            `fireworker-images:application.gitDiff: true, but the payload has its own ${GIT_DIFF_FILE}, where the build writes the payload's git diff; remove that file, or set application.gitDiff: false`,
        ]);
    });
});

describe("the size of a build's command", function () {
    this.timeout(60000);

    it("a Dockerfile past what a command's environment variable holds is refused at plan time, not at pulumi up", async () => {
        const { rel } = folder({
            Dockerfile: `ARG from=python:3.11-slim-bookworm\nFROM \${from}\n${"# padding\n".repeat(14000)}`,
        });
        assert.deepEqual(await lines(planOf("team", runtime({ dockerfile: `${rel}/Dockerfile` }))), [
            "fireworker-images:runtime: the build's command would carry FW_DOCKERFILE of 140048 bytes; a command's environment variable holds at most 131072 bytes (Linux's MAX_ARG_STRLEN); make the Dockerfile, build args or labels smaller",
        ]);
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
            // the team example keeps a wheelhouse: pip has a cache of its own there, deleted by its RUN
            assert.match(
                cloud,
                /^ {4}pip install -r \/tmp\/requirements\.txt|^RUN pip install --no-cache-dir -r \/tmp\/requirements\.txt$/m,
                stack,
            );
            assert.doesNotMatch(cloud, /pip-relay/, stack);
        }
    });
});
