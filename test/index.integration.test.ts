// The program inside a lab's own repository (test/support/lab.ts), in both layouts, built for
// real on the test engine and run: the lab's brought Dockerfiles as its scripts build them (the
// runtime from the repository root, the application compiling a C extension), and the same lab
// in rendered mode. The plans: the program's folder never changes the application's content tag;
// a payload change does.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PlannedBuild } from "../lib/plan/buildInputs";
import { dockerOk, keepBuildCache, removeImages } from "./support/docker";
import { commitAll, git } from "./support/git";
import { buildLab, type Lab, type Layout, makeLab, planLab, writeStack } from "./support/lab";
import { requireDockerOrSkip, type TestEnv } from "./support/testEnv";

interface PlannedResource {
    name: string;
    inputs: { environment?: Record<string, string> };
}
const appTag = (plan: unknown) =>
    (plan as { resources: PlannedResource[] }).resources
        .find((r) => r.name === "application-build")
        ?.inputs.environment?.FW_TAGS.split(",")[0];

/** The lab's settings with its brought Dockerfiles, paths from the program's folder. */
function broughtSettings(lab: Lab, runId: string) {
    const up = lab.up;
    return {
        mode: "local",
        runtime: {
            name: `lab-${runId}-runtime`,
            dockerfile: `${up}/cloud/docker/runtime/Dockerfile`,
            context: up,
        },
        application: {
            name: `lab-${runId}-wcm`,
            dockerfile: `${up}/cloud/docker/wholecell/Dockerfile`,
            context: path.relative(lab.program, lab.payload) || ".",
            buildArgs: { COMPILE_MODE: "careful" },
            labels: {
                application: "Whole Cell Model (test)",
                email: "lab@example.org",
                repository: "https://github.com/example-lab/wcm",
                "org.example.lab.team": "cells",
            },
        },
    };
}

for (const layout of ["subfolder", "root"] as Layout[]) {
    describe(`a lab's repository with the program ${layout === "subfolder" ? "at infra/" : "at its root"}`, function () {
        this.timeout(900_000);
        const runId = randomBytes(4).toString("hex");
        let t: TestEnv;
        let lab: Lab;

        before(async function () {
            t = await requireDockerOrSkip(this);
            lab = makeLab(layout, t.baseImage);
            writeStack(lab, "local", broughtSettings(lab, runId));
        });
        after(() => {
            if (t) {
                keepBuildCache(t, `fireworker/lab-${runId}-runtime`, `lab-${layout}-runtime`);
                removeImages(t, `fireworker/lab-${runId}-runtime`);
                removeImages(t, `fireworker/lab-${runId}-wcm`);
            }
            if (lab) fs.rmSync(lab.root, { recursive: true, force: true });
        });

        it("plans: the program's folder never changes the application's content tag; a payload change does", () => {
            const first = planLab(lab, "local");
            assert.equal(first.status, 0, first.stderr);
            const tag = appTag(first.plan);
            assert.match(String(tag), /^[0-9a-f]{20}$/);
            // build junk and program changes, committed or not, inside the program's folder
            fs.mkdirSync(path.join(lab.program, ".fireworker", "builds"), { recursive: true });
            fs.writeFileSync(path.join(lab.program, ".fireworker", "builds", "old.tgz"), "x".repeat(1000));
            fs.writeFileSync(path.join(lab.program, "NOTES.md"), "the program's own notes\n");
            if (layout === "subfolder") {
                commitAll(lab.root, "program notes", "2024-05-07T00:00:00Z");
                fs.writeFileSync(path.join(lab.program, "NOTES.md"), "changed, uncommitted\n");
            }
            assert.equal(appTag(planLab(lab, "local").plan), tag);
            // the plan says the program's folder was left out (layout a: the context holds it)
            const build = (first.plan as { builds: PlannedBuild[] }).builds.find((b) => b.kind === "application");
            assert.deepEqual(build?.context.leftOut, layout === "subfolder" ? ["infra"] : undefined);
            assert.equal(build?.generated, undefined);
            // the payload: a dirty tree also uploads its git diff, and the plan lists it
            fs.appendFileSync(path.join(lab.payload, "main.py"), "# one more line\n");
            const dirty = planLab(lab, "local");
            assert.notEqual(appTag(dirty.plan), tag);
            const dirtyBuild = (dirty.plan as { builds: PlannedBuild[] }).builds.find((b) => b.kind === "application");
            assert.match(String(dirtyBuild?.generated), /^source-info\/git_diff\.txt [1-9][0-9]* [0-9a-f]{12}$/);
            assert.ok((dirtyBuild?.upload ?? 0) > (build?.upload ?? 0));
            git(lab.root, ["checkout", "--", "."]);
            fs.rmSync(path.join(lab.program, "NOTES.md"), { force: true });
        });

        it("builds the lab's images as its scripts do, and runs them: the extension imports, ENV, labels, build args", () => {
            const { builds } = buildLab(lab, "local", t.env);
            const app = builds.application;
            const out = dockerOk(t, ["run", "--rm", "--network", "none", app.result.reference]);
            // the payload's last commit: a commit of the program's own folder does not count
            const exclude = layout === "subfolder" ? [":(exclude)infra"] : [];
            const head = git(lab.payload, ["log", "-1", "--format=%H", "--", ".", ...exclude]);
            const got = Object.fromEntries(
                out
                    .trim()
                    .split("\n")
                    .map((l) => l.split(" ") as [string, string]),
            );
            assert.equal(got.twice, "42");
            assert.equal(got.OPENBLAS_NUM_THREADS, "1");
            assert.equal(got.PYTHONPATH, "/wcm");
            assert.equal(got.COMPILE_MODE, "careful");
            assert.equal(got.IMAGE_GIT_HASH, head);
            assert.equal(got.IMAGE_GIT_BRANCH, "main");
            assert.equal(got.IMAGE_TIMESTAMP, "20240506.070809");
            const labels = JSON.parse(
                dockerOk(t, ["image", "inspect", "--format", "{{json .Config.Labels}}", app.result.reference]),
            );
            assert.equal(labels.application, "Whole Cell Model (test)");
            assert.equal(labels["org.example.lab.team"], "cells");
            assert.equal(labels["org.opencontainers.image.source"], "https://github.com/example-lab/wcm");
            assert.equal(labels["org.opencontainers.image.revision"], head);
            // the program's folder is not in the image
            const listing = dockerOk(t, ["run", "--rm", "--network", "none", app.result.reference, "ls", "-A", "/wcm"]);
            assert.ok(!listing.split("\n").includes("infra"), listing);
            assert.ok(!listing.split("\n").includes("node_modules"), listing);
        });

        it("writes a dirty payload's git diff into the image", () => {
            fs.appendFileSync(path.join(lab.payload, "main.py"), 'print("uncommitted")\n');
            try {
                const { builds } = buildLab(lab, "local", t.env);
                const ref = builds.application.result.reference;
                const diff = dockerOk(t, [
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    ref,
                    "cat",
                    "/wcm/source-info/git_diff.txt",
                ]);
                assert.match(diff, /^\+print\("uncommitted"\)$/m);
                assert.match(
                    dockerOk(t, ["run", "--rm", "--network", "none", ref]),
                    /IMAGE_GIT_HASH [0-9a-f]{40}-dirty/,
                );
            } finally {
                git(lab.root, ["checkout", "--", "."]);
            }
        });
    });
}

describe("the same lab in rendered mode (the program at infra/)", function () {
    this.timeout(900_000);
    const runId = randomBytes(4).toString("hex");
    let t: TestEnv;
    let lab: Lab;

    before(async function () {
        t = await requireDockerOrSkip(this);
        lab = makeLab("subfolder", t.baseImage);
        writeStack(lab, "local", {
            mode: "local",
            runtime: {
                name: `lab-${runId}-rruntime`,
                base: t.baseImage,
                aptPackages: ["python3", "python3-dev", "gcc", "libc6-dev", "make"],
                requirements: "../requirements.txt",
                env: { OPENBLAS_NUM_THREADS: "1" },
                writableDirs: ["/.aesara"],
            },
            application: {
                name: `lab-${runId}-rwcm`,
                context: "..",
                workdir: "/wcm",
                env: { PYTHONPATH: "/wcm", COMPILE_MODE: "careful" },
                run: ["make clean compile"],
                cmd: ["python3", "main.py"],
                labels: {
                    application: "Whole Cell Model (rendered)",
                    repository: "https://github.com/example-lab/wcm",
                },
            },
        });
    });
    after(() => {
        if (t) {
            keepBuildCache(t, `fireworker/lab-${runId}-rruntime`, "lab-rruntime");
            removeImages(t, `fireworker/lab-${runId}-rruntime`);
            removeImages(t, `fireworker/lab-${runId}-rwcm`);
        }
        if (lab) fs.rmSync(lab.root, { recursive: true, force: true });
    });

    it("builds and runs the same lab from settings alone", () => {
        const { builds } = buildLab(lab, "local", t.env);
        const ref = builds.application.result.reference;
        const out = dockerOk(t, ["run", "--rm", "--network", "none", "--user", "4321:4321", ref]);
        assert.match(out, /^twice 42$/m);
        assert.match(out, /^OPENBLAS_NUM_THREADS 1$/m);
        assert.match(out, /^COMPILE_MODE careful$/m);
        assert.match(out, /^IMAGE_GIT_BRANCH main$/m);
        const perms = dockerOk(t, ["run", "--rm", "--network", "none", ref, "stat", "-c", "%a", "/.aesara"]);
        assert.equal(perms.trim(), "777");
        const labels = JSON.parse(dockerOk(t, ["image", "inspect", "--format", "{{json .Config.Labels}}", ref]));
        assert.equal(labels["org.opencontainers.image.source"], "https://github.com/example-lab/wcm");
    });
});
