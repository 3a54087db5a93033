import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../../../lib/build/buildSpec";
import {
    buildScript,
    cacheFromScript,
    deepenHistory,
    prepareTriggerBuild,
    triggerBase,
    triggerRequestFromEnvironment,
} from "../../../lib/triggers/prepareTriggerBuild";
import { TRIGGER_DIR } from "../../../lib/triggers/triggerBuild";
import { commitAll, git } from "../../support/git";
import { buildOf, planOf, ROOT } from "../../support/plan";
import { repoTempDir } from "../../support/tmp";

const BASE = `sha256:${"b".repeat(64)}`;
const BASE_REF = `python@${BASE}`;

const spec: BuildSpec = {
    kind: "application",
    builder: "cloudbuild",
    image: "us-docker.pkg.dev/p/r/app",
    tags: ["0123456789abcdef0123", "latest"],
    contextDigest: "0".repeat(64),
    context: { kind: "directory", dir: "example" },
    dockerfile: "FROM x:1\n",
    buildArgs: { from: "x:1", label_application: "The lab's app" },
    push: true,
};

const runtimeSpec: BuildSpec = {
    ...spec,
    kind: "runtime",
    project: "p",
    cacheFrom: [`us-docker.pkg.dev/p/r/dev-runtime:dev`, `us-docker.pkg.dev/p/r/runtime@sha256:${"e".repeat(64)}`],
};

describe("preparing a trigger build (lib/triggers/prepareTriggerBuild.ts)", function () {
    this.timeout(120000);

    it("reads its request from the step's environment; an unknown build kind is one line", () => {
        assert.deepEqual(triggerRequestFromEnvironment({ FW_BUILD: "runtime", FW_RUNTIME_REF: "r@x" }), {
            stack: "team",
            build: "runtime",
            runtimeReference: "r@x",
            imageOverride: undefined,
            friendlyTag: undefined,
            base: undefined,
        });
        assert.deepEqual(
            triggerRequestFromEnvironment({
                FW_BUILD: "runtime",
                FW_RUNTIME_REF: "r@x",
                FW_BASE_TAG: "python:3.11-slim-bookworm",
                FW_BASE_REF: BASE_REF,
            }).base,
            { tag: "python:3.11-slim-bookworm", reference: BASE_REF },
        );
        assert.throws(
            () => triggerRequestFromEnvironment({ FW_BUILD: "both" }),
            /^Error: trigger-build: FW_BUILD: "both" is not runtime or application$/,
        );
    });

    describe("the build script (a fake docker with a registry in files)", () => {
        const FAKE = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_STATE/calls.log"
reg() { printf '%s/%s' "$FAKE_STATE" "$(printf '%s' "$1" | tr '/:@' '___')"; }
case "$1 $2" in
"manifest inspect")
    if [ -f "$(reg "$4")" ]; then
        printf '{\n  "Ref": "%s",\n  "Descriptor": {\n    "mediaType": "m",\n    "digest": "%s",\n    "size": 1\n  },\n  "SchemaV2Manifest": {\n    "config": {\n      "digest": "sha256:%064d"\n    }\n  }\n}\n' "$4" "$(cat "$(reg "$4")")" 0
        exit 0
    fi
    exit 1 ;;
"image inspect")
    case "$3" in --format*) printf '%s@%s\n' "$FAKE_IMAGE" "$FAKE_DIGEST" ;; esac
    exit 0 ;;
esac
case "$1" in
build) cat >/dev/null; exit 0 ;;
push)
    if [ -n "$FAKE_LOSE" ] && [ "$2" = "$FAKE_IMAGE:0123456789abcdef0123" ]; then printf '%s' "$FAKE_LOSE" >"$(reg "$2")"; echo "tag invalid: immutable" >&2; exit 1; fi
    if [ -n "$FAKE_FAIL" ]; then echo "denied" >&2; exit 1; fi
    d="$(cat "$(reg "local:$2")" 2>/dev/null || printf '%s' "$FAKE_DIGEST")"
    printf '%s' "$d" >"$(reg "$2")"; exit 0 ;;
tag) printf '%s' "${"$"}{2#*@}" >"$(reg "local:$3")"; exit 0 ;;
pull) [ -z "${"$"}{FAKE_PULL_FAIL:-}" ] || { echo "manifest unknown" >&2; exit 1; }; exit 0 ;;
esac
exit 2
`;
        const D = (c: string) => `sha256:${c.repeat(64)}`;
        const runScript = (
            env: Record<string, string>,
            setup: Record<string, string> = {},
            built: BuildSpec = spec,
        ) => {
            const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "fw-build-sh-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "docker"), FAKE, { mode: 0o755 });
            fs.mkdirSync(path.join(dir, ".fireworker", "trigger"), { recursive: true });
            fs.writeFileSync(path.join(dir, ".fireworker", "trigger", "context.tar"), "");
            // a registry's tag (its digest in a file), or a file of the trigger's folder
            for (const [ref, d] of Object.entries(setup))
                fs.writeFileSync(path.join(dir, ref.startsWith(TRIGGER_DIR) ? ref : ref.replace(/[/:@]/g, "_")), d);
            fs.writeFileSync(path.join(dir, "build.sh"), buildScript(built, ".fireworker/trigger/context.tar"));
            const r = spawnSync("bash", ["build.sh"], {
                cwd: dir,
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${dir}/bin:${process.env.PATH}`,
                    FAKE_STATE: dir,
                    FAKE_IMAGE: spec.image,
                    FAKE_DIGEST: D("a"),
                    ...env,
                },
            });
            const calls = fs.existsSync(path.join(dir, "calls.log"))
                ? fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n")
                : [];
            const digest = fs.existsSync(path.join(dir, ".fireworker", "trigger", "digest"))
                ? fs.readFileSync(path.join(dir, ".fireworker", "trigger", "digest"), "utf8").trim()
                : "";
            const tag = (t: string) => {
                const f = path.join(dir, `${spec.image}:${t}`.replace(/[/:@]/g, "_"));
                return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
            };
            return { ...r, calls, digest, tag };
        };
        const content = `${spec.image}:0123456789abcdef0123`;

        it("passes shellcheck", () => {
            for (const s of [spec, runtimeSpec]) {
                const r = spawnSync("shellcheck", ["-s", "bash", "-"], {
                    input: buildScript(s, "ctx.tar"),
                    encoding: "utf8",
                });
                assert.equal(r.status, 0, r.stdout);
            }
        });

        it("builds and pushes the content tag only, then moves the moving tag to its digest", () => {
            const r = runScript({});
            assert.equal(r.status, 0, r.stderr);
            assert.ok(
                r.calls.some((c) =>
                    c.startsWith(`build --network=cloudbuild --file=.fireworker.Dockerfile --tag=${content} `),
                ),
            );
            assert.ok(!r.calls.some((c) => c.startsWith("build ") && c.includes(":latest")));
            assert.equal(r.digest, D("a"));
            assert.equal(r.tag("latest"), D("a"));
        });

        it("adopts a content tag that exists, builds nothing, and moves the moving tag to it", () => {
            const r = runScript({}, { [content]: D("b") });
            assert.equal(r.status, 0, r.stderr);
            assert.ok(!r.calls.some((c) => c.startsWith("build ")));
            assert.match(r.stdout, /exists already \(sha256:b{64}\); not rebuilt/);
            assert.equal(r.digest, D("b"));
            assert.equal(r.tag("latest"), D("b"));
        });

        it("a push that loses to another builder is a success with the tag's digest read back", () => {
            const r = runScript({ FAKE_LOSE: D("c") });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /lost to another builder; adopting sha256:c{64}/);
            assert.equal(r.digest, D("c"));
            assert.equal(r.tag("latest"), D("c"));
        });

        describe("of a runtime, with previous images to reuse (cacheFrom)", () => {
            const previous = `us-docker.pkg.dev/p/r/runtime@${D("e")}`;
            const cacheFile = `${TRIGGER_DIR}/cache-from`;
            const built = (r: ReturnType<typeof runScript>) => r.calls.filter((c) => c.startsWith("build "));

            it("pulls the image the cache-from step found, by digest, and builds with --cache-from it", () => {
                const r = runScript({}, { [cacheFile]: `${previous}\n` }, runtimeSpec);
                assert.equal(r.status, 0, r.stderr);
                assert.ok(r.calls.includes(`pull --quiet ${previous}`), r.calls.join("\n"));
                assert.equal(built(r).length, 1);
                assert.match(built(r)[0], / --build-arg=BUILDKIT_INLINE_CACHE=1 /);
                assert.ok(built(r)[0].endsWith(` --cache-from=${previous} -`), built(r)[0]);
                assert.match(
                    r.stdout,
                    /fireworker: reusing the layers of us-docker\.pkg\.dev\/p\/r\/runtime@sha256:e{64}/,
                );
                assert.equal(r.digest, D("a"));
            });

            it("one that cannot be pulled, or none found: one line, and a cold build that succeeds", () => {
                const gone = runScript({ FAKE_PULL_FAIL: "1" }, { [cacheFile]: previous }, runtimeSpec);
                assert.equal(gone.status, 0, gone.stderr);
                assert.equal(
                    gone.stderr.trim(),
                    `fireworker: the previous image ${previous} cannot be pulled (manifest unknown); building without its layers`,
                );
                assert.ok(!built(gone)[0].includes("--cache-from"));
                assert.equal(gone.digest, D("a"));
                for (const setup of [{}, { [cacheFile]: "garbage\n" }] as Record<string, string>[]) {
                    const none = runScript({}, setup, runtimeSpec);
                    assert.equal(none.status, 0, none.stderr);
                    assert.match(none.stdout, /fireworker: no previous image to reuse; building without its layers/);
                    assert.ok(!none.calls.some((c) => c.startsWith("pull ")));
                    assert.ok(built(none)[0].endsWith(" -") && !built(none)[0].includes("--cache-from"));
                }
            });

            it("a content tag that exists is adopted: no previous image is pulled, nothing is built", () => {
                const r = runScript({}, { [content]: D("b"), [cacheFile]: previous }, runtimeSpec);
                assert.equal(r.status, 0, r.stderr);
                assert.deepEqual(
                    r.calls.filter((c) => c.startsWith("build ") || c === `pull --quiet ${previous}`),
                    [],
                );
                assert.equal(r.digest, D("b"));
                assert.equal(r.tag("latest"), D("b"));
            });

            it("an application (no candidates) builds as before, with no inline cache argument", () => {
                const script = buildScript(spec, "ctx.tar");
                assert.ok(!script.includes("cache-from") && !script.includes("BUILDKIT_INLINE_CACHE"));
            });
        });

        it("a push that fails while the tag does not exist fails the build", () => {
            const r = runScript({ FAKE_FAIL: "1" });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /fireworker: the push of \S+ failed/);
            assert.equal(r.digest, "");
        });
    });

    describe("the cache-from step's script (a fake gcloud)", () => {
        // describe prints a tag's digest, list a repository's newest; FAKE_<TAG|NEWEST> is the answer
        const FAKE_GCLOUD = String.raw`#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_STATE/calls.log"
case "$4" in
describe) [ -n "${"$"}{FAKE_TAG:-}" ] || { echo "NOT_FOUND" >&2; exit 1; }; printf '%s\n' "$FAKE_TAG" ;;
list) [ -n "${"$"}{FAKE_NEWEST:-}" ] || exit 0; printf '%s\n' "$FAKE_NEWEST" ;;
*) exit 2 ;;
esac
`;
        const E = `sha256:${"e".repeat(64)}`;
        const F = `sha256:${"f".repeat(64)}`;
        const teamSpec: BuildSpec = { ...runtimeSpec, cacheFrom: ["us-docker.pkg.dev/p/r/runtime"] };
        const run = async (built: BuildSpec, env: Record<string, string> = {}) => {
            const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "fw-cache-from-sh-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "gcloud"), FAKE_GCLOUD, { mode: 0o755 });
            fs.mkdirSync(path.join(dir, TRIGGER_DIR), { recursive: true });
            fs.writeFileSync(path.join(dir, TRIGGER_DIR, "cache-from"), "stale\n");
            const script = await cacheFromScript(built, `${TRIGGER_DIR}/cache-from`);
            fs.writeFileSync(path.join(dir, "cache-from.sh"), script);
            const r = spawnSync("bash", ["cache-from.sh"], {
                cwd: dir,
                encoding: "utf8",
                env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, FAKE_STATE: dir, ...env },
            });
            const file = path.join(dir, TRIGGER_DIR, "cache-from");
            const calls = fs.existsSync(path.join(dir, "calls.log"))
                ? fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n")
                : [];
            return {
                ...r,
                script,
                calls,
                found: fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined,
            };
        };

        it("passes shellcheck", async () => {
            for (const s of [spec, runtimeSpec, teamSpec]) {
                const r = spawnSync("shellcheck", ["-s", "bash", "-"], {
                    input: await cacheFromScript(s, "out"),
                    encoding: "utf8",
                });
                assert.equal(r.status, 0, r.stdout);
            }
        });

        it("a developer's own previous runtime by its moving tag, with the look-up pulumi up runs", async () => {
            const r = await run(runtimeSpec, { FAKE_TAG: E });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.found, `us-docker.pkg.dev/p/r/dev-runtime@${E}\n`);
            assert.deepEqual(r.calls, [
                "artifacts docker images describe us-docker.pkg.dev/p/r/dev-runtime:dev --project=p --format=value(image_summary.digest)",
            ]);
            assert.match(
                r.stdout,
                /^fireworker: the build may reuse the layers of us-docker\.pkg\.dev\/p\/r\/dev-runtime@sha256:e{64}$/m,
            );
        });

        it("else the next candidate: the team's runtime by digest, as resolveCacheFrom orders them", async () => {
            for (const env of [{}, { FAKE_TAG: "not a digest" }] as Record<string, string>[]) {
                const r = await run(runtimeSpec, env);
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.found, `us-docker.pkg.dev/p/r/runtime@${E}\n`);
                assert.equal(r.calls.length, 1);
            }
        });

        it("the team's newest runtime, as the team stack names it", async () => {
            const r = await run(teamSpec, { FAKE_NEWEST: F });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.found, `us-docker.pkg.dev/p/r/runtime@${F}\n`);
            assert.deepEqual(r.calls, [
                "artifacts docker images list us-docker.pkg.dev/p/r/runtime --project=p --sort-by=~UPDATE_TIME --limit=1 --format=value(version)",
            ]);
        });

        it("nothing found, or no candidates: no file, one line, and the step succeeds", async () => {
            const none = await run(teamSpec);
            assert.equal(none.status, 0, none.stderr);
            assert.equal(none.found, undefined);
            assert.equal(
                none.stdout,
                "fireworker: no previous image found (us-docker.pkg.dev/p/r/runtime); the build runs without one\n",
            );
            const app = await run(spec);
            assert.equal(app.status, 0, app.stderr);
            assert.equal(app.found, undefined);
            assert.deepEqual(app.calls, []);
            assert.equal(app.stdout, "fireworker: no previous image found; the build runs without one\n");
        });
    });

    it("a nightly request pushes the planned content to its own image, with the content tag and a moving tag", async () => {
        const plan = await planOf("team");
        const planned = buildOf(plan, "application");
        const line = await prepareTriggerBuild(
            {
                stack: "team",
                build: "application",
                runtimeReference: String(plan.outputs.runtimeReference),
                imageOverride: "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app",
                friendlyTag: "nightly",
            },
            ROOT,
        );
        const tag = planned.FW_TAGS.split(",")[0];
        assert.equal(
            line,
            `trigger-build: us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:${tag} prepared (4 files)`,
        );
        const script = fs.readFileSync(path.join(ROOT, TRIGGER_DIR, "build.sh"), "utf8");
        assert.ok(
            script.includes(`ref=us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:${tag}\n`),
        );
        assert.ok(
            script.includes(
                'docker tag "$image@$digest" us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:nightly\n' +
                    "docker push us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/nightly-app:nightly\n",
            ),
        );
    });
});

describe("a runtime trigger's base", function () {
    this.timeout(120000);

    it("is the digest pulumi up resolved its tag to: the same content tag as that plan", async () => {
        const plan = await planOf("team", {}, { resolveBase: async () => ({ digest: BASE, reference: BASE_REF }) });
        const planned = buildOf(plan, "runtime");
        const line = await prepareTriggerBuild(
            {
                stack: "team",
                build: "runtime",
                runtimeReference: String(plan.outputs.runtimeReference),
                base: { tag: "python:3.11-slim-bookworm", reference: BASE_REF },
            },
            ROOT,
        );
        const tag = planned.FW_TAGS.split(",")[0];
        assert.equal(JSON.parse(planned.FW_BUILD_ARGS).from, BASE_REF);
        assert.match(line, new RegExp(`/runtime:${tag} prepared `));
        const script = fs.readFileSync(path.join(ROOT, TRIGGER_DIR, "build.sh"), "utf8");
        assert.ok(script.includes(`--build-arg=from=${BASE_REF} `), script);
        // the previous runtime: the plan's candidates (the team's newest runtime), looked up by the cache-from step
        const image = planned.FW_IMAGE;
        assert.deepEqual(JSON.parse(planned.FW_CACHE_FROM), [image]);
        assert.ok(script.includes(`cache=("--cache-from=$previous")`), script);
        const lookup = fs.readFileSync(path.join(ROOT, TRIGGER_DIR, "cache-from.sh"), "utf8");
        assert.ok(
            lookup.includes(
                `gcloud artifacts docker images list ${image} --project=example-lab-123456 '--sort-by=~UPDATE_TIME' --limit=1 '--format=value(version)'`,
            ),
            lookup,
        );
    });

    it("a base the trigger holds no digest for stops the prepare step with one line", async () => {
        assert.deepEqual(
            triggerBase(
                {
                    stack: "team",
                    build: "runtime",
                    runtimeReference: "",
                    base: { tag: "python:3.11", reference: BASE_REF },
                },
                "python:3.11",
            ),
            { digest: BASE, reference: BASE_REF },
        );
        await assert.rejects(
            prepareTriggerBuild(
                {
                    stack: "team",
                    build: "runtime",
                    runtimeReference: "",
                    base: { tag: "python:3.10-slim-bookworm", reference: BASE_REF },
                },
                ROOT,
            ),
            {
                message:
                    'fireworker-images:runtime.base: "python:3.11-slim-bookworm" cannot be resolved to a digest by docker.io: the trigger holds the digest of python:3.10-slim-bookworm (resolved at the last pulumi up), not of python:3.11-slim-bookworm: the deploy\'s pulumi up resolves it and builds this runtime; check that the image exists and that you may pull it, or pin it by digest',
            },
        );
        await assert.rejects(
            prepareTriggerBuild({ stack: "team", build: "runtime", runtimeReference: "" }, ROOT),
            /the trigger carries no resolved base \(FW_BASE_TAG, FW_BASE_REF\): run pulumi up of the team stack;/,
        );
    });
});

describe("a trigger's shallow checkout", () => {
    it("is deepened before the git facts are read; a full clone is left as it is", () => {
        const origin = repoTempDir("origin-");
        git(origin, ["init", "-q", "-b", "main"]);
        fs.writeFileSync(path.join(origin, "a.py"), "1\n");
        commitAll(origin, "one", "2024-01-01T00:00:00Z");
        fs.writeFileSync(path.join(origin, "b.py"), "2\n");
        commitAll(origin, "two", "2024-01-02T00:00:00Z");
        const clone = path.join(repoTempDir("clone-"), "c");
        git(path.dirname(clone), ["clone", "-q", "--depth=1", `file://${origin}`, "c"]);
        assert.equal(git(clone, ["rev-parse", "--is-shallow-repository"]), "true");
        const lines: string[] = [];
        deepenHistory(clone, (l) => lines.push(l));
        assert.equal(git(clone, ["rev-parse", "--is-shallow-repository"]), "false");
        assert.deepEqual(lines, [
            "trigger-build: the checkout was shallow; fetched its whole history for the git facts",
        ]);
        deepenHistory(clone, (l) => lines.push(l));
        assert.equal(lines.length, 1);
    });
});
