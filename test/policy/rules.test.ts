// The policy pack's rules (policy/rules.ts), each with inputs that pass and that fail, then the
// whole pack on the offline plans of the example stacks; last, the pack itself served the way
// the Pulumi CLI runs it (its dependencies come with the root `npm ci`: policy/ is a workspace).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { checkPlan, checkResource, dockerfileBases, type Rule, rules } from "../../policy/rules";
import { find, planOf, ROOT } from "../support/plan";

const COMMAND = "command:local:Command";
const REPOSITORY = "gcp:artifactregistry/repository:Repository";
const INSTANCE = "gcp:compute/instance:Instance";
const DIGEST = `sha256:${"a".repeat(64)}`;

function rule(name: string): Rule {
    const r = rules.find((x) => x.name === name);
    if (!r) throw new Error(`no policy ${name}`);
    return r;
}

/** A build command's inputs as the program declares them. */
function build(args: Record<string, string>, env: Record<string, string> = {}): Record<string, unknown> {
    // an application build (it has git facts) sets its labels (label_*) with the build
    const { label_application, label_email, ...rest } = args;
    const application = "git_hash" in args;
    const labels = Object.fromEntries(
        Object.entries({ application: label_application, email: label_email }).filter(([, v]) => v !== undefined),
    );
    return {
        create: "node scripts/build-image.ts",
        environment: {
            FW_KIND: application ? "application" : "runtime",
            FW_BUILD_ARGS: JSON.stringify(rest),
            ...(application ? { FW_LABELS: JSON.stringify(labels) } : {}),
            FW_DOCKERFILE: "ARG from=x\nFROM ${from}\n",
            ...env,
        },
    };
}

const APP_ARGS = {
    from: `us-central1-docker.pkg.dev/p/fireworker/runtime@${DIGEST}`,
    git_hash: "abc",
    label_application: "App",
    label_email: "lab@example.org",
};

const BAKE_OK = [
    "gcloud compute instances create builder \\",
    '  --max-run-duration="$${max_run_duration}s" --instance-termination-action=DELETE \\',
    '  --metadata="block-project-ssh-keys=TRUE,enable-guest-attributes=TRUE"',
].join("\n");

const VM_OK = {
    machineType: "e2-standard-2",
    scheduling: {
        maxRunDuration: { seconds: 3600 },
        instanceTerminationAction: "DELETE",
        provisioningModel: "STANDARD",
    },
    metadata: { "block-project-ssh-keys": "true" },
};

describe("policy pack rules (policy/rules.ts)", () => {
    it("has unique, valid names; mandatory except the labels", () => {
        assert.deepEqual(
            rules.map((r) => r.name),
            [...new Set(rules.map((r) => r.name))],
        );
        for (const r of rules) assert.match(r.name, /^[a-z0-9-]{1,100}$/);
        assert.deepEqual(
            rules.filter((r) => r.enforcementLevel === "advisory").map((r) => r.name),
            ["application-labels"],
        );
    });

    describe("no-alpine-base", () => {
        const r = rule("no-alpine-base");
        it("passes a Debian base", () => {
            assert.deepEqual(r.check(COMMAND, build({ from: "python:3.11-slim-bookworm" })), []);
        });
        it("fails an Alpine base in the build args, by repository or by tag", () => {
            assert.equal(r.check(COMMAND, build({ from: "python:3.11-alpine" })).length, 1);
            assert.match(r.check(COMMAND, build({ from: "docker.io/library/alpine:3.20" }))[0], /Alpine/);
        });
        it("fails a base resolved to its digest from an Alpine tag: the tag the plan shows beside it", () => {
            const resolved = build({ from: `python@${DIGEST}` }, { FW_BASE: "python:3.11-alpine" });
            assert.deepEqual(r.check(COMMAND, resolved), [
                'builds FROM "python:3.11-alpine", an Alpine image; use a Debian-based image such as python:3.11-slim-bookworm',
            ]);
            assert.deepEqual(
                r.check(COMMAND, build({ from: `python@${DIGEST}` }, { FW_BASE: "python:3.11-slim" })),
                [],
            );
        });
        it("fails a Dockerfile FROM alpine (literal, or through an ARG default)", () => {
            const literal = build(
                { from: "python:3.11-slim-bookworm" },
                { FW_DOCKERFILE: "FROM alpine:3.20 AS tools\nFROM ${from}\nCOPY --from=tools /x /x\n" },
            );
            assert.deepEqual(r.check(COMMAND, literal), [
                "its Dockerfile has FROM alpine:3.20, an Alpine image; use a Debian-based image",
            ]);
            const viaArg = { environment: { FW_DOCKERFILE: "ARG base=alpine:3.20\nFROM ${base}\n" } };
            assert.equal(r.check(COMMAND, viaArg).length, 1);
        });
        it("does not judge other resource types", () => {
            assert.deepEqual(r.check(REPOSITORY, build({ from: "alpine:3.20" })), []);
        });
    });

    describe("pinned-base-image", () => {
        const r = rule("pinned-base-image");
        it("passes a digest, with or without the tag it was resolved from shown beside it", () => {
            assert.deepEqual(r.check(COMMAND, build({ from: `python@${DIGEST}` })), []);
            assert.deepEqual(
                r.check(COMMAND, build({ from: `python@${DIGEST}` }, { FW_BASE: "python:3.11-slim-bookworm" })),
                [],
            );
            assert.deepEqual(r.check(COMMAND, build({ from: `localhost:5000/python:latest@${DIGEST}` })), []);
            // a local engine's image id (a base built or imported there, never pulled)
            assert.deepEqual(r.check(COMMAND, build({ from: DIGEST }, { FW_BASE: "fw/base:1" })), []);
        });
        it("fails a tag the plan shows no digest for: the same settings could build on another base", () => {
            const tag = r.check(COMMAND, build({ from: "python:3.11-slim-bookworm" }));
            assert.deepEqual(tag, [
                'builds FROM "python:3.11-slim-bookworm" by tag, and the plan shows no digest for it (a tag moves: the same settings could build on another base); build FROM the digest the tag resolves to (runtime.baseUpdates: track) or pin a digest',
            ]);
            // a tag beside a tag is no digest either
            assert.equal(r.check(COMMAND, build({ from: "python:3.11" }, { FW_BASE: "python:3.11" })).length, 1);
            assert.match(r.check(COMMAND, build({ from: "python:latest" }))[0], /by tag/);
            assert.match(r.check(COMMAND, build({ from: "localhost:5000/python" }))[0], /by tag/);
        });
        it("fails a base resolved from latest or from no tag", () => {
            assert.deepEqual(r.check(COMMAND, build({ from: `python@${DIGEST}` }, { FW_BASE: "python:latest" })), [
                'its base "python:latest" uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm',
            ]);
            assert.match(r.check(COMMAND, build({ from: `python@${DIGEST}` }, { FW_BASE: "python" }))[0], /no tag/);
        });
        it("fails an unpinned FROM in the Dockerfile, not a stage or scratch", () => {
            const df = "FROM debian AS base\nFROM base\nFROM scratch\nCOPY --from=base / /\n";
            assert.deepEqual(r.check(COMMAND, { environment: { FW_DOCKERFILE: df } }), [
                "its Dockerfile has FROM debian, which has no tag (Docker pulls whatever is latest today); pin a tag or a digest",
            ]);
        });
    });

    it("dockerfileBases resolves ARG defaults and build args, skips stages, scratch and unresolved", () => {
        const df =
            "# syntax=docker/dockerfile:1\nARG from=python:3.11\nARG other\nFROM --platform=linux/amd64 ${from} AS one\nFROM one\nFROM $other\nFROM scratch\nFROM \\\n  debian:12\n";
        assert.deepEqual(dockerfileBases(df), ["python:3.11", "debian:12"]);
        assert.deepEqual(dockerfileBases(df, { from: "python:3.12", other: "ubuntu:24.04" }), [
            "python:3.12",
            "ubuntu:24.04",
            "debian:12",
        ]);
    });

    describe("application-from-digest", () => {
        const r = rule("application-from-digest");
        it("passes an application FROM the runtime by digest (or local image id), and any runtime build", () => {
            assert.deepEqual(r.check(COMMAND, build(APP_ARGS)), []);
            assert.deepEqual(r.check(COMMAND, build({ ...APP_ARGS, from: DIGEST })), []);
            assert.deepEqual(r.check(COMMAND, build({ from: "python:3.11-slim-bookworm" })), []);
        });
        it("fails an application FROM a tag, or a short image id", () => {
            assert.equal(r.check(COMMAND, build({ ...APP_ARGS, from: "sha256:fd2b01b878ce" })).length, 1);
            assert.deepEqual(
                r.check(
                    COMMAND,
                    build({ ...APP_ARGS, from: "us-central1-docker.pkg.dev/p/fireworker/runtime:1a2b3c" }),
                ),
                [
                    'application builds FROM "us-central1-docker.pkg.dev/p/fireworker/runtime:1a2b3c"; build FROM the runtime\'s repository@sha256:... reference',
                ],
            );
        });
        it("skips build args that are not known yet", () => {
            assert.deepEqual(r.check(COMMAND, { environment: { FW_BUILD_ARGS: "(known after apply)" } }), []);
        });
    });

    describe("application-labels (advisory)", () => {
        const r = rule("application-labels");
        it("passes with both labels", () => {
            assert.deepEqual(r.check(COMMAND, build(APP_ARGS)), []);
        });
        it("fails an empty or missing label, only for the application build", () => {
            assert.equal(r.check(COMMAND, build({ ...APP_ARGS, label_email: " " })).length, 1);
            const { label_application: _omit, ...noApp } = APP_ARGS;
            assert.deepEqual(r.check(COMMAND, build({ ...noApp, label_email: "" })), [
                "application image has no application label; set fireworker-images:application.labels.application",
                "application image has no email label; set fireworker-images:application.labels.email",
            ]);
            assert.deepEqual(r.check(COMMAND, build({ from: "python:3.11-slim-bookworm" })), []);
        });
    });

    describe("no-primitive-roles", () => {
        const r = rule("no-primitive-roles");
        it("passes predefined roles on every kind of IAM resource", () => {
            assert.deepEqual(
                r.check("gcp:projects/iAMMember:IAMMember", {
                    role: "roles/logging.logWriter",
                    member: "serviceAccount:a@p.iam.gserviceaccount.com",
                }),
                [],
            );
            assert.deepEqual(
                r.check("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", {
                    role: "roles/artifactregistry.reader",
                    member: "group:g@example.org",
                }),
                [],
            );
        });
        it("fails owner, editor and viewer in members, bindings and policies", () => {
            assert.equal(
                r.check("gcp:projects/iAMMember:IAMMember", { role: "roles/editor", member: "user:ann@example.org" })
                    .length,
                1,
            );
            assert.equal(
                r.check("gcp:storage/bucketIAMBinding:BucketIAMBinding", {
                    role: "roles/viewer",
                    members: ["group:g@example.org"],
                }).length,
                1,
            );
            const policyData = JSON.stringify({
                bindings: [
                    { role: "roles/owner", members: ["user:a@example.org"] },
                    { role: "roles/run.invoker", members: ["user:b@example.org"] },
                ],
            });
            assert.deepEqual(r.check("gcp:projects/iAMPolicy:IAMPolicy", { project: "p", policyData }), [
                "grants the primitive role roles/owner to user:a@example.org; grant a predefined role with only the permissions needed",
            ]);
        });
        it("does not judge non-IAM resources", () => {
            assert.deepEqual(r.check("gcp:projects/iAMCustomRole:IAMCustomRole", { role: "roles/owner" }), []);
            assert.deepEqual(r.check(COMMAND, { role: "roles/owner" }), []);
        });
    });

    describe("no-public-members", () => {
        const r = rule("no-public-members");
        it("passes named members", () => {
            assert.deepEqual(
                r.check("gcp:storage/bucketIAMMember:BucketIAMMember", {
                    role: "roles/storage.objectViewer",
                    member: "serviceAccount:a@p.iam.gserviceaccount.com",
                }),
                [],
            );
        });
        it("fails allUsers and allAuthenticatedUsers", () => {
            assert.deepEqual(
                r.check("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", {
                    role: "roles/artifactregistry.reader",
                    member: "allUsers",
                }),
                ["grants roles/artifactregistry.reader to the public member allUsers"],
            );
            assert.equal(
                r.check("gcp:storage/bucketIAMBinding:BucketIAMBinding", {
                    role: "roles/storage.objectViewer",
                    members: ["user:a@example.org", "allAuthenticatedUsers"],
                }).length,
                1,
            );
            const policyData = JSON.stringify({
                bindings: [{ role: "roles/storage.objectViewer", members: ["allUsers"] }],
            });
            assert.equal(r.check("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", { bucket: "b", policyData }).length, 1);
        });
    });

    describe("builder-vm-max-run-duration", () => {
        const r = rule("builder-vm-max-run-duration");
        it("passes a VM that deletes itself, and a bake config that says so", () => {
            assert.deepEqual(r.check(INSTANCE, VM_OK), []);
            assert.deepEqual(r.check(COMMAND, { environment: { FW_BAKE_CONFIG: BAKE_OK } }), []);
        });
        it("fails a VM without max run duration, or that only stops", () => {
            assert.deepEqual(r.check(INSTANCE, { ...VM_OK, scheduling: {} }), [
                "has no scheduling.maxRunDuration; a builder VM must stop itself",
                'has scheduling.instanceTerminationAction null; use "DELETE" so nothing is left behind',
            ]);
            assert.equal(
                r.check(INSTANCE, { ...VM_OK, scheduling: { ...VM_OK.scheduling, instanceTerminationAction: "STOP" } })
                    .length,
                1,
            );
        });
        it("fails a bake config without --max-run-duration or DELETE", () => {
            assert.deepEqual(
                r.check(COMMAND, {
                    environment: {
                        FW_BAKE_CONFIG: "gcloud compute instances create b --metadata=block-project-ssh-keys=TRUE",
                    },
                }),
                [
                    "its bake config creates the builder VM without --max-run-duration",
                    "its bake config creates the builder VM without --instance-termination-action=DELETE",
                ],
            );
        });
    });

    describe("builder-vm-no-project-ssh-keys", () => {
        const r = rule("builder-vm-no-project-ssh-keys");
        it("passes a VM and a bake config that block project SSH keys", () => {
            assert.deepEqual(r.check(INSTANCE, VM_OK), []);
            assert.deepEqual(r.check(INSTANCE, { ...VM_OK, metadata: { "block-project-ssh-keys": "TRUE" } }), []);
            assert.deepEqual(r.check(COMMAND, { environment: { FW_BAKE_CONFIG: BAKE_OK } }), []);
        });
        it("fails without the metadata, or with it false", () => {
            assert.equal(r.check(INSTANCE, { ...VM_OK, metadata: {} }).length, 1);
            assert.equal(r.check(INSTANCE, { ...VM_OK, metadata: { "block-project-ssh-keys": "false" } }).length, 1);
            assert.deepEqual(
                r.check(COMMAND, {
                    environment: { FW_BAKE_CONFIG: BAKE_OK.replace("block-project-ssh-keys=TRUE,", "") },
                }),
                ["its bake config creates the builder VM without block-project-ssh-keys=TRUE"],
            );
        });
        it("ignores commands without a bake config", () => {
            assert.deepEqual(r.check(COMMAND, build(APP_ARGS)), []);
        });
    });

    describe("developer-repository-cleanup", () => {
        const r = rule("developer-repository-cleanup");
        const dev = {
            format: "DOCKER",
            dockerConfig: { immutableTags: false },
            cleanupPolicies: [{ id: "old", action: "DELETE", condition: { olderThan: "2592000s" } }],
        };
        it("passes a mutable repository that deletes, and any immutable one", () => {
            assert.deepEqual(r.check(REPOSITORY, dev), []);
            assert.deepEqual(r.check(REPOSITORY, { format: "DOCKER", dockerConfig: { immutableTags: true } }), []);
        });
        it("fails no policies, only KEEP policies, dry run, and an unset dockerConfig (mutable)", () => {
            assert.deepEqual(r.check(REPOSITORY, { ...dev, cleanupPolicies: [] }), [
                "has mutable tags and no DELETE cleanup policy; its images are never deleted",
            ]);
            assert.equal(
                r.check(REPOSITORY, {
                    ...dev,
                    cleanupPolicies: [{ id: "k", action: "KEEP", mostRecentVersions: { keepCount: 5 } }],
                }).length,
                1,
            );
            assert.deepEqual(r.check(REPOSITORY, { ...dev, cleanupPolicyDryRun: true }), [
                "has cleanupPolicyDryRun true: its cleanup policies delete nothing",
            ]);
            assert.equal(r.check(REPOSITORY, { format: "DOCKER" }).length, 1);
        });
        it("does not judge other formats", () => {
            assert.deepEqual(r.check(REPOSITORY, { format: "PYTHON" }), []);
        });
    });

    describe("team-repository-protected", () => {
        const r = rule("team-repository-protected");
        const team = { format: "DOCKER", dockerConfig: { immutableTags: true } };
        it("passes a protected immutable repository, and mutable ones unprotected", () => {
            assert.deepEqual(r.check(REPOSITORY, team, { protect: true }), []);
            assert.deepEqual(r.check(REPOSITORY, { format: "DOCKER", dockerConfig: { immutableTags: false } }), []);
        });
        it("fails an unprotected immutable repository", () => {
            assert.deepEqual(r.check(REPOSITORY, team), [
                "has immutable tags (the team's images) but is not protected; set the protect resource option",
            ]);
            assert.equal(r.check(REPOSITORY, team, { protect: false }).length, 1);
        });
    });
});

describe("policy pack on the offline plans", function () {
    this.timeout(300000);

    for (const stack of ["team", "local", "dev-example"]) {
        it(`passes the ${stack} stack with no violation, advisory included`, async () => {
            assert.deepEqual(checkPlan(await planOf(stack)), []);
        });
    }

    it("the team plan has what the rules look at (so passing means something)", async () => {
        const plan = await planOf("team");
        const types = new Set(plan.resources.map((r) => r.type));
        assert.ok(types.has(REPOSITORY) && types.has(COMMAND) && types.has("gcp:projects/iAMMember:IAMMember"));
        assert.equal(find(plan, REPOSITORY, "registry-team").options?.protect, true);
        // the runtime's base by tag, beside the digest it builds FROM
        const env = find(plan, COMMAND, "runtime-build", "runtime").inputs.environment as Record<string, string>;
        assert.equal(env.FW_BASE, "python:3.11-slim-bookworm");
        assert.match(JSON.parse(env.FW_BUILD_ARGS).from, /^python@sha256:[0-9a-f]{64}$/);
    });

    it("fails an Alpine runtime build (hand-made: the settings reject Alpine before any plan)", async () => {
        const plan = await planOf("local");
        const runtime = find(plan, COMMAND, "runtime-build", "runtime");
        const env = runtime.inputs.environment as Record<string, string>;
        const alpine = {
            ...runtime,
            inputs: {
                ...runtime.inputs,
                environment: { ...env, FW_BUILD_ARGS: JSON.stringify({ from: "python:3.11-alpine" }) },
            },
        };
        const violations = checkPlan({ resources: [...plan.resources.filter((r) => r !== runtime), alpine] });
        assert.deepEqual(
            violations.map((v) => [v.policy, v.enforcementLevel, v.resource]),
            [
                ["no-alpine-base", "mandatory", "command:local:Command runtime-build (runtime)"],
                // and a tag without its digest
                ["pinned-base-image", "mandatory", "command:local:Command runtime-build (runtime)"],
            ],
        );
        // and the settings do reject it before planning
        await assert.rejects(
            planOf("local", { "fireworker-images:runtime": JSON.stringify({ base: "python:3.11-alpine" }) }),
            /Alpine image/,
        );
    });

    it("fails a team plan with a primitive role, and one whose team repository is unprotected", async () => {
        const plan = await planOf("team");
        const editor = {
            type: "gcp:projects/iAMMember:IAMMember",
            name: "accounts-dev-editor",
            parent: "accounts",
            inputs: { project: "example-lab-123456", role: "roles/editor", member: "group:lab-developers@example.org" },
        };
        assert.deepEqual(
            checkPlan({ resources: [...plan.resources, editor] }).map((v) => [v.policy, v.resource]),
            [["no-primitive-roles", "gcp:projects/iAMMember:IAMMember accounts-dev-editor (accounts)"]],
        );
        const unprotected = plan.resources.map((r) =>
            r.type === REPOSITORY && r.name === "registry-team" ? { ...r, options: undefined } : r,
        );
        assert.deepEqual(
            checkPlan({ resources: unprotected }).map((v) => v.policy),
            ["team-repository-protected"],
        );
    });

    it("checkResource reports policy and enforcement level", () => {
        assert.deepEqual(
            checkResource("gcp:projects/iAMMember:IAMMember", { role: "roles/owner", member: "allUsers" }),
            [
                {
                    policy: "no-primitive-roles",
                    enforcementLevel: "mandatory",
                    message:
                        "grants the primitive role roles/owner to allUsers; grant a predefined role with only the permissions needed",
                },
                {
                    policy: "no-public-members",
                    enforcementLevel: "mandatory",
                    message: "grants roles/owner to the public member allUsers",
                },
            ],
        );
    });
});

// ------------------------------------------------------------ the pack as the Pulumi CLI runs it

const POLICY_DIR = path.join(ROOT, "policy");
/** A module as the policy pack resolves it (policy/ is an npm workspace: hoisted to the root). */
const fromPolicy = (request: string) => require.resolve(request, { paths: [POLICY_DIR] });

describe("policy pack served as by `pulumi preview --policy-pack policy`", function () {
    this.timeout(120000);
    let child: ChildProcess | undefined;
    let port = "";

    before(async () => {
        // what the CLI's analyzer plugin runs: the pack program, which prints its gRPC port
        child = spawn(
            process.execPath,
            [path.dirname(fromPolicy("@pulumi/pulumi/cmd/run-policy-pack/index.js")), "127.0.0.1:1", "."],
            {
                cwd: POLICY_DIR,
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        port = await new Promise<string>((resolve, reject) => {
            let out = "";
            child!.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(m[1]);
            });
            child!.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
        });
    });

    after(() => {
        child?.kill();
    });

    /* eslint-disable @typescript-eslint/no-require-imports */
    function client(): any {
        const grpc = require(fromPolicy("@grpc/grpc-js"));
        const services = require(fromPolicy("@pulumi/pulumi/proto/analyzer_grpc_pb.js"));
        return new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }

    function call<T>(method: string, req: unknown): Promise<T> {
        const c = client();
        return new Promise((resolve, reject) =>
            c[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
        );
    }

    async function analyze(
        type: string,
        props: Record<string, unknown>,
        protect = false,
    ): Promise<[string, number, string][]> {
        const pb = require(fromPolicy("@pulumi/pulumi/proto/analyzer_pb.js"));
        const { Struct } = require(fromPolicy("google-protobuf/google/protobuf/struct_pb.js"));
        const req = new pb.AnalyzeRequest();
        req.setType(type);
        req.setName("r");
        req.setUrn(`urn:pulumi:team::fireworker-images::${type}::r`);
        req.setProperties(Struct.fromJavaScript(props));
        const opts = new pb.AnalyzerResourceOptions();
        opts.setProtect(protect);
        req.setOptions(opts);
        const res: any = await call("analyze", req);
        return res
            .getDiagnosticsList()
            .map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage().split("\n").pop()]);
    }

    it("declares every rule with its enforcement level", async () => {
        const { Empty } = require(fromPolicy("google-protobuf/google/protobuf/empty_pb.js"));
        const info: any = await call("getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "fireworker-images");
        const levels = { advisory: 0, mandatory: 1 };
        assert.deepEqual(
            info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]),
            rules.map((r) => [r.name, levels[r.enforcementLevel]]),
        );
    });

    it("reports the rules' messages, with protect from the resource options", async () => {
        const team = { format: "DOCKER", dockerConfig: { immutableTags: true } };
        assert.deepEqual(await analyze(REPOSITORY, team, false), [
            [
                "team-repository-protected",
                1,
                "has immutable tags (the team's images) but is not protected; set the protect resource option",
            ],
        ]);
        assert.deepEqual(await analyze(REPOSITORY, team, true), []);
        assert.deepEqual(
            await analyze("gcp:projects/iAMMember:IAMMember", {
                project: "p",
                role: "roles/editor",
                member: "user:a@example.org",
            }),
            [
                [
                    "no-primitive-roles",
                    1,
                    "grants the primitive role roles/editor to user:a@example.org; grant a predefined role with only the permissions needed",
                ],
            ],
        );
        assert.deepEqual(await analyze(COMMAND, build({ ...APP_ARGS, label_email: "" })), [
            [
                "application-labels",
                0,
                "application image has no email label; set fireworker-images:application.labels.email",
            ],
        ]);
    });
});
