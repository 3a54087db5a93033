import assert from "node:assert/strict";
import {
    BAKER,
    BUILDER_PREFIX,
    BUILDER_VM_ADMIN,
    builderCondition,
    CUSTOM_ROLES,
    customRoleName,
    DEVELOPER_BUILDS,
} from "../../../lib/project/customRoles";

describe("custom roles (lib/project/customRoles.ts)", () => {
    it("each has a valid role id and sorted, unique permissions", () => {
        for (const r of CUSTOM_ROLES) {
            assert.match(r.roleId, /^[a-zA-Z0-9_.]{3,64}$/);
            assert.deepEqual([...r.permissions], [...new Set(r.permissions)].sort(), r.roleId);
            assert.ok(r.title.length <= 100 && r.description.length <= 256, r.roleId);
        }
        assert.equal(customRoleName("p-123456", BAKER), "projects/p-123456/roles/fireworkerBaker");
    });

    it("the baker can set metadata only through the conditioned builder role, and never project metadata", () => {
        const all = CUSTOM_ROLES.flatMap((r) => r.permissions);
        assert.ok(!all.includes("compute.projects.setCommonInstanceMetadata"));
        assert.ok(!BAKER.permissions.some((p) => p.startsWith("compute.instances.") && p !== "compute.instances.list"));
        assert.ok(BUILDER_VM_ADMIN.permissions.includes("compute.instances.setMetadata"));
        assert.ok(
            BUILDER_VM_ADMIN.permissions.every(
                (p) => p.startsWith("compute.instances.") || p.startsWith("compute.disks."),
            ),
        );
    });

    it("developers can follow and cancel builds and read their logs, but not touch triggers", () => {
        assert.ok(!DEVELOPER_BUILDS.permissions.some((p) => p.includes("triggers")));
        assert.ok(DEVELOPER_BUILDS.permissions.includes("logging.logEntries.list"));
    });

    it("the builder condition names builder VMs and their disks in each zone, nothing else", () => {
        const c = builderCondition("p-123456", ["us-central1-c", "us-central1-b", "us-central1-b"]);
        assert.equal(
            c.expression,
            [
                "projects/p-123456/zones/us-central1-b/instances/fwb-",
                "projects/p-123456/zones/us-central1-b/disks/fwb-",
                "projects/p-123456/zones/us-central1-c/instances/fwb-",
                "projects/p-123456/zones/us-central1-c/disks/fwb-",
            ]
                .map((p) => `resource.name.startsWith("${p}")`)
                .join(" || "),
        );
        assert.equal(BUILDER_PREFIX, "fwb-");
    });
});
