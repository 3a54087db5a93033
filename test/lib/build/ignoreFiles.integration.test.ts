// The ignore files against the real tools (lib/build/ignoreFiles.ts, gcloudIgnore.ts,
// dockerIgnore.ts): gcloud's own code and command, and real Docker builds that list their context.
// 1. The hand-picked cases: the real tools still give the answers recorded in
//    test/golden/ignore-cases.json, which the unit tests replay (UPDATE_GOLDEN=1 re-records them).
// Without gcloud (or Docker) these are skipped with one loud line; FW_REQUIRE_GCLOUD=1 and
// FW_REQUIRE_DOCKER=1 (CI) make that a failure.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GOLDEN_FILE, IGNORE_CASES, materialise, type Recorded, readGolden, treeJson } from "../../support/ignoreCases";
import {
    dockerSelection,
    gcloudSelection,
    pooled,
    requireGcloudOrSkip,
    type Selection,
} from "../../support/ignoreTools";
import { requireDockerOrSkip } from "../../support/testEnv";

/** Docker builds at a time. */
const DOCKER_WIDTH = 4;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-ignore-diff-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const sortPaths = (files: string[]) => [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const sorted = (s: Selection): Selection => ("files" in s ? { files: sortPaths(s.files) } : s);
const show = (s: Selection) => ("files" in s ? JSON.stringify(s.files) : `ERROR ${s.error}`);

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
});
