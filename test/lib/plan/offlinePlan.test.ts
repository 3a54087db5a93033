import assert from "node:assert/strict";
import { type Plan, planJson, planStack } from "../../../lib/plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../../../lib/plan/stackFile";
import { ROOT } from "../../support/plan";

const configOf = (stack: string) => stackConfig(resolveStackFile(stack, ROOT).file);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("the offline plan (lib/plan/offlinePlan.ts)", function () {
    this.timeout(120000);
    let team: Plan;
    before(async () => {
        team = await planStack("team", configOf("team"));
    });

    it("lists every resource sorted by type, then name, with its parent and the options reviewers need", async () => {
        const keys = team.resources.map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(
            keys,
            [...team.resources]
                .sort((a, b) => cmp(a.type, b.type) || cmp(a.name, b.name))
                .map((r) => `${r.type} ${r.name}`),
        );
        const build = team.resources.find((r) => r.name === "runtime-build");
        assert.equal(build?.parent, "runtime");
        const repo = team.resources.find((r) => r.name === "registry-team");
        // dependsOn: what it waits for besides what its inputs come from
        assert.deepEqual(repo?.options, { protect: true, retainOnDelete: true, dependsOn: ["apis-artifactregistry"] });
        const app = team.resources.find((r) => r.name === "application-build");
        assert.ok(!app?.options?.dependsOn?.includes("runtime-build"), "an input's resource is not listed");
        const local = await planStack("local", configOf("local"));
        assert.equal(local.resources.find((r) => r.name === "runtime-build")?.options, undefined);
    });

    it("lists the team stack a developer stack reads, and resolves the outputs", async () => {
        const dev = await planStack("dev-example", configOf("dev-example"));
        const ref = dev.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
        assert.equal(ref?.name, "team");
        assert.deepEqual(ref?.inputs, { name: "organization/fireworker-images/team" });
        assert.equal(dev.outputs.developer, "example");
        assert.match(
            String(dev.outputs.applicationReference),
            /^us-central1-docker\.pkg\.dev\/.*@sha256:[0-9a-f]{64}$/,
        );
    });

    it("keeps no SDK bookkeeping keys and no undefined values in inputs", () => {
        const text = planJson(team);
        assert.ok(!text.includes("__defaults"));
        assert.ok(text.endsWith("}\n"));
        assert.deepEqual(JSON.parse(text), team);
    });

    it("hands each image build to an executor instead of faking it, when given one", async () => {
        const seen: string[] = [];
        const plan = await planStack("local", configOf("local"), {
            execute: async (env) => {
                seen.push(env.FW_IMAGE);
                return { digest: `sha256:${"c".repeat(64)}`, reference: `sha256:${"c".repeat(64)}` };
            },
        });
        assert.deepEqual(seen.sort(), ["fireworker/app", "fireworker/runtime"]);
        assert.equal(plan.outputs.applicationReference, `sha256:${"c".repeat(64)}`);
    });
});
