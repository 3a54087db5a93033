import assert from "node:assert/strict";
import { SettingsError, show } from "../../../lib/errors";
import { effectiveSettings, loadSettings } from "../../../lib/settings/loadSettings";
import { makeSchema, OBJECT_KEYS, settingKeys } from "../../../lib/settings/schema";
import { ROOT } from "../../support/plan";

const NS = "fireworker-images";
const cloud = { "gcp:project": "example-lab-123456", "gcp:region": "us-central1" };
const team = { ...cloud, [`${NS}:mode`]: "team" };
const json = (v: unknown) => JSON.stringify(v);

function lines(config: Record<string, string>, stack = "team"): string[] {
    try {
        loadSettings(config, { stack, projectRoot: ROOT });
    } catch (err) {
        assert.ok(err instanceof SettingsError, `expected a SettingsError, got ${err}`);
        return err.lines;
    }
    return [];
}

describe("settings", () => {
    it("applies defaults for a minimal team stack", () => {
        const s = loadSettings(team, { stack: "team", projectRoot: ROOT });
        assert.ok(s.mode === "team");
        assert.equal(s.runtime.base, "python:3.11-slim-bookworm");
        assert.equal(s.runtime.timeout, 3600);
        assert.equal(s.application.timeout, 900);
        assert.equal(s.application.context, "example");
        assert.equal(s.registry.location, "us-central1");
        assert.equal(s.cloudBuild.region, "us-central1");
        assert.deepEqual(
            s.registry.cleanupPolicies.map((p) => p.id),
            ["delete-untagged", "delete-old", "keep-recent"],
        );
        assert.equal(s.fireworker?.keep, 2);
        assert.equal(s.fireworker?.zone, "us-central1-b");
        assert.equal(s.fireworker?.family, "fireworker");
    });

    it("takes the developer id from the stack name dev-<id>", () => {
        const s = loadSettings({ ...cloud, [`${NS}:mode`]: "developer" }, { stack: "dev-ann", projectRoot: ROOT });
        assert.ok(s.mode === "developer");
        assert.equal(s.developer, "ann");
        const t = loadSettings(
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:developer`]: "bob" },
            { stack: "dev-ann", projectRoot: ROOT },
        );
        assert.ok(t.mode === "developer");
        assert.equal(t.developer, "bob");
    });

    it("needs no Google settings in a local stack", () => {
        const s = loadSettings({ [`${NS}:mode`]: "local" }, { stack: "local", projectRoot: ROOT });
        assert.equal(s.mode, "local");
        assert.ok(!("gcp" in s));
    });

    it("parses durations", () => {
        const s = loadSettings(
            { ...team, [`${NS}:runtime`]: json({ timeout: "2h" }), [`${NS}:application`]: json({ timeout: "90s" }) },
            { stack: "team", projectRoot: ROOT },
        );
        assert.equal(s.runtime.timeout, 7200);
        assert.equal(s.application.timeout, 90);
    });

    // Each bad setting gives exactly this one line.
    const table: [string, Record<string, string>, string, string?][] = [
        [
            "missing gcp:project",
            { [`${NS}:mode`]: "team", "gcp:region": "us-central1" },
            "gcp:project: unset; team and developer stacks need a Google Cloud project id (pulumi config set gcp:project PROJECT_ID)",
        ],
        [
            "ill-formed gcp:project",
            { ...team, "gcp:project": "My_Project" },
            'gcp:project: "My_Project" is not a project id; allowed: 6 to 30 lowercase letters, digits and dashes, starting with a letter',
        ],
        [
            "missing gcp:region",
            { [`${NS}:mode`]: "developer", "gcp:project": "example-lab-123456" },
            "gcp:region: unset; team and developer stacks need a region such as us-central1 (pulumi config set gcp:region REGION)",
            "dev-ann",
        ],
        [
            "ill-formed gcp:region",
            { ...team, "gcp:region": "US Central" },
            'gcp:region: "US Central" is not a region; use one such as us-central1 or europe-west4',
        ],
        [
            "unknown mode",
            { ...cloud, [`${NS}:mode`]: "teem" },
            `${NS}:mode: "teem" is not a stack kind; allowed: team, developer, local`,
        ],
        ["missing mode", { ...cloud }, `${NS}:mode: unset; allowed: team, developer, local`],
        [
            "invalid developer id",
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:developer`]: "Ann_B" },
            `${NS}:developer: "Ann_B" is not a valid developer id; use lowercase letters, digits and single dashes, 1 to 30 characters, starting and ending with a letter or digit`,
            "dev-x",
        ],
        [
            "no developer id from the stack name",
            { ...cloud, [`${NS}:mode`]: "developer" },
            `${NS}:developer: unset and the stack name "ann" is not dev-<id> with a valid id; set it to lowercase letters, digits and single dashes`,
            "ann",
        ],
        [
            "Alpine base",
            { ...team, [`${NS}:runtime`]: json({ base: "python:3.11-alpine" }) },
            `${NS}:runtime.base: "python:3.11-alpine" is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm`,
        ],
        [
            "Alpine image by name",
            { ...team, [`${NS}:runtime`]: json({ base: "alpine:3.20" }) },
            `${NS}:runtime.base: "alpine:3.20" is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm`,
        ],
        [
            "base without tag",
            { ...team, [`${NS}:runtime`]: json({ base: "python" }) },
            `${NS}:runtime.base: "python" has no tag, so Docker pulls whatever is tagged latest today; pin a tag such as python:3.11-slim-bookworm or a digest`,
        ],
        [
            "base with :latest",
            { ...team, [`${NS}:runtime`]: json({ base: "python:latest" }) },
            `${NS}:runtime.base: "python:latest" uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm or a digest`,
        ],
        [
            "a base update policy that does not exist",
            { ...team, [`${NS}:runtime`]: json({ baseUpdates: "pined" }) },
            `${NS}:runtime.baseUpdates: "pined" is not a base update policy; allowed: track (a tag is resolved to its digest at every plan), pinned (runtime.base must be a digest)`,
        ],
        [
            "requirements that do not exist",
            { ...team, [`${NS}:runtime`]: json({ requirements: "nope/requirements.txt" }) },
            `${NS}:runtime.requirements: "nope/requirements.txt" is not an existing file (paths are relative to the project root)`,
        ],
        [
            "a requirements list with a file that does not exist",
            { ...team, [`${NS}:runtime`]: json({ requirements: ["example/requirements.txt", "nope.txt"] }) },
            `${NS}:runtime.requirements[1]: "nope.txt" is not an existing file (paths are relative to the project root)`,
        ],
        [
            "an empty requirements list",
            { ...team, [`${NS}:runtime`]: json({ requirements: [] }) },
            `${NS}:runtime.requirements: [] lists no file; give one requirements file or a list of them`,
        ],
        [
            "a requirements file listed twice",
            {
                ...team,
                [`${NS}:runtime`]: json({ requirements: ["example/requirements.txt", "./example/requirements.txt"] }),
            },
            `${NS}:runtime.requirements[1]: "./example/requirements.txt" is listed twice (item 0 is the same file); each file is one layer`,
        ],
        [
            "requirements that are neither a path nor a list of paths",
            { ...team, [`${NS}:runtime`]: json({ requirements: [7] }) },
            `${NS}:runtime.requirements[0]: 7 must be a path (string) to a file, relative to the project root`,
        ],
        [
            "more requirements files than layers allowed",
            { ...team, [`${NS}:runtime`]: json({ requirements: Array(21).fill("example/requirements.txt") }) },
            `${NS}:runtime.requirements: ${show(Array(21).fill("example/requirements.txt"))} lists more than 20 files; at most 20 layers of requirements`,
        ],
        [
            "runtime Dockerfile that does not exist",
            { ...team, [`${NS}:runtime`]: json({ dockerfile: "docker/Dockerfile" }) },
            `${NS}:runtime.dockerfile: "docker/Dockerfile" is not an existing file (paths are relative to the project root)`,
        ],
        [
            "context that does not exist",
            { ...team, [`${NS}:application`]: json({ context: "src" }) },
            `${NS}:application.context: "src" is not an existing directory (paths are relative to the project root)`,
        ],
        [
            "context that is a file",
            { ...team, [`${NS}:application`]: json({ context: "example/main.py" }) },
            `${NS}:application.context: "example/main.py" is not an existing directory (paths are relative to the project root)`,
        ],
        [
            "application Dockerfile that does not exist",
            { ...team, [`${NS}:application`]: json({ dockerfile: "example/Dockerfile" }) },
            `${NS}:application.dockerfile: "example/Dockerfile" is not an existing file (paths are relative to the project root)`,
        ],
        [
            "timeout too long",
            { ...team, [`${NS}:runtime`]: json({ timeout: "25h" }) },
            `${NS}:runtime.timeout: "25h" is out of range; allowed 1 minute to 24 hours (60 to 86400 seconds, Cloud Build's limit)`,
        ],
        [
            "timeout too short",
            { ...team, [`${NS}:application`]: json({ timeout: 10 }) },
            `${NS}:application.timeout: 10 is out of range; allowed 1 minute to 24 hours (60 to 86400 seconds, Cloud Build's limit)`,
        ],
        [
            "timeout not a duration",
            { ...team, [`${NS}:application`]: json({ timeout: "soon" }) },
            `${NS}:application.timeout: "soon" is not a duration; use seconds (900) or "90s", "15m", "1h"`,
        ],
        [
            "unknown top-level key",
            { ...team, [`${NS}:runtme`]: json({ base: "python:3.11-slim" }) },
            `${NS}:runtme: {"base":"python:3.11-slim"} is not a known setting; did you mean ${NS}:runtime? known: mode, developer, teamStack, registry, runtime, application, triggers, fireworker, cloudBuild`,
        ],
        [
            "unknown nested key",
            { ...team, [`${NS}:runtime`]: json({ aptPackage: ["swig"] }) },
            `${NS}:runtime.aptPackage: ["swig"] is not a known setting; did you mean ${NS}:runtime.aptPackages? known under ${NS}:runtime: name, base, baseUpdates, aptPackages, requirements, writableDirs, dockerfile, context, buildArgs, env, pipSteps, wheelhouse, experimental, timeout, machineType`,
        ],
        [
            "a label key outside the label grammar",
            { ...team, [`${NS}:application`]: json({ labels: { "My Label": "x" } }) },
            `${NS}:application.labels["My Label"]: "x" has a key that is not a label key (lowercase letters and digits, single dots or dashes between them)`,
        ],
        [
            "a label the build sets itself",
            { ...team, [`${NS}:application`]: json({ labels: { "org.opencontainers.image.source": "x" } }) },
            `${NS}:application.labels["org.opencontainers.image.source"]: "x" is a reserved label key (Docker's, or an OCI annotation the build sets from the known labels)`,
        ],
        [
            "a build argument the build sets itself",
            { ...team, [`${NS}:application`]: json({ buildArgs: { git_hash: "x" } }) },
            `${NS}:application.buildArgs.git_hash: "x" is set by the build itself; remove it`,
        ],
        [
            "a build argument name that is not an ARG name",
            { ...team, [`${NS}:runtime`]: json({ buildArgs: { "COMPILE-BLAS": "1" } }) },
            `${NS}:runtime.buildArgs["COMPILE-BLAS"]: "1" has a key that is not an ARG name (letters, digits, _)`,
        ],
        [
            "a pip step with a file or URL",
            { ...team, [`${NS}:runtime`]: json({ pipSteps: ["-r other.txt"] }) },
            `${NS}:runtime.pipSteps[0]: "-r other.txt" has "-r", which is neither a requirement specifier (name[extras]==version) nor an allowed option (--upgrade, --pre, --no-deps, --no-build-isolation, --prefer-binary, --only-binary=, --no-binary=); files and URLs go in runtime.requirements`,
        ],
        [
            "a build step that continues onto the next line",
            { ...team, [`${NS}:application`]: json({ run: ["make \\"] }) },
            `${NS}:application.run[0]: "make \\\\" ends with a backslash, which would continue onto the next line`,
        ],
        [
            "one id for the team and the developer repositories",
            { ...team, [`${NS}:registry`]: json({ teamRepository: "images", developerRepository: "images" }) },
            `${NS}:registry.developerRepository: "images" is also registry.teamRepository; use another id (the team repository's tags are immutable, developers' images need moving tags)`,
        ],
        [
            "bad apt package",
            { ...team, [`${NS}:runtime`]: json({ aptPackages: ["swig", "Bad Name"] }) },
            `${NS}:runtime.aptPackages[1]: "Bad Name" is not a Debian package name`,
        ],
        [
            "relative writable dir",
            { ...team, [`${NS}:runtime`]: json({ writableDirs: [".theano"] }) },
            `${NS}:runtime.writableDirs[0]: ".theano" is not an absolute directory path (letters, digits, . _ - /)`,
        ],
        [
            "unknown Cloud Build machine type",
            { ...team, [`${NS}:runtime`]: json({ machineType: "e2-highcpu-8" }) },
            `${NS}:runtime.machineType: "e2-highcpu-8" is not a Cloud Build machine type; allowed: E2_MEDIUM, E2_HIGHCPU_8, E2_HIGHCPU_32, N1_HIGHCPU_8, N1_HIGHCPU_32 (unset: e2-standard-2)`,
        ],
        [
            "experimental not a boolean",
            { ...team, [`${NS}:runtime`]: json({ experimental: "yes" }) },
            `${NS}:runtime.experimental: "yes" must be true or false`,
        ],
        [
            "wheelhouse not a boolean",
            { ...team, [`${NS}:runtime`]: json({ wheelhouse: "yes" }) },
            `${NS}:runtime.wheelhouse: "yes" must be true or false`,
        ],
        [
            "object setting given as a string",
            { ...team, [`${NS}:runtime`]: "python:3.11" },
            `${NS}:runtime: "python:3.11" is not an object; write it as a YAML mapping in the stack file`,
        ],
        [
            "label email that is not an email",
            { ...team, [`${NS}:application`]: json({ labels: { email: "lab at example" } }) },
            `${NS}:application.labels.email: "lab at example" is not an email address`,
        ],
        [
            "registry location outside the region",
            { ...team, [`${NS}:registry`]: json({ location: "europe-west4" }) },
            `${NS}:registry.location: "europe-west4" does not contain gcp:region "us-central1"; use the region itself or its multi-region (us)`,
        ],
        [
            "developer member that is not an email",
            { ...team, [`${NS}:registry`]: json({ developers: ["user:ann"] }) },
            `${NS}:registry.developers[0]: "user:ann" is not "user:EMAIL" or "group:EMAIL"`,
        ],
        [
            "branch regex that does not compile",
            { ...team, [`${NS}:triggers`]: json({ branch: "^(main" }) },
            `${NS}:triggers.branch: "^(main" is not an RE2 regular expression, which Cloud Build uses (missing closing ): \`^(main\`)`,
        ],
        [
            "a branch pattern JavaScript takes but RE2 does not",
            { ...team, [`${NS}:triggers`]: json({ branch: "^(?!dev).*$" }) },
            `${NS}:triggers.branch: "^(?!dev).*$" is not an RE2 regular expression, which Cloud Build uses (invalid or unsupported Perl syntax: \`(?!\`)`,
        ],
        [
            "a schedule of separators",
            { ...team, [`${NS}:triggers`]: json({ repository: "a/b", nightlySchedule: "; ; ; ; ;" }) },
            `${NS}:triggers.nightlySchedule: "; ; ; ; ;" is not a cron schedule: Invalid characters, got value: ;`,
        ],
        [
            "a Quartz schedule",
            { ...team, [`${NS}:triggers`]: json({ repository: "a/b", nightlySchedule: "0 0 L * *" }) },
            `${NS}:triggers.nightlySchedule: "0 0 L * *" uses L, W, # or ?, which Cloud Scheduler's unix-cron does not have`,
        ],
        [
            "a 6-field schedule",
            { ...team, [`${NS}:triggers`]: json({ repository: "a/b", nightlySchedule: "0 0 3 * * *" }) },
            `${NS}:triggers.nightlySchedule: "0 0 3 * * *" is not a 5-field cron schedule (minute hour day-of-month month day-of-week); it has 6`,
        ],
        [
            "a trigger repository that walks up",
            { ...team, [`${NS}:triggers`]: json({ repository: "../.." }) },
            `${NS}:triggers.repository: "../.." is not a GitHub repository "owner/name"`,
        ],
        [
            "a team stack reference that walks up",
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:teamStack`]: "../../../etc" },
            `${NS}:teamStack: "../../../etc" is not a stack reference [organization/[project/]]stack such as my-org/fireworker-images/team`,
            "dev-ann",
        ],
        [
            "a workdir that walks up",
            { ...team, [`${NS}:application`]: json({ workdir: "/../etc" }) },
            `${NS}:application.workdir: "/../etc" is not an absolute path written plainly (no /, . or .. parts, not the root)`,
        ],
        [
            "a writable dir that is the root",
            { ...team, [`${NS}:runtime`]: json({ writableDirs: ["/"] }) },
            `${NS}:runtime.writableDirs[0]: "/" is not an absolute directory path (letters, digits, . _ - /) written plainly (no /, . or .. parts, not the root)`,
        ],
        [
            "a DELETE cleanup policy that keeps",
            { ...team, [`${NS}:registry`]: json({ cleanupPolicies: [{ id: "x", action: "DELETE", keepCount: 5 }] }) },
            `${NS}:registry.cleanupPolicies[0].keepCount: 5 keeps the newest versions, so it needs action: KEEP; a DELETE policy deletes by tagState, tagPrefixes or olderThanDays`,
        ],
        [
            "a DELETE cleanup policy without a condition",
            { ...team, [`${NS}:registry`]: json({ cleanupPolicies: [{ id: "x", action: "DELETE" }] }) },
            `${NS}:registry.cleanupPolicies[0]: {"id":"x","action":"DELETE"} is a DELETE policy without a condition, which would delete every image; give tagState, tagPrefixes, packageNamePrefixes or olderThanDays`,
        ],
        [
            "two cleanup policies with one id",
            {
                ...team,
                [`${NS}:registry`]: json({
                    cleanupPolicies: [
                        { id: "x", action: "KEEP", keepCount: 1 },
                        { id: "x", action: "DELETE", olderThanDays: 3 },
                    ],
                }),
            },
            `${NS}:registry.cleanupPolicies: [{"id":"x","action":"KEEP","keepCount":1},{"id":"x","action":"DELETE","olderThanDays":3}] has the id "x" twice; ids must differ`,
        ],
        [
            "a base image with an instruction after a newline",
            { ...team, [`${NS}:runtime`]: json({ base: "python:3.11-slim-bookworm\nRUN curl x|sh" }) },
            `${NS}:runtime.base: "python:3.11-slim-bookworm\\nRUN curl x|sh" contains a control character (a newline, tab or NUL); settings are single lines of text`,
        ],
        [
            "a base image with a stage name",
            { ...team, [`${NS}:runtime`]: json({ base: "python:3.11-slim AS y" }) },
            `${NS}:runtime.base: "python:3.11-slim AS y" is not an image reference; use e.g. python:3.11-slim-bookworm`,
        ],
        [
            "a value of megabytes",
            { ...team, [`${NS}:application`]: json({ labels: { application: "x".repeat(5000) } }) },
            `${NS}:application.labels.application: is 5000 characters long; at most 4096`,
        ],
        [
            "a nightly schedule with a branch pattern (the nightly builds one branch's head)",
            {
                ...team,
                [`${NS}:triggers`]: json({ repository: "a/b", branch: "^(main|dev)$", nightlySchedule: "0 3 * * *" }),
            },
            `${NS}:triggers.branch: "^(main|dev)$" matches more than one branch; the nightly build (triggers.nightlySchedule) builds the head of one branch, so use a literal one such as ^main$`,
        ],
        [
            "more than 10 cleanup policies",
            {
                ...team,
                [`${NS}:registry`]: json({
                    cleanupPolicies: Array.from({ length: 11 }, (_, i) => ({
                        id: `p${i}`,
                        action: "KEEP",
                        keepCount: 1,
                    })),
                }),
            },
            `${NS}:registry.cleanupPolicies: [{"id":"p0","action":"KEEP","keepCount":1},{"id":"p1","action":"KEEP","keepCount":1},{"id":"p2","action":"KEEP","keep... has more than 10 policies; Artifact Registry allows at most 10 per repository`,
        ],
        [
            "fireworker zone outside the region",
            { ...team, [`${NS}:fireworker`]: json({ zone: "europe-west4-a" }) },
            `${NS}:fireworker.zone: "europe-west4-a" is not in gcp:region "us-central1"; use a zone such as us-central1-b`,
        ],
        [
            "fireworker keep below 1",
            { ...team, [`${NS}:fireworker`]: json({ keep: 0 }) },
            `${NS}:fireworker.keep: 0 is below 1; keep at least the newest image`,
        ],
        [
            "fireworker family GCE rejects",
            { ...team, [`${NS}:fireworker`]: json({ family: "Fireworker_Images" }) },
            `${NS}:fireworker.family: "Fireworker_Images" is not a GCE image family name (lowercase letters, digits, dashes, 1 to 63, starting with a letter)`,
        ],
        [
            "fireworker in a local stack",
            { [`${NS}:mode`]: "local", [`${NS}:fireworker`]: json({ enabled: true }) },
            `${NS}:fireworker: {"enabled":true} is only for team and developer stacks; remove it from this local stack (baking needs Google Compute Engine)`,
            "local",
        ],
        [
            "triggers in a developer stack",
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:triggers`]: json({ repository: "lab/repo" }) },
            `${NS}:triggers: {"repository":"lab/repo"} is only for team stacks; remove it from this developer stack (the team stack's triggers build the team images)`,
            "dev-ann",
        ],
        [
            "developers granted from a developer stack",
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:registry`]: json({ developers: ["user:a@b.org"] }) },
            `${NS}:registry.developers: ["user:a@b.org"] is only for team stacks; remove it from this developer stack (the team stack grants developers their access)`,
            "dev-ann",
        ],
        [
            "cleanup policies in a developer stack",
            {
                ...cloud,
                [`${NS}:mode`]: "developer",
                [`${NS}:registry`]: json({ cleanupPolicies: [{ id: "keep", action: "KEEP", keepCount: 1 }] }),
            },
            `${NS}:registry.cleanupPolicies: [{"id":"keep","action":"KEEP","keepCount":1}] is only for team stacks; remove it from this developer stack (the team stack owns the developer repository)`,
            "dev-ann",
        ],
        [
            "an experimental runtime in a team stack",
            { ...team, [`${NS}:runtime`]: json({ experimental: true }) },
            `${NS}:runtime.experimental: true is only for developer stacks; remove it from this team stack (it gives a developer a runtime of their own)`,
        ],
        [
            "a moving tag in a team stack",
            { ...team, [`${NS}:application`]: json({ friendlyTag: "latest" }) },
            `${NS}:application.friendlyTag: "latest" is only for developer and local stacks; remove it from this team stack (team images get only their content tag; the team repository's tags are immutable)`,
        ],
        [
            "a team stack reference in a team stack",
            { ...team, [`${NS}:teamStack`]: "org/fireworker-images/team" },
            `${NS}:teamStack: "org/fireworker-images/team" is only for developer stacks; remove it from this team stack (it is the team stack a developer stack reads)`,
        ],
        [
            "a developer id in a local stack",
            { [`${NS}:mode`]: "local", [`${NS}:developer`]: "ann" },
            `${NS}:developer: "ann" is only for developer stacks; remove it from this local stack (it names a developer's own images)`,
            "local",
        ],
        [
            "a registry location in a local stack",
            { [`${NS}:mode`]: "local", [`${NS}:registry`]: json({ location: "us" }) },
            `${NS}:registry.location: "us" is only for team and developer stacks; remove it from this local stack (a local stack uses no Artifact Registry)`,
            "local",
        ],
        [
            "a Cloud Build region in a local stack",
            { [`${NS}:mode`]: "local", [`${NS}:cloudBuild`]: json({ region: "us-east1" }) },
            `${NS}:cloudBuild: {"region":"us-east1"} is only for team and developer stacks; remove it from this local stack (a local stack builds on the local Docker engine)`,
            "local",
        ],
        [
            "developer fireworker without experimental runtime",
            { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:fireworker`]: json({ enabled: true }) },
            `${NS}:fireworker.enabled: true needs runtime.experimental: true in a developer stack (the team stack bakes the team runtime)`,
            "dev-ann",
        ],
        [
            "localHost outside a local stack",
            { ...team, [`${NS}:registry`]: json({ localHost: "127.0.0.1:5000" }) },
            `${NS}:registry.localHost: "127.0.0.1:5000" is only for local stacks; remove it from this team stack (cloud stacks push to Artifact Registry)`,
        ],
        [
            "fireworker disk smaller than the images",
            { ...team, [`${NS}:fireworker`]: json({ diskSizeGb: 5 }) },
            `${NS}:fireworker.diskSizeGb: 5 is smaller than the images it must hold (the source disk image alone takes 10 GB, the preloaded runtime comes on top); use at least 10`,
        ],
        [
            "fireworker family too long for image names",
            { ...team, [`${NS}:fireworker`]: json({ family: "f".repeat(47) }) },
            `${NS}:fireworker.family: "${"f".repeat(47)}" is too long for image names (<family>-<16 hex>, at most 63 characters); use at most 46 characters in all`,
        ],
        [
            "developer fireworker family too long with the id",
            {
                ...cloud,
                [`${NS}:mode`]: "developer",
                [`${NS}:runtime`]: json({ experimental: true }),
                [`${NS}:fireworker`]: json({ enabled: true, family: "fireworker-images-for-the-whole-lab-2025" }),
            },
            `${NS}:fireworker.family: "fireworker-images-for-the-whole-lab-2025" gives the family "fireworker-images-for-the-whole-lab-2025-annabelle", which is too long for image names (<family>-<16 hex>, at most 63 characters); use at most 46 characters in all`,
            "dev-annabelle",
        ],
    ];
    for (const [what, config, expected, stack] of table) {
        it(`rejects ${what} with one line`, () => {
            assert.deepEqual(lines(config, stack ?? "team"), [expected]);
        });
    }

    it("accepts a base pinned by digest even without a tag", () => {
        const base = `python@sha256:${"a".repeat(64)}`;
        const s = loadSettings({ ...team, [`${NS}:runtime`]: json({ base }) }, { stack: "team", projectRoot: ROOT });
        assert.equal(s.runtime.base, base);
    });

    it("accepts the multi-region that holds the region", () => {
        const s = loadSettings(
            { ...team, [`${NS}:registry`]: json({ location: "us" }) },
            { stack: "team", projectRoot: ROOT },
        );
        assert.ok(s.mode === "team");
        assert.equal(s.registry.location, "us");
    });

    it("ignores other namespaces' settings but reports every bad one of ours", () => {
        const got = lines({
            ...team,
            "aws:region": "x",
            [`${NS}:mode`]: "teem",
            [`${NS}:runtime`]: json({ base: "alpine:3" }),
        });
        assert.equal(got.length, 2);
    });
});

describe("effective settings (the plan's settings section)", () => {
    const ctx = (stack: string) => ({ stack, projectRoot: ROOT });

    it("shows the team stack a developer stack reads: its own, else team in the stack's organization", () => {
        const dev = { ...cloud, [`${NS}:mode`]: "developer", [`${NS}:developer`]: "ann" };
        const org = { ...ctx("dev-ann"), organization: "my-org" };
        assert.equal(effectiveSettings(dev, org).teamStack, "my-org/fireworker-images/team");
        assert.equal(
            effectiveSettings({ ...dev, [`${NS}:teamStack`]: "lab/fireworker-images/team" }, org).teamStack,
            "lab/fireworker-images/team",
        );
    });

    it("shows a secret setting's shape, never its value", () => {
        const e = effectiveSettings(
            {
                ...team,
                [`${NS}:runtime`]: json({ env: { TOKEN: "hunter2" }, aptPackages: ["swig"] }),
            },
            { ...ctx("team"), secretKeys: [`${NS}:runtime`] },
        );
        assert.deepEqual(e["runtime.env"], { TOKEN: "[secret]" });
        assert.deepEqual(e["runtime.aptPackages"], ["[secret]"]);
        assert.doesNotMatch(JSON.stringify(e), /hunter2/);
    });

    it("names every setting a team stack uses by its key, with defaults, those from other settings too", () => {
        const e = effectiveSettings(
            { ...team, [`${NS}:runtime`]: json({ aptPackages: ["swig"], timeout: "2h" }) },
            ctx("team"),
        );
        assert.deepEqual(Object.keys(e), [...Object.keys(e)].sort());
        assert.equal(e.mode, "team");
        assert.deepEqual(e["runtime.aptPackages"], ["swig"]);
        assert.equal(e["runtime.timeout"], 7200);
        assert.equal(e["runtime.base"], "python:3.11-slim-bookworm");
        assert.equal(e["gcp:project"], "example-lab-123456");
        // defaults that follow from other settings
        assert.equal(e["registry.location"], "us-central1");
        assert.equal(e["cloudBuild.region"], "us-central1");
        assert.equal(e["fireworker.enabled"], true);
        assert.equal(e["fireworker.zone"], "us-central1-b");
        assert.deepEqual(
            (e["registry.cleanupPolicies"] as { id: string }[]).map((p) => p.id),
            ["delete-untagged", "delete-old", "keep-recent"],
        );
        // unset optional settings and what a team stack does not use are left out
        for (const absent of [
            "runtime.dockerfile",
            "runtime.machineType",
            "triggers.repository",
            "application.friendlyTag",
            "runtime.experimental",
            "registry.localHost",
            "developer",
            "teamStack",
            "registry",
            "runtime",
        ]) {
            assert.ok(!(absent in e), absent);
        }
    });

    it("every setting the schema has shows in some kind of stack's effective settings (none is forgotten)", () => {
        const all = new Set([
            ...Object.keys(
                effectiveSettings(
                    {
                        ...team,
                        [`${NS}:runtime`]: json({
                            machineType: "E2_HIGHCPU_8",
                            dockerfile: "test/golden/runtime.Dockerfile",
                        }),
                        [`${NS}:application`]: json({
                            machineType: "E2_MEDIUM",
                            dockerfile: "test/golden/application.Dockerfile",
                        }),
                        [`${NS}:triggers`]: json({ repository: "o/r", nightlySchedule: "0 3 * * *" }),
                        [`${NS}:fireworker`]: json({ subnetwork: "s" }),
                    },
                    ctx("team"),
                ),
            ),
            ...Object.keys(
                effectiveSettings(
                    {
                        ...cloud,
                        [`${NS}:mode`]: "developer",
                        [`${NS}:runtime`]: json({ experimental: true }),
                        [`${NS}:fireworker`]: json({ enabled: true }),
                    },
                    { ...ctx("dev-ann"), organization: "my-org" },
                ),
            ),
            ...Object.keys(
                effectiveSettings(
                    { [`${NS}:mode`]: "local", [`${NS}:registry`]: json({ localHost: "127.0.0.1:5000" }) },
                    ctx("local"),
                ),
            ),
        ]);
        const keys = settingKeys(makeSchema({ projectRoot: ROOT })).filter(
            (k) => !(OBJECT_KEYS as readonly string[]).includes(k),
        );
        assert.deepEqual(
            keys.filter((k) => !all.has(k)),
            [],
        );
    });

    it("a developer stack: its id, its own family only when it bakes, the bake's settings only then", () => {
        const dev = { ...cloud, [`${NS}:mode`]: "developer" };
        const plain = effectiveSettings(dev, ctx("dev-ann"));
        assert.equal(plain.developer, "ann");
        assert.equal(plain["fireworker.enabled"], false);
        assert.ok(!Object.keys(plain).some((k) => k.startsWith("fireworker.") && k !== "fireworker.enabled"));
        const baking = effectiveSettings(
            { ...dev, [`${NS}:runtime`]: json({ experimental: true }), [`${NS}:fireworker`]: json({ enabled: true }) },
            ctx("dev-ann"),
        );
        assert.equal(baking["fireworker.enabled"], true);
        assert.equal(baking["fireworker.family"], "fireworker-ann");
        assert.equal(baking["runtime.experimental"], true);
    });

    it("a local stack: no Google settings at all", () => {
        const e = effectiveSettings({ [`${NS}:mode`]: "local" }, ctx("local"));
        assert.equal(e.mode, "local");
        assert.equal(e["application.friendlyTag"], "latest");
        assert.ok(
            !Object.keys(e).some(
                (k) => k.startsWith("gcp:") || k.startsWith("fireworker.") || k.startsWith("cloudBuild."),
            ),
        );
    });

    it("invalid settings fail as loadSettings does", () => {
        assert.throws(() => effectiveSettings({ [`${NS}:mode`]: "teem" }, ctx("x")), SettingsError);
    });
});
