// What a reviewer reads first (lib/plan/planSummary.ts): its parts on hand-made values, and whole
// summaries of real plans of the example stacks.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { PlannedBuild } from "../../../lib/plan/buildInputs";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { diffPlans } from "../../../lib/plan/planDiff";
import { renderPlanDiff } from "../../../lib/plan/planDiffMarkdown";
import {
    fileChanges,
    isHashOnly,
    requirementChanges,
    requirementName,
    settingChanges,
    summarizePlans,
} from "../../../lib/plan/planSummary";
import { Payload } from "../../support/payload";
import { patchSetting, planOf } from "../../support/plan";

const summarize = (a: Plan | null, b: Plan | null) => summarizePlans(a, b, diffPlans(a, b));

function build(entries: string[]): PlannedBuild {
    return {
        name: "b",
        parent: "application",
        kind: "application",
        builder: "docker",
        image: "i",
        from: "f",
        layers: 1,
        upload: 0,
        context: { digest: "", files: entries.length, bytes: 0, entries },
    };
}

describe("the plan summary (lib/plan/planSummary.ts)", function () {
    this.timeout(300000);

    describe("its parts", () => {
        it("a hash-only change swaps hex runs of 12 or more and nothing else", () => {
            const tag = (t: string) => `us-docker.pkg.dev/p/r/app:${t}`;
            assert.ok(
                isHashOnly({
                    path: "p",
                    kind: "changed",
                    old: tag("0123456789abcdef0123"),
                    new: tag("fedcba98765432100123"),
                }),
            );
            assert.ok(
                isHashOnly({ path: "p", kind: "changed", old: ["a", "0123456789abcd"], new: ["a", "ffff456789abcd"] }),
            );
            assert.ok(
                !isHashOnly({
                    path: "p",
                    kind: "changed",
                    old: tag("0123456789abcdef0123"),
                    new: `${tag("fedcba98765432100123")}x`,
                }),
            );
            assert.ok(!isHashOnly({ path: "p", kind: "changed", old: "lab@example.org", new: "team@example.org" }));
            assert.ok(
                !isHashOnly({ path: "p", kind: "changed", old: "abc123", new: "abc124" }),
                "short hex is not a hash",
            );
            assert.ok(!isHashOnly({ path: "p", kind: "added", new: "0123456789abcdef" }));
        });

        it("files added, removed and changed, with sizes and exec bits, by path", () => {
            const a = build([
                "a.py 10 aaaaaaaaaaaa",
                "b.py 5 bbbbbbbbbbbb",
                "run.sh 3 cccccccccccc",
                "same 1 dddddddddddd",
            ]);
            const b = build([
                "a.py 26 eeeeeeeeeeee",
                "c.py 7 ffffffffffff",
                "run.sh 3 cccccccccccc x",
                "same 1 dddddddddddd",
            ]);
            assert.deepEqual(fileChanges(a, b), [
                {
                    path: "a.py",
                    kind: "changed",
                    old: { size: 10, hash: "aaaaaaaaaaaa", flag: "" },
                    new: { size: 26, hash: "eeeeeeeeeeee", flag: "" },
                },
                { path: "b.py", kind: "removed", old: { size: 5, hash: "bbbbbbbbbbbb", flag: "" } },
                { path: "c.py", kind: "added", new: { size: 7, hash: "ffffffffffff", flag: "" } },
                {
                    path: "run.sh",
                    kind: "changed",
                    old: { size: 3, hash: "cccccccccccc", flag: "" },
                    new: { size: 3, hash: "cccccccccccc", flag: "x" },
                },
            ]);
        });

        it("requirement lines: one package's new line is a change; options and URLs only come and go", () => {
            assert.equal(requirementName("Foo_Bar.baz>=1"), "foo-bar-baz");
            assert.equal(requirementName("numpy[extra]==1 ; python_version>'3'"), "numpy");
            assert.equal(requirementName("--index-url https://x"), undefined);
            assert.equal(requirementName("https://example.org/x.whl"), undefined);
            const old = [{ file: "requirements.txt", lines: ["numpy==1.26.4", "pandas", "--pre"] }];
            const next = [
                { file: "requirements.txt", lines: ["NumPy==2.0.0", "scipy==1.11.4", "--pre"] },
                { file: "requirements-dev.txt", lines: ["pytest"] },
            ];
            assert.deepEqual(requirementChanges(old, next), [
                { file: "requirements-dev.txt", kind: "added", new: "pytest" },
                { file: "requirements.txt", kind: "changed", old: "numpy==1.26.4", new: "NumPy==2.0.0" },
                { file: "requirements.txt", kind: "added", new: "scipy==1.11.4" },
                { file: "requirements.txt", kind: "removed", old: "pandas" },
            ]);
            assert.deepEqual(requirementChanges(next, next), []);
        });

        it("settings by key; an object-valued setting by each of its keys; lists whole", () => {
            const old = {
                "runtime.aptPackages": ["swig"],
                "application.labels": { email: "a@x.org", license: "L" },
                "runtime.machineType": "E2_HIGHCPU_8",
            };
            const next = {
                "runtime.aptPackages": ["swig", "gfortran"],
                "application.labels": { email: "b@x.org", website: "w" },
                "triggers.repository": "o/r",
            };
            assert.deepEqual(settingChanges(old, next), [
                { key: "application.labels.email", kind: "changed", old: "a@x.org", new: "b@x.org" },
                { key: "application.labels.license", kind: "removed", old: "L" },
                { key: "application.labels.website", kind: "added", new: "w" },
                { key: "runtime.aptPackages", kind: "changed", old: ["swig"], new: ["swig", "gfortran"] },
                { key: "runtime.machineType", kind: "removed", old: "E2_HIGHCPU_8" },
                { key: "triggers.repository", kind: "added", new: "o/r" },
            ]);
        });
    });

    describe("summaries of real plans", () => {
        it("a setting that rebuilds nothing: its image is unchanged and the setting is named", async () => {
            const before = await planOf("local");
            const after = await planOf("local", patchSetting("local", "application", { friendlyTag: "stable" }));
            const s = summarize(before, after);
            assert.deepEqual(
                s.images.map((i) => [i.kind, i.status]),
                [
                    ["runtime", "unchanged"],
                    ["application", "unchanged"],
                ],
            );
            assert.deepEqual(s.images[1].settings, [
                { key: "application.friendlyTag", kind: "changed", old: "latest", new: "stable" },
            ]);
            const text = renderPlanDiff(before, after);
            assert.match(
                text,
                /^## Stack `local`: no image rebuilds; only hashes and outputs change\n\n\*\*Will run:\*\* no build and no bake\.\n/,
            );
            assert.match(
                text,
                / {2}- setting: `application\.friendlyTag`: `"latest"` → `"stable"`\n {2}- \(these settings take effect without a rebuild\)\n/,
            );
        });

        it("a setting nothing uses in this stack: named among the other settings, nothing else changes", async () => {
            const before = await planOf("dev-example");
            const after = await planOf(
                "dev-example",
                patchSetting("dev-example", "runtime", { aptPackages: ["swig"] }),
            );
            assert.deepEqual(diffPlans(before, after).status, "unchanged");
            assert.equal(
                renderPlanDiff(before, after),
                [
                    "## Stack `dev-example`: no image rebuilds; no resource changes",
                    "",
                    "**Will run:** no build and no bake.",
                    "",
                    "- **application** unchanged: `us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/example-app`",
                    '- Other settings: `runtime.aptPackages`: `[]` → `["swig"]`',
                    "",
                ].join("\n"),
            );
        });

        it("a new developer: other resources added, the setting among the other settings, nothing rebuilt", async () => {
            const before = await planOf("team");
            const developers = ["user:ann@example.org", "group:lab-developers@example.org", "user:bob@example.org"];
            const after = await planOf("team", patchSetting("team", "registry", { developers }));
            const s = summarize(before, after);
            assert.ok(s.images.every((i) => i.status === "unchanged"));
            assert.deepEqual(
                s.settings.map((c) => c.key),
                ["registry.developers"],
            );
            assert.ok(s.added.length >= 4, JSON.stringify(s.added));
            assert.ok(s.added.every((r) => r.name.includes("bob")));
            assert.deepEqual(s.changed, []);
            const text = renderPlanDiff(before, after);
            assert.match(
                text,
                new RegExp(`^## Stack \`team\`: no image rebuilds; ${s.added.length} other resources change\\n`),
            );
            assert.match(text, /- Other resources:\n {2}- added `gcp:/);
        });

        it("a developer's own runtime: it builds (new), the application then builds FROM it", async () => {
            const before = await planOf("dev-example");
            const after = await planOf("dev-example", patchSetting("dev-example", "runtime", { experimental: true }));
            const s = summarize(before, after);
            assert.deepEqual(
                s.images.map((i) => [i.kind, i.status, i.fromNewRuntime]),
                [
                    ["runtime", "builds", false],
                    ["application", "rebuilds", true],
                ],
            );
            assert.match(
                renderPlanDiff(before, after),
                /in order:\*\* the runtime build \(2 layers; uploads .*\), then the application build FROM the new runtime/,
            );
            // and back: the runtime build is removed
            assert.equal(summarize(after, before).images[0].status, "removed");
        });

        it("a base plan made before plans recorded builds and settings: the summary says its reasons are partial", async () => {
            const payload = new Payload("summary-old-plan");
            try {
                const before = await planOf("local", payload.settings("local"));
                fs.appendFileSync(payload.file("main.py"), "# more\n");
                payload.commit("More");
                const after = await planOf("local", payload.settings("local"));
                const { builds: _b, settings: _s, placeholders: _p, ...old } = before;
                const s = summarize(old, after);
                const app = s.images.find((i) => i.kind === "application");
                assert.equal(app?.status, "rebuilds");
                assert.equal(app?.unrecorded, true);
                assert.deepEqual(app?.files, []);
                assert.equal(s.settingsRecorded, false);
                const text = renderPlanDiff(old, after);
                assert.match(
                    text,
                    /_The base plan was made before plans recorded files and settings: the reasons above are partial; the full diff has every change\._/,
                );
                // with both records, the same change names the file
                assert.deepEqual(
                    summarize(before, after)
                        .images.find((i) => i.kind === "application")
                        ?.files.map((f) => f.path),
                    ["main.py"],
                );
            } finally {
                payload.remove();
            }
        });
    });
});
