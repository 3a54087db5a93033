// The ignore files against the real tools (lib/build/ignoreFiles.ts, gcloudIgnore.ts,
// dockerIgnore.ts): gcloud's own code and command, and real Docker builds, whose context is read
// back from the image they make.
// 1. The hand-picked cases: the real tools still give the answers recorded in
//    test/golden/ignore-cases.json, which the unit tests replay (UPDATE_GOLDEN=1 re-records them).
// 2. Random trees and ignore files from fixed seeds: our selection equals what `gcloud builds
//    submit` uploads, and what `docker build` then takes of that upload.
// Without gcloud (or Docker) these are pending with one loud line; FW_REQUIRE_TOOLS=1 (CI)
// makes that a failure.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { collectContext } from "../../../lib/build/context";
import { GOLDEN_FILE, IGNORE_CASES, materialise, type Recorded, readGolden, treeJson } from "../../support/ignoreCases";
import { randomCases } from "../../support/ignoreGen";
import {
    dockerSelection,
    type Gcloud,
    gcloudCommand,
    gcloudSelection,
    pooled,
    requireGcloudOrSkip,
    type Selection,
} from "../../support/ignoreTools";
import { requireDockerOrSkip } from "../../support/testEnv";

/** How many random cases, and from which seed (FW_IGNORE_CASES / FW_IGNORE_SEED widen a run). */
const SEED = Number(process.env.FW_IGNORE_SEED ?? 2026);
const SCALE = Number(process.env.FW_IGNORE_CASES ?? 1);
const GCLOUD_CASES = Math.round(400 * SCALE);
const GCLOUD_COMMAND_CASES = 6;
const DOCKER_CASES = Math.round(48 * SCALE);
const DOCKER_WIDTH = 4;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-ignore-diff-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Our selection of a directory context, or our one-line refusal. */
function ours(dir: string): Selection {
    try {
        return { files: sortPaths(collectContext({ kind: "directory", dir }, "/").map((e) => e.path)) };
    } catch (err) {
        return { error: (err as Error).message };
    }
}

const sortPaths = (files: string[]) => [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const sorted = (s: Selection): Selection => ("files" in s ? { files: sortPaths(s.files) } : s);
const show = (s: Selection) => ("files" in s ? JSON.stringify(s.files) : `ERROR ${s.error}`);

/** Both select the same files, or both refuse. */
function same(a: Selection, b: Selection): boolean {
    return "error" in a || "error" in b ? "error" in a && "error" in b : show(sorted(a)) === show(sorted(b));
}

/** Our refusal of a regexp that RE2 rejects: Docker evaluates patterns lazily and may never see it. */
const refusedUpFront = (s: Selection) => "error" in s && /\(Docker: (?!syntax error)/.test(s.error);

describe("ignore files against the real gcloud and Docker", function () {
    this.timeout(600_000);

    describe("the hand-picked cases (test/golden/ignore-cases.json)", () => {
        const dirs = IGNORE_CASES.map((c) => {
            const dir = path.join(work, "cases", c.name);
            materialise(c.tree, dir);
            return dir;
        });

        /** The golden file with one tool's answers replaced (UPDATE_GOLDEN=1), else checked. */
        function checkOrRecord(tool: "gcloud" | "docker", answers: Selection[]): void {
            const golden = new Map(readGolden().map((r) => [r.name, r]));
            const recorded: Recorded[] = IGNORE_CASES.map((c, i) => {
                const old = golden.get(c.name);
                return {
                    name: c.name,
                    note: c.note,
                    tree: treeJson(c.tree),
                    gcloud: tool === "gcloud" ? sorted(answers[i]) : (old?.gcloud ?? { error: "not recorded" }),
                    docker: tool === "docker" ? sorted(answers[i]) : (old?.docker ?? { error: "not recorded" }),
                };
            });
            if (process.env.UPDATE_GOLDEN === "1") {
                fs.writeFileSync(GOLDEN_FILE, `${JSON.stringify(recorded, null, 1)}\n`);
                return;
            }
            const stale = recorded
                .filter((r) => {
                    const old = golden.get(r.name);
                    return !old || JSON.stringify(old) !== JSON.stringify(r);
                })
                .map(
                    (r) =>
                        `${r.name}: ${tool} gives ${show(r[tool])}, recorded ${show(golden.get(r.name)?.[tool] ?? { error: "nothing" })}`,
                );
            assert.deepEqual(
                stale,
                [],
                "the real tool no longer gives the recorded answers (UPDATE_GOLDEN=1 re-records them)",
            );
        }

        it(`gcloud builds submit still selects what was recorded (${IGNORE_CASES.length} cases)`, async function () {
            const g = requireGcloudOrSkip(this);
            const answers = await gcloudSelection(g, dirs, "snapshot");
            checkOrRecord(
                "gcloud",
                dirs.map((d) => answers.get(d) ?? { error: "no answer" }),
            );
        });

        it(`docker build still selects what was recorded (${IGNORE_CASES.length} builds)`, async function () {
            const t = await requireDockerOrSkip(this);
            checkOrRecord("docker", await pooled(dirs, DOCKER_WIDTH, (d) => dockerSelection(t, d)));
        });
    });

    describe(`random trees and ignore files (seed ${SEED})`, () => {
        it(`${GCLOUD_CASES} cases: ours is what gcloud builds submit uploads; ${GCLOUD_COMMAND_CASES} through the gcloud command`, async function () {
            const g = requireGcloudOrSkip(this);
            const cases = randomCases("gcloud", GCLOUD_CASES, SEED);
            const dirs = cases.map((c) => {
                const dir = path.join(work, "gcloud", c.name);
                materialise(c.tree, dir);
                return dir;
            });
            const real = await gcloudSelection(g, dirs, "snapshot");
            const differ = dirs
                .map((dir, i) => ({ name: cases[i].name, ours: ours(dir), real: real.get(dir) ?? { error: "none" } }))
                .filter((r) => !same(r.ours, r.real))
                .map((r) => `${r.name}:\n    gcloud: ${show(sorted(r.real))}\n    ours:   ${show(r.ours)}`);
            assert.deepEqual(differ, []);
            assertCommandAgrees(
                g,
                cases
                    .filter((c) => !Object.values(c.tree).some((n) => typeof n === "object" && "link" in n))
                    .map((c) => path.join(work, "gcloud", c.name)),
            );
        });

        it(`${DOCKER_CASES} cases: ours is what docker build takes of what gcloud builds submit uploads`, async function () {
            const g = requireGcloudOrSkip(this);
            const t = await requireDockerOrSkip(this);
            const cases = randomCases("docker", DOCKER_CASES, SEED);
            const dirs = cases.map((c) => {
                const dir = path.join(work, "docker", c.name, "tree");
                materialise(c.tree, dir);
                return dir;
            });
            const uploaded = await gcloudSelection(g, dirs, "snapshot");
            let refused = 0;
            let withoutDockerignore = 0;
            const rows = await pooled(cases, DOCKER_WIDTH, async (c, i) => {
                const dir = dirs[i];
                const upload = uploaded.get(dir) ?? { error: "none" };
                const mine = ours(dir);
                if ("error" in upload) {
                    return { c, mine, real: upload };
                }
                // what Cloud Build's docker build receives: the upload, .dockerignore included
                const sent = path.join(work, "docker", c.name, "upload");
                const keepsDockerignore = upload.files.includes(".dockerignore");
                copyEntries(dir, sent, keepsDockerignore ? upload.files : [...upload.files, ".dockerignore"]);
                const docker = await dockerSelection(t, sent);
                if (refusedUpFront(mine) && !("error" in docker)) {
                    refused++;
                    return { c, mine, real: mine }; // Docker may never evaluate the pattern we refuse
                }
                if (!keepsDockerignore && "files" in docker) {
                    // gcloud does not upload it, so Cloud Build's Docker would not apply it: we still do
                    withoutDockerignore++;
                    return { c, mine, real: { files: docker.files.filter((f) => f !== ".dockerignore") } };
                }
                return { c, mine, real: docker };
            });
            const differ = rows
                .filter((r) => !same(r.mine, r.real))
                .map((r) => `${r.c.name}:\n    real: ${show(sorted(r.real))}\n    ours: ${show(r.mine)}`);
            assert.deepEqual(differ, []);
            process.stdout.write(
                `      (${DOCKER_CASES} builds; ${refused} with a pattern we refuse up front; ${withoutDockerignore} where gcloud does not upload .dockerignore)\n`,
            );
        });
    });
});

/**
 * The `gcloud meta list-files-for-upload` command itself agrees with ours, on trees without
 * symlinks (where it lists what builds submit uploads; it follows symlinks, builds submit does not).
 */
function assertCommandAgrees(g: Gcloud, dirs: string[]): void {
    const chosen = dirs.slice(0, GCLOUD_COMMAND_CASES);
    assert.equal(chosen.length, GCLOUD_COMMAND_CASES, "too few random cases without symlinks");
    for (const dir of chosen) {
        const command = gcloudCommand(g, dir);
        assert.ok(
            same(command, ours(dir)),
            `${dir}:\n    gcloud meta list-files-for-upload: ${show(sorted(command))}\n    ours: ${show(ours(dir))}`,
        );
    }
}

/** Copies files and symlinks (as symlinks) from one tree to another. */
function copyEntries(from: string, to: string, rels: string[]): void {
    for (const rel of rels) {
        const src = path.join(from, rel);
        const dst = path.join(to, rel);
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        const st = fs.lstatSync(src);
        if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
        else fs.copyFileSync(src, dst);
    }
}
