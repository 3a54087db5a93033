import assert from "node:assert/strict";
import { cleanupPolicyInputs } from "../../../lib/registry/cleanupPolicies";
import { DEFAULT_CLEANUP_POLICIES } from "../../../lib/settings/defaults";

describe("Artifact Registry cleanup policies (lib/registry/cleanupPolicies.ts)", () => {
    it("a DELETE policy by tag state and age: olderThan in seconds", () => {
        assert.deepEqual(
            cleanupPolicyInputs([{ id: "delete-untagged", action: "DELETE", tagState: "UNTAGGED", olderThanDays: 7 }]),
            [{ id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } }],
        );
        assert.deepEqual(cleanupPolicyInputs([{ id: "d", action: "DELETE", olderThanDays: 1 }]), [
            { id: "d", action: "DELETE", condition: { olderThan: "86400s" } },
        ]);
        assert.deepEqual(cleanupPolicyInputs([{ id: "d", action: "DELETE", olderThanDays: 365 }]), [
            { id: "d", action: "DELETE", condition: { olderThan: "31536000s" } },
        ]);
    });

    it("a condition with every field keeps them all, in the provider's names", () => {
        assert.deepEqual(
            cleanupPolicyInputs([
                {
                    id: "delete-old-dev",
                    action: "DELETE",
                    tagState: "TAGGED",
                    tagPrefixes: ["dev-", "tmp-"],
                    packageNamePrefixes: ["ann-", "bob-"],
                    olderThanDays: 30,
                },
            ]),
            [
                {
                    id: "delete-old-dev",
                    action: "DELETE",
                    condition: {
                        tagState: "TAGGED",
                        tagPrefixes: ["dev-", "tmp-"],
                        packageNamePrefixes: ["ann-", "bob-"],
                        olderThan: "2592000s",
                    },
                },
            ],
        );
    });

    it("a KEEP policy by condition keeps its action and condition", () => {
        assert.deepEqual(cleanupPolicyInputs([{ id: "keep-release", action: "KEEP", tagPrefixes: ["release-"] }]), [
            { id: "keep-release", action: "KEEP", condition: { tagPrefixes: ["release-"] } },
        ]);
    });

    it("a policy with no condition field has an empty condition", () => {
        assert.deepEqual(cleanupPolicyInputs([{ id: "all", action: "DELETE" }]), [
            { id: "all", action: "DELETE", condition: {} },
        ]);
    });

    it("a keepCount policy is KEEP of the most recent versions, with package prefixes when given", () => {
        assert.deepEqual(cleanupPolicyInputs([{ id: "keep-recent", action: "KEEP", keepCount: 5 }]), [
            { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 5 } },
        ]);
        assert.deepEqual(
            cleanupPolicyInputs([{ id: "keep-ann", action: "KEEP", keepCount: 2, packageNamePrefixes: ["ann-"] }]),
            [{ id: "keep-ann", action: "KEEP", mostRecentVersions: { keepCount: 2, packageNamePrefixes: ["ann-"] } }],
        );
    });

    it("the defaults become the three provider policies, in order", () => {
        assert.deepEqual(cleanupPolicyInputs(DEFAULT_CLEANUP_POLICIES), [
            { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
            { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: "2592000s" } },
            { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 5 } },
        ]);
    });

    it("no policies, no inputs", () => {
        assert.deepEqual(cleanupPolicyInputs([]), []);
    });
});
