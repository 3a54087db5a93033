import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Plan } from "../../lib/plan/offlinePlan";
import { CUSTOM_ROLES, DEVELOPER_BUILDS, SOURCE_UPLOADER } from "../../lib/project/customRoles";
import { byType, planOf, ROOT } from "../support/plan";

const IAM_TYPES =
    /^gcp:.*\/(iAMMember|iamMember|repositoryIamMember|bucketIAMMember|iAMBinding|iamBinding|iAMPolicy|iamPolicy|.*IamMember|.*IamBinding|.*IamPolicy|.*IAMMember|.*IAMBinding|.*IAMPolicy):/;
const PRIMITIVE = ["roles/owner", "roles/editor", "roles/viewer"];
const PUBLIC = ["allUsers", "allAuthenticatedUsers"];

/** Every IAM grant in a plan, as "member role [on what]". */
function grants(plan: Plan): string[] {
    return plan.resources
        .filter((r) => IAM_TYPES.test(r.type))
        .map((r) => {
            const i = r.inputs as Record<string, string>;
            const on = i.repository
                ? `repo:${i.repository}`
                : i.bucket
                  ? `bucket:${i.bucket}`
                  : i.serviceAccountId
                    ? `sa:${i.serviceAccountId.split("/").pop()}`
                    : `project:${i.project}`;
            return `${i.member} ${i.role} ${on}`;
        })
        .sort();
}

describe("pipeline accounts (team plan): identities and their grants", () => {
    let plan: Plan;
    before(async () => {
        plan = await planOf("team");
    });

    it("has the four service accounts (five with a nightly schedule), protected", () => {
        const accounts = byType(plan, "gcp:serviceaccount/account:Account")
            .map((r) => `${r.inputs.accountId} ${JSON.stringify(r.options)}`)
            .sort();
        const kept = JSON.stringify({
            dependsOn: ["apis-artifactregistry", "apis-cloudresourcemanager", "apis-iam", "apis-storage"],
            protect: true,
            retainOnDelete: true,
        });
        assert.deepEqual(
            accounts,
            ["fw-baker", "fw-build", "fw-dev-build", "fw-nightly", "fw-worker"].map((a) => `${a} ${kept}`),
        );
    });

    it("grants exactly these roles, non-authoritatively", () => {
        const sa = (id: string) => `serviceAccount:${id}@example-lab-123456.iam.gserviceaccount.com`;
        const custom = (id: string) => `projects/example-lab-123456/roles/${id}`;
        const expected = [
            `${sa("fw-build")} roles/artifactregistry.writer repo:fireworker`,
            `${sa("fw-build")} roles/artifactregistry.writer repo:fireworker-dev`,
            `${sa("fw-build")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-build-source`,
            // the wheelhouse (runtime.wheelhouse in the team example): the build account adds wheels
            `${sa("fw-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-wheelhouse`,
            `${sa("fw-build")} roles/storage.objectCreator bucket:example-lab-123456-fireworker-wheelhouse`,
            `${sa("fw-dev-build")} roles/artifactregistry.writer repo:fireworker-dev`,
            `${sa("fw-dev-build")} roles/artifactregistry.reader repo:fireworker`,
            `${sa("fw-dev-build")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-dev-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-build-source`,
            `${sa("fw-dev-build")} roles/storage.objectViewer bucket:example-lab-123456-fireworker-wheelhouse`,
            `${sa("fw-worker")} roles/artifactregistry.reader repo:fireworker`,
            `${sa("fw-worker")} roles/artifactregistry.reader repo:fireworker-dev`,
            `${sa("fw-worker")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-baker")} roles/logging.logWriter project:example-lab-123456`,
            `${sa("fw-baker")} ${custom("fireworkerBaker")} project:example-lab-123456`,
            `${sa("fw-baker")} ${custom("fireworkerBuilderVmAdmin")} project:example-lab-123456`,
            `${sa("fw-baker")} roles/artifactregistry.reader repo:fireworker`,
            `${sa("fw-baker")} roles/artifactregistry.reader repo:fireworker-dev`,
            `${sa("fw-baker")} roles/iam.serviceAccountUser sa:fw-worker@example-lab-123456.iam.gserviceaccount.com`,
            `${sa("fw-nightly")} ${custom("fireworkerTriggerRunner")} project:example-lab-123456`,
            `${sa("fw-nightly")} roles/iam.serviceAccountUser sa:fw-build@example-lab-123456.iam.gserviceaccount.com`,
            ...["user:ann@example.org", "group:lab-developers@example.org"].flatMap((m) => [
                `${m} roles/artifactregistry.writer repo:fireworker-dev`,
                `${m} roles/artifactregistry.reader repo:fireworker`,
                `${m} ${custom("fireworkerDeveloperBuilds")} project:example-lab-123456`,
                `${m} ${custom("fireworkerSourceUploader")} bucket:example-lab-123456-fireworker-build-source`,
                `${m} roles/iam.serviceAccountUser sa:fw-dev-build@example-lab-123456.iam.gserviceaccount.com`,
            ]),
        ];
        const got = grants(plan);
        // grants added by other components (e.g. the Fireworker bake) must be listed here too
        assert.deepEqual(
            got.filter((g) => !expected.includes(g)),
            [],
            "unexpected grants",
        );
        assert.deepEqual(expected.filter((g) => !got.includes(g)).sort(), [], "missing grants");
    });

    it("declares each custom role with exactly its permissions, protected and kept", () => {
        const roles = byType(plan, "gcp:projects/iAMCustomRole:IAMCustomRole");
        assert.deepEqual(roles.map((r) => r.inputs.roleId).sort(), CUSTOM_ROLES.map((r) => r.roleId).sort());
        for (const r of roles) {
            const role = CUSTOM_ROLES.find((c) => c.roleId === r.inputs.roleId)!;
            assert.deepEqual(r.inputs.permissions, [...role.permissions]);
            assert.deepEqual([r.options?.protect, r.options?.retainOnDelete], [true, true]);
        }
    });

    it("developers can upload to the bucket they stage sources in: buckets.get and objects.create, no listing", () => {
        // gcloud builds submit --gcs-source-staging-dir: buckets.get first (gcloud's storage helper), then an upload
        assert.deepEqual([...SOURCE_UPLOADER.permissions], ["storage.buckets.get", "storage.objects.create"]);
        const dev = plan.resources.find((r) => r.name === "accounts-dev-user-ann-example-org-source-uploader")!;
        assert.equal(dev.inputs.role, "projects/example-lab-123456/roles/fireworkerSourceUploader");
        assert.equal(dev.inputs.bucket, "example-lab-123456-fireworker-build-source");
    });

    it("developers get no trigger permission and no predefined Cloud Build role", () => {
        assert.ok(
            DEVELOPER_BUILDS.permissions.every((p) => p.startsWith("cloudbuild.builds.") || p.startsWith("logging.")),
        );
        assert.ok(!JSON.stringify(plan.resources).includes("roles/cloudbuild."));
    });

    it("through every grant they hold or can act as, developers cannot write the team repository or publish to gcr", () => {
        const developers = ["user:ann@example.org", "group:lab-developers@example.org"];
        const all = grants(plan).map((g) => g.split(" ") as [string, string, string]);
        // the accounts developers can run as (actAs), and what those can act as in turn
        const reach = new Set(developers);
        for (let grew = true; grew; ) {
            grew = false;
            for (const [member, role, on] of all) {
                const sa = `serviceAccount:${on.slice(3)}`;
                if (reach.has(member) && role === "roles/iam.serviceAccountUser" && !reach.has(sa)) {
                    reach.add(sa);
                    grew = true;
                }
            }
        }
        assert.deepEqual(
            [...reach].sort(),
            [...developers, "serviceAccount:fw-dev-build@example-lab-123456.iam.gserviceaccount.com"].sort(),
        );
        const custom = new Map(CUSTOM_ROLES.map((r) => [`projects/example-lab-123456/roles/${r.roleId}`, r]));
        for (const [member, role, on] of all.filter(([m]) => reach.has(m))) {
            const g = `${member} ${role} ${on}`;
            if (on === "repo:fireworker") assert.equal(role, "roles/artifactregistry.reader", g);
            assert.ok(!role.startsWith("roles/pubsub."), g);
            if (on.startsWith("project:")) {
                // project-wide: only writing logs, or a custom role without registry or Pub/Sub permissions
                const perms = custom.get(role)?.permissions;
                assert.ok(role === "roles/logging.logWriter" || perms, g);
                for (const p of perms ?? []) assert.ok(!/^(artifactregistry|pubsub|iam)\./.test(p), `${g}: ${p}`);
            }
        }
    });

    it("builds wait for the build account's grants and the APIs they call", () => {
        for (const name of ["runtime-build", "application-build"]) {
            const cmd = plan.resources.find((r) => r.type === "command:local:Command" && r.name === name)!;
            assert.deepEqual(cmd.options?.dependsOn, [
                "accounts-build-log-writer",
                "accounts-build-source-reader",
                "apis-cloudbuild",
                "apis-logging",
                "registry-build-developer-writer",
                "registry-build-team-writer",
                // team builds store compiled wheels (the runtime's only, but both wait alike)
                "wheelhouse-build-creator",
                "wheelhouse-build-reader",
            ]);
        }
    });

    it("uses no authoritative IAM (bindings or policies)", () => {
        assert.deepEqual(
            plan.resources
                .filter((r) => /(Binding|Policy):/i.test(r.type) && r.type.includes("iam"))
                .map((r) => r.type),
            [],
        );
    });
});

describe("every example stack: least privilege", () => {
    const stacks = fs
        .readdirSync(path.join(ROOT, "stacks"))
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .map((f) => f.replace(/^Pulumi\.|\.yaml$/g, ""));
    for (const stack of stacks) {
        it(`${stack}: no primitive role and no public member anywhere`, async () => {
            const plan = await planOf(stack);
            const text = JSON.stringify(plan.resources);
            for (const role of PRIMITIVE) assert.ok(!text.includes(`"${role}"`), `${stack} grants ${role}`);
            for (const who of PUBLIC) assert.ok(!text.includes(who), `${stack} grants to ${who}`);
        });
    }

    it("the scan itself finds a primitive role and a public member", () => {
        const bad = JSON.stringify([{ inputs: { role: "roles/editor", member: "allUsers" } }]);
        assert.ok(PRIMITIVE.some((r) => bad.includes(`"${r}"`)) && PUBLIC.some((p) => bad.includes(p)));
    });
});
