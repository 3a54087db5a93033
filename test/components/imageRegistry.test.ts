import assert from "node:assert/strict";
import type { Plan } from "../../lib/plan/offlinePlan";
import { byType, find, planOf } from "../support/plan";

describe("image registry (team plan)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planOf("team");
    });

    it("has an immutable team repository and a cleaned developer repository, both protected", () => {
        const team = find(plan, "gcp:artifactregistry/repository:Repository", "registry-team");
        const dev = find(plan, "gcp:artifactregistry/repository:Repository", "registry-developer");
        assert.deepEqual(team.inputs.dockerConfig, { immutableTags: true });
        assert.equal(team.inputs.cleanupPolicies, undefined);
        assert.deepEqual(dev.inputs.dockerConfig, { immutableTags: false });
        assert.deepEqual(dev.inputs.cleanupPolicies, [
            { action: "DELETE", condition: { olderThan: "604800s", tagState: "UNTAGGED" }, id: "delete-untagged" },
            { action: "DELETE", condition: { olderThan: "2592000s", tagState: "ANY" }, id: "delete-old" },
            { action: "KEEP", id: "keep-recent", mostRecentVersions: { keepCount: 5 } },
        ]);
        for (const r of [team, dev]) {
            // created only once the Artifact Registry API is on
            assert.deepEqual(r.options, { protect: true, retainOnDelete: true, dependsOn: ["apis-artifactregistry"] });
            assert.equal(r.inputs.location, "us-central1");
            assert.equal(r.inputs.format, "DOCKER");
        }
    });

    it("grants pull and push on each repository through its grant helpers, never on the project", () => {
        const grants = byType(plan, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
        assert.ok(grants.length > 0);
        for (const g of grants) {
            assert.equal(g.parent, "registry");
            assert.match(String(g.inputs.role), /^roles\/artifactregistry\.(reader|writer)$/);
            assert.ok(["fireworker", "fireworker-dev"].includes(String(g.inputs.repository)));
        }
    });

    it("exports the registry host and repository paths the developer stacks read", () => {
        assert.equal(plan.outputs.registryHost, "us-central1-docker.pkg.dev");
        assert.equal(plan.outputs.teamRepository, "us-central1-docker.pkg.dev/example-lab-123456/fireworker");
        assert.equal(plan.outputs.developerRepository, "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev");
    });
});
