/**
 * The schema of every `fireworker-images:*` setting (zod), one shape for every kind of stack;
 * loadSettings.ts shapes the result per kind. Defaults come from defaults.ts (Pulumi.yaml
 * defaults are not applied under mocks). No Pulumi; the only I/O is the existence check of paths.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CronExpressionParser } from "cron-parser";
import { RE2JS } from "re2js";
import { z } from "zod";
import { baseImageProblem } from "../imageRef";
import {
    DOCKER_TAG,
    EMAIL,
    GCE_NAME,
    GITHUB_REPOSITORY,
    isName,
    LOCATION,
    NAME_MAX,
    PROJECT_ID,
    REGION,
    USER_OR_GROUP,
    ZONE,
} from "../patterns";
import {
    findRepository,
    InputProblem,
    kindOf,
    otherKind,
    type Repository,
    relativeFrom,
    resolveInside,
} from "../repository";
import {
    APPLICATION_DEFAULTS,
    FIREWORKER_DEFAULTS,
    REGISTRY_DEFAULTS,
    RUNTIME_DEFAULTS,
    TRIGGER_DEFAULTS,
} from "./defaults";

export const NAMESPACE = "fireworker-images";

/** Where relative paths resolve: the program's folder, inside its repository. */
export interface PathContext {
    projectRoot: string;
}

const NAME_RULE = `lowercase letters, digits and single dashes, 1 to ${NAME_MAX} characters, starting and ending with a letter or digit`;

const imageName = (what: string) =>
    z.string({ error: `must be a string: ${what}` }).refine(isName, {
        error: `is not a valid ${what}; use ${NAME_RULE}`,
    });

/** Seconds, from a number or `30s`, `15m`, `1h`; Cloud Build allows 1 minute to 24 hours. */
const duration = z
    .union([z.number(), z.string()], { error: 'must be a duration such as 900, "15m" or "1h"' })
    .transform((v, ctx) => {
        if (typeof v === "number") {
            return v;
        }
        const m = /^(\d+)(s|m|h)$/.exec(v.trim());
        if (!m) {
            ctx.addIssue({ code: "custom", message: 'is not a duration; use seconds (900) or "90s", "15m", "1h"' });
            return z.NEVER;
        }
        return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
    })
    .refine((s) => Number.isInteger(s) && s >= 60 && s <= 86400, {
        error: "is out of range; allowed 1 minute to 24 hours (60 to 86400 seconds, Cloud Build's limit)",
    });

/** Cloud Build's private-pool-free machine types; unset means the default e2-standard-2. */
const MACHINE_TYPES = ["E2_MEDIUM", "E2_HIGHCPU_8", "E2_HIGHCPU_32", "N1_HIGHCPU_8", "N1_HIGHCPU_32"] as const;
const machineType = z.enum(MACHINE_TYPES, {
    error: `is not a Cloud Build machine type; allowed: ${MACHINE_TYPES.join(", ")} (unset: e2-standard-2)`,
});

/** How the runtime takes base updates (lib/build/baseReference.ts). */
export const BASE_UPDATES = ["track", "pinned"] as const;
const baseUpdates = z.enum(BASE_UPDATES, {
    error: "is not a base update policy; allowed: track (a tag is resolved to its digest at every plan), pinned (runtime.base must be a digest)",
});

const baseImage = z.string({ error: "must be an image reference string" }).superRefine((ref, ctx) => {
    const problem = baseImageProblem(ref);
    if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
    }
});

/** A path inside the image: absolute, normalized (no `.`, `..` or `//`), not the root itself. */
function imagePath(what: string) {
    return z.string().superRefine((p, rc) => {
        if (!/^\/[A-Za-z0-9._\-/]*$/.test(p)) {
            rc.addIssue({ code: "custom", message: `is not ${what}` });
        } else if (
            p === "/" ||
            p.split("/").some((part, i) => i > 0 && (part === "" || part === "." || part === ".."))
        ) {
            rc.addIssue({
                code: "custom",
                message: `is not ${what} written plainly (no /, . or .. parts, not the root)`,
            });
        }
    });
}

/** A network, by name or resource path. */
const NETWORK = /^(?:projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/)?[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBNETWORK =
    /^(?:projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/regions\/[a-z]+-[a-z]+\d+\/subnetworks\/)?[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** Pulumi's stack reference: `[organization/[project/]]stack`. */
const STACK_REFERENCE = /^(?:[A-Za-z0-9_-]{1,100}\/(?:[A-Za-z0-9_.-]{1,100}\/)?)?[A-Za-z0-9_.-]{1,100}$/;

/** Why a branch pattern is not an RE2 expression (Cloud Build matches branches with RE2). */
export function re2Problem(pattern: string): string | undefined {
    try {
        RE2JS.compile(pattern);
        return undefined;
    } catch (err) {
        return `is not an RE2 regular expression, which Cloud Build uses (${(err as Error).message.replace(/^error parsing regexp: /, "")})`;
    }
}

/** Why a schedule is not a unix-cron schedule of Cloud Scheduler: 5 fields, no Quartz extensions. */
export function cronProblem(schedule: string): string | undefined {
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) {
        return `is not a 5-field cron schedule (minute hour day-of-month month day-of-week); it has ${fields.length}`;
    }
    if (/[LW#?]/.test(schedule.replace(/[A-Z]{3}/g, ""))) {
        return "uses L, W, # or ?, which Cloud Scheduler's unix-cron does not have";
    }
    try {
        CronExpressionParser.parse(schedule);
        return undefined;
    } catch (err) {
        return `is not a cron schedule: ${(err as Error).message}`;
    }
}

/** A pip option a pip step may use; anything that reads files or URLs is left to the requirements. */
const PIP_OPTION =
    /^(--upgrade|-U|--pre|--no-deps|--no-build-isolation|--prefer-binary|--force-reinstall|--ignore-installed|--upgrade-strategy=(eager|only-if-needed)|--(only|no)-binary=(:all:|:none:|[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*))$/;
/** A requirement specifier without markers or URLs: `name[extras]==1.2,<2`. */
const PIP_REQUIREMENT =
    /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?(?:(?:===|==|!=|~=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+(?:,(?:===|==|!=|~=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+)*)?$/;

/** One `pip install` pass: requirement specifiers and a few options, separated by spaces. */
const pipStep = z.string({ error: "must be a string" }).superRefine((step, rc) => {
    const words = step.trim().split(/ +/);
    if (step.trim() === "" || words.every((w) => w.startsWith("-"))) {
        rc.addIssue({ code: "custom", message: "names no package; list requirement specifiers such as numpy==1.26.4" });
        return;
    }
    const bad = words.find((w) => !PIP_OPTION.test(w) && !PIP_REQUIREMENT.test(w));
    if (bad !== undefined) {
        rc.addIssue({
            code: "custom",
            message: `has ${JSON.stringify(bad)}, which is neither a requirement specifier (name[extras]==version) nor an allowed option (--upgrade, --pre, --no-deps, --no-build-isolation, --prefer-binary, --only-binary=, --no-binary=); files and URLs go in runtime.requirements`,
        });
    }
});

/** One shell step of a RUN line: a single line that does not continue onto the next. */
const shellStep = z.string({ error: "must be a string" }).superRefine((step, rc) => {
    if (step.trim() === "") {
        rc.addIssue({ code: "custom", message: "is empty" });
    } else if (/\\\s*$/.test(step)) {
        rc.addIssue({ code: "custom", message: "ends with a backslash, which would continue onto the next line" });
    } else if (/^\s*<</.test(step)) {
        rc.addIssue({ code: "custom", message: "is a heredoc; write the step on one line" });
    }
});

/**
 * A path relative to the program's folder that exists, is a `kind`, and resolves (symlinks
 * followed) inside the repository; the result is the resolved path, relative, forward slashes.
 */
function existingPath(repo: Repository, kind: "file" | "directory") {
    return z
        .string({ error: `must be a path (string) to a ${kind}, relative to the project root` })
        .transform((p, rc) => {
            let real: string;
            let st: fs.Stats;
            try {
                real = resolveInside(repo, p);
                st = fs.statSync(real);
            } catch (err) {
                const missing = err instanceof InputProblem && err.message.startsWith("does not exist");
                const message =
                    err instanceof InputProblem && !missing
                        ? err.message
                        : `is not an existing ${kind} (paths are relative to the project root)`;
                rc.addIssue({ code: "custom", message });
                return z.NEVER;
            }
            const is = kindOf(st);
            if (is !== kind) {
                const what = is === "other" ? otherKind(st) : `a ${is}`;
                rc.addIssue({
                    code: "custom",
                    message:
                        is === "file" || is === "directory"
                            ? `is not an existing ${kind} (paths are relative to the project root)`
                            : `is ${what}, not a ${kind}`,
                });
                return z.NEVER;
            }
            return relativeFrom(repo.projectRoot, real);
        });
}

/** At most this many requirements files (layers) in `runtime.requirements`. */
export const MAX_REQUIREMENT_LAYERS = 20;

/**
 * `runtime.requirements`: one requirements file, or a list of them installed in order, each in
 * its own layer (1 to MAX_REQUIREMENT_LAYERS files, each once). Each item's problem names its
 * index.
 */
function requirementFiles(repo: Repository) {
    const one = existingPath(repo, "file");
    const many = z
        .array(one)
        .min(1, { error: "lists no file; give one requirements file or a list of them" })
        .max(MAX_REQUIREMENT_LAYERS, {
            error: `lists more than ${MAX_REQUIREMENT_LAYERS} files; at most ${MAX_REQUIREMENT_LAYERS} layers of requirements`,
            abort: true,
        })
        .superRefine((files, rc) => {
            files.forEach((f, i) => {
                if (files.indexOf(f) < i) {
                    rc.addIssue({
                        code: "custom",
                        path: [i],
                        message: `is listed twice (item ${files.indexOf(f)} is the same file); each file is one layer`,
                    });
                }
            });
        });
    // not a z.union: its one error would hide which item is wrong and why
    return z.unknown().transform((value, rc): string | string[] => {
        const parsed = Array.isArray(value) ? many.safeParse(value) : one.safeParse(value);
        if (!parsed.success) {
            for (const issue of parsed.error.issues) {
                rc.addIssue({ code: "custom", path: issue.path, message: issue.message });
            }
            return z.NEVER;
        }
        return parsed.data;
    });
}

/** A project-relative path with forward slashes, so plans are the same on every machine. */
export function relativePosix(root: string, abs: string): string {
    const rel = path.relative(root, abs);
    return rel === "" ? "." : rel.split(path.sep).join("/");
}

const repositoryId = z
    .string()
    .regex(GCE_NAME, { error: "is not a repository id (lowercase letters, digits, dashes)" });

/** A build argument's name, as `ARG` takes it. */
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An environment variable's name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A label key: lowercase letters and digits, single dots or dashes between them (Docker's guideline). */
const LABEL_KEY = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
/** Label keys Docker reserves, and the OCI annotations the build sets itself. */
const RESERVED_LABEL_PREFIXES = ["com.docker.", "io.docker.", "org.dockerproject.", "org.opencontainers.image."];

/** A map of names to single-line strings (build args, environment, labels). */
function stringMap(keyPattern: RegExp, keyRule: string, reservedKeys: readonly string[] = []) {
    return z
        .record(z.string(), z.string({ error: "must be a string" }))
        .superRefine((map, rc) => {
            for (const key of Object.keys(map)) {
                if (!keyPattern.test(key)) {
                    rc.addIssue({ code: "custom", path: [key], message: `has a key that is not ${keyRule}` });
                } else if (reservedKeys.includes(key)) {
                    rc.addIssue({ code: "custom", path: [key], message: "is set by the build itself; remove it" });
                }
            }
        })
        .default({});
}

/** The labels of the application image: any key of the label grammar; `email` an e-mail address. */
const labels = z
    .record(z.string(), z.string({ error: "must be a string" }))
    .superRefine((map, rc) => {
        for (const [key, value] of Object.entries(map)) {
            if (!LABEL_KEY.test(key)) {
                rc.addIssue({
                    code: "custom",
                    path: [key],
                    message:
                        "has a key that is not a label key (lowercase letters and digits, single dots or dashes between them)",
                });
            } else if (RESERVED_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix))) {
                rc.addIssue({
                    code: "custom",
                    path: [key],
                    message:
                        "is a reserved label key (Docker's, or an OCI annotation the build sets from the known labels)",
                });
            } else if (key === "email" && !EMAIL.test(value)) {
                rc.addIssue({ code: "custom", path: [key], message: "is not an email address" });
            }
        }
    })
    .default({});

/** Build args the program passes itself. */
export const RESERVED_RUNTIME_ARGS = ["from"] as const;
export const RESERVED_APPLICATION_ARGS = ["from", "git_hash", "git_branch", "timestamp"] as const;

export function makeSchema(ctx: PathContext) {
    const repo = findRepository(ctx.projectRoot);
    const runtime = z
        .strictObject({
            /** Image name (team: `<name>`, developer experimental: `<id>-<name>`). */
            name: imageName("image name").default(RUNTIME_DEFAULTS.name),
            /** unset: the rendered Dockerfile uses the default; a brought one keeps its own `ARG from` default. */
            base: baseImage.optional(),
            /** `track`: a tag is resolved to its digest at every plan; `pinned`: only a digest is taken. */
            baseUpdates: baseUpdates.default(RUNTIME_DEFAULTS.baseUpdates),
            aptPackages: z
                .array(z.string().regex(/^[a-z0-9][a-z0-9+.\-:=~]*$/, { error: "is not a Debian package name" }))
                .default([]),
            /** One requirements file, or a list of them installed in order, each in its own layer. */
            requirements: requirementFiles(repo).default(RUNTIME_DEFAULTS.requirements),
            writableDirs: z.array(imagePath("an absolute directory path (letters, digits, . _ - /)")).default([]),
            dockerfile: existingPath(repo, "file").optional(),
            /** A brought Dockerfile's build context (its COPY/ADD sources); default: the Dockerfile's folder. */
            context: existingPath(repo, "directory").optional(),
            buildArgs: stringMap(ARG_NAME, "an ARG name (letters, digits, _)", RESERVED_RUNTIME_ARGS),
            env: stringMap(ENV_NAME, "an environment variable name (letters, digits, _)"),
            /** `pip install` passes before the requirements, in order (e.g. "--upgrade pip setuptools wheel"). */
            pipSteps: z.array(pipStep).default([]),
            /** Keep the wheels pip builds from source between builds (lib/build/wheelhouse.ts). */
            wheelhouse: z.boolean({ error: "must be true or false" }).default(RUNTIME_DEFAULTS.wheelhouse),
            experimental: z.boolean({ error: "must be true or false" }).default(false),
            timeout: duration.default(RUNTIME_DEFAULTS.timeout),
            machineType: machineType.optional(),
        })
        .prefault({});

    const application = z
        .strictObject({
            name: imageName("image name").default(APPLICATION_DEFAULTS.name),
            context: existingPath(repo, "directory").default(APPLICATION_DEFAULTS.context),
            dockerfile: existingPath(repo, "file").optional(),
            workdir: imagePath("an absolute path").default(APPLICATION_DEFAULTS.workdir),
            cmd: z
                .array(z.string())
                .min(1, { error: "must list at least the program to run" })
                .default([...APPLICATION_DEFAULTS.cmd]),
            labels,
            buildArgs: stringMap(ARG_NAME, "an ARG name (letters, digits, _)", RESERVED_APPLICATION_ARGS),
            env: stringMap(ENV_NAME, "an environment variable name (letters, digits, _)"),
            /** Shell steps run in the workdir after the payload is copied (e.g. "make clean compile"). */
            run: z.array(shellStep).default([]),
            /** Write the payload's uncommitted `git diff HEAD` into the image (source-info/git_diff.txt). */
            gitDiff: z.boolean({ error: "must be true or false" }).default(true),
            /** Moving tag added to developer and local images for tasks that pull by tag. */
            friendlyTag: z
                .string()
                .regex(DOCKER_TAG, { error: "is not a Docker tag" })
                .default(APPLICATION_DEFAULTS.friendlyTag),
            timeout: duration.default(APPLICATION_DEFAULTS.timeout),
            machineType: machineType.optional(),
        })
        .prefault({});

    const prefixes = z
        .array(
            z.string().regex(/^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+/-]{0,127}$/, { error: "is not a tag or package prefix" }),
        )
        .min(1, { error: "is empty; leave it out instead" });
    // as the Artifact Registry API takes them: nothing is rewritten, so what it would refuse,
    // or read otherwise than written, is refused here
    const cleanupPolicy = z
        .strictObject({
            id: z
                .string()
                .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "is not a policy id (lowercase letters, digits, dashes)" }),
            action: z.enum(["DELETE", "KEEP"], { error: "must be DELETE or KEEP" }),
            tagState: z.enum(["TAGGED", "UNTAGGED", "ANY"], { error: "must be TAGGED, UNTAGGED or ANY" }).optional(),
            tagPrefixes: prefixes.optional(),
            packageNamePrefixes: prefixes.optional(),
            olderThanDays: z.number().int().min(1, { error: "must be at least 1 day" }).max(36500).optional(),
            keepCount: z.number().int().min(1, { error: "must be at least 1" }).max(10000).optional(),
        })
        .superRefine((p, rc) => {
            const conditions = [p.tagState, p.tagPrefixes, p.olderThanDays].filter((c) => c !== undefined);
            if (p.keepCount !== undefined && p.action !== "KEEP") {
                rc.addIssue({
                    code: "custom",
                    path: ["keepCount"],
                    message:
                        "keeps the newest versions, so it needs action: KEEP; a DELETE policy deletes by tagState, tagPrefixes or olderThanDays",
                });
            } else if (p.keepCount !== undefined && conditions.length > 0) {
                rc.addIssue({
                    code: "custom",
                    path: ["keepCount"],
                    message:
                        "cannot be combined with tagState, tagPrefixes or olderThanDays in one policy (the API takes either); make two policies",
                });
            } else if (p.action === "DELETE" && conditions.length === 0 && p.packageNamePrefixes === undefined) {
                rc.addIssue({
                    code: "custom",
                    message:
                        "is a DELETE policy without a condition, which would delete every image; give tagState, tagPrefixes, packageNamePrefixes or olderThanDays",
                });
            } else if (p.tagPrefixes !== undefined && p.tagState !== "TAGGED") {
                rc.addIssue({
                    code: "custom",
                    path: ["tagPrefixes"],
                    message: "needs tagState: TAGGED (only tagged versions have tags)",
                });
            }
        });

    const registry = z
        .strictObject({
            location: z
                .string()
                .regex(LOCATION, { error: "is not an Artifact Registry location such as us-central1 or us" })
                .optional(),
            teamRepository: repositoryId.default(REGISTRY_DEFAULTS.teamRepository),
            developerRepository: repositoryId.default(REGISTRY_DEFAULTS.developerRepository),
            developers: z
                .array(z.string().regex(USER_OR_GROUP, { error: 'is not "user:EMAIL" or "group:EMAIL"' }))
                .default([]),
            cleanupPolicies: z
                .array(cleanupPolicy)
                .max(10, { error: "has more than 10 policies; Artifact Registry allows at most 10 per repository" })
                .superRefine((policies, rc) => {
                    const ids = policies.map((p) => p.id);
                    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
                    if (twice.length > 0) {
                        rc.addIssue({
                            code: "custom",
                            message: `has the id ${JSON.stringify(twice[0])} twice; ids must differ`,
                        });
                    }
                })
                .optional(),
            /** local stack only: a registry host (e.g. 127.0.0.1:5000) to push to; unset keeps images in the engine. */
            localHost: z
                .string()
                .regex(/^[a-z0-9.-]+(:\d+)?$/, { error: "is not a host[:port]" })
                .optional(),
        })
        .prefault({});

    const triggers = z
        .strictObject({
            /** `owner/name` of the GitHub repository holding this project and its payload. */
            repository: z
                .string()
                .regex(GITHUB_REPOSITORY, { error: 'is not a GitHub repository "owner/name"' })
                .refine((r) => ![".", ".."].includes(r.split("/")[1]), {
                    error: 'is not a GitHub repository "owner/name"',
                })
                .optional(),
            /** Cloud Build 2nd-gen connection name (its GitHub App is installed once by hand). */
            connection: z
                .string()
                .regex(GCE_NAME, { error: "is not a connection name" })
                .default(TRIGGER_DEFAULTS.connection),
            /** RE2 regex of the branch whose pushes rebuild the team images. */
            branch: z
                .string()
                .superRefine((pattern, rc) => {
                    const problem = re2Problem(pattern);
                    if (problem) rc.addIssue({ code: "custom", message: problem });
                })
                .default(TRIGGER_DEFAULTS.branch),
            /** Cron schedule (UTC) of the nightly application build; unset: none. */
            nightlySchedule: z
                .string()
                .superRefine((schedule, rc) => {
                    const problem = cronProblem(schedule);
                    if (problem) rc.addIssue({ code: "custom", message: problem });
                })
                .optional(),
        })
        .prefault({});

    const fireworker = z
        .strictObject({
            enabled: z.boolean({ error: "must be true or false" }).optional(),
            sourceImageFamily: z
                .string()
                .regex(GCE_NAME, { error: "is not an image family name" })
                .default(FIREWORKER_DEFAULTS.sourceImageFamily),
            sourceImageProject: z
                .string()
                .regex(PROJECT_ID, { error: "is not a project id such as debian-cloud" })
                .default(FIREWORKER_DEFAULTS.sourceImageProject),
            family: z
                .string()
                .regex(GCE_NAME, {
                    error: "is not a GCE image family name (lowercase letters, digits, dashes, 1 to 63, starting with a letter)",
                })
                .default(FIREWORKER_DEFAULTS.family),
            zone: z.string().regex(ZONE, { error: "is not a zone such as us-central1-a" }).optional(),
            diskSizeGb: z
                .number()
                .int({ error: "must be a whole number of GB" })
                .max(2048, { error: "is over 2048 GB" })
                .default(FIREWORKER_DEFAULTS.diskSizeGb),
            machineType: z
                .string()
                .regex(/^[a-z0-9]+-[a-z0-9-]+$/, { error: "is not a machine type such as e2-standard-2" })
                .default(FIREWORKER_DEFAULTS.machineType),
            network: z
                .string()
                .regex(NETWORK, { error: "is not a network name (or projects/P/global/networks/N)" })
                .default(FIREWORKER_DEFAULTS.network),
            subnetwork: z
                .string()
                .regex(SUBNETWORK, { error: "is not a subnetwork name (or projects/P/regions/R/subnetworks/S)" })
                .optional(),
            /** Builder VM gets no external IP (needs Cloud NAT: apt reaches Debian's mirrors, Private Google Access does not). */
            internalIpOnly: z.boolean().default(FIREWORKER_DEFAULTS.internalIpOnly),
            keep: z
                .number()
                .int({ error: "must be a whole number" })
                .min(1, { error: "is below 1; keep at least the newest image" })
                .default(FIREWORKER_DEFAULTS.keep),
            workerUsers: z
                .array(z.string().regex(/^[a-z_][a-z0-9_-]*$/, { error: "is not a Linux user name" }))
                .default([...FIREWORKER_DEFAULTS.workerUsers]),
            bakeTimeout: duration.default(FIREWORKER_DEFAULTS.bakeTimeout),
        })
        .prefault({});

    const cloudBuild = z
        .strictObject({
            /** Region the builds run in; defaults to gcp:region. */
            region: z.string().regex(REGION, { error: "is not a region such as us-central1" }).optional(),
        })
        .prefault({});

    return z.strictObject({
        mode: z.enum(["team", "developer", "local"], { error: "is not a stack kind; allowed: team, developer, local" }),
        developer: imageName("developer id").optional(),
        teamStack: z
            .string()
            .regex(STACK_REFERENCE, {
                error: `is not a stack reference [organization/[project/]]stack such as my-org/fireworker-images/team`,
            })
            .refine((r) => !r.split("/").some((part) => part === "." || part === ".."), {
                error: `is not a stack reference [organization/[project/]]stack such as my-org/fireworker-images/team`,
            })
            .optional(),
        registry,
        runtime,
        application,
        triggers,
        fireworker,
        cloudBuild,
    });
}

export type SettingsInput = z.input<ReturnType<typeof makeSchema>>;
export type ParsedSettings = z.output<ReturnType<typeof makeSchema>>;

/** Top-level keys whose values are objects or lists (stored as JSON in Pulumi config). */
export const OBJECT_KEYS = ["registry", "runtime", "application", "triggers", "fireworker", "cloudBuild"] as const;
export const SIMPLE_KEYS = ["mode", "developer", "teamStack"] as const;

/** A schema without its default, prefault and optional wrappers. */
export function unwrap(t: z.ZodType | undefined): z.ZodType | undefined {
    let cur = t;
    while (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault || cur instanceof z.ZodOptional) {
        cur = cur.unwrap() as z.ZodType;
    }
    return cur;
}

/** Every setting the schema accepts, as `top` or `top.nested` (the README table lists these). */
export function settingKeys(schema: ReturnType<typeof makeSchema>): string[] {
    const keys: string[] = [];
    for (const [top, t] of Object.entries(schema.shape)) {
        keys.push(top);
        const inner = unwrap(t as z.ZodType);
        if (inner instanceof z.ZodObject) {
            for (const k of Object.keys(inner.shape)) keys.push(`${top}.${k}`);
        }
    }
    return keys;
}
