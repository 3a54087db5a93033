/**
 * The schema of every `fireworker-images:*` setting (zod), one shape for every kind of stack;
 * loadSettings.ts shapes the result per kind. Defaults come from defaults.ts (Pulumi.yaml
 * defaults are not applied under mocks). No Pulumi; the only I/O is the existence check of paths.
 */
import * as fs from "node:fs";
import * as path from "node:path";
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
    REGION,
    USER_OR_GROUP,
    ZONE,
} from "../patterns";
import {
    APPLICATION_DEFAULTS,
    FIREWORKER_DEFAULTS,
    REGISTRY_DEFAULTS,
    RUNTIME_DEFAULTS,
    TRIGGER_DEFAULTS,
} from "./defaults";

export const NAMESPACE = "fireworker-images";

/** Where relative paths resolve. */
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

const baseImage = z.string({ error: "must be an image reference string" }).superRefine((ref, ctx) => {
    const problem = baseImageProblem(ref);
    if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
    }
});

function existingPath(ctx: PathContext, kind: "file" | "directory") {
    return z
        .string({ error: `must be a path (string) to a ${kind}, relative to the project root` })
        .transform((p, rc) => {
            const abs = path.resolve(ctx.projectRoot, p);
            let stat: fs.Stats | undefined;
            try {
                stat = fs.statSync(abs);
            } catch {
                stat = undefined;
            }
            if (!stat || (kind === "file" ? !stat.isFile() : !stat.isDirectory())) {
                rc.addIssue({
                    code: "custom",
                    message: `is not an existing ${kind} (paths are relative to the project root)`,
                });
                return z.NEVER;
            }
            return relativePosix(ctx.projectRoot, abs);
        });
}

/** A project-relative path with forward slashes, so plans are the same on every machine. */
export function relativePosix(root: string, abs: string): string {
    const rel = path.relative(root, abs);
    return rel === "" ? "." : rel.split(path.sep).join("/");
}

const labels = z
    .strictObject({
        application: z.string().optional(),
        email: z.string().regex(EMAIL, { error: "is not an email address" }).optional(),
        license: z.string().optional(),
        organization: z.string().optional(),
        website: z.string().optional(),
    })
    .prefault({});

const repositoryId = z
    .string()
    .regex(GCE_NAME, { error: "is not a repository id (lowercase letters, digits, dashes)" });

const absolutePath = /^\/[A-Za-z0-9._\-/]*$/;

export function makeSchema(ctx: PathContext) {
    const runtime = z
        .strictObject({
            /** Image name (team: `<name>`, developer experimental: `<id>-<name>`). */
            name: imageName("image name").default(RUNTIME_DEFAULTS.name),
            base: baseImage.default(RUNTIME_DEFAULTS.base),
            aptPackages: z
                .array(z.string().regex(/^[a-z0-9][a-z0-9+.\-:=~]*$/, { error: "is not a Debian package name" }))
                .default([]),
            requirements: existingPath(ctx, "file").default(RUNTIME_DEFAULTS.requirements),
            writableDirs: z
                .array(
                    z.string().regex(absolutePath, {
                        error: "is not an absolute directory path (letters, digits, . _ - /)",
                    }),
                )
                .default([]),
            dockerfile: existingPath(ctx, "file").optional(),
            experimental: z.boolean({ error: "must be true or false" }).default(false),
            timeout: duration.default(RUNTIME_DEFAULTS.timeout),
            machineType: machineType.optional(),
        })
        .prefault({});

    const application = z
        .strictObject({
            name: imageName("image name").default(APPLICATION_DEFAULTS.name),
            context: existingPath(ctx, "directory").default(APPLICATION_DEFAULTS.context),
            dockerfile: existingPath(ctx, "file").optional(),
            workdir: z
                .string()
                .regex(absolutePath, { error: "is not an absolute path" })
                .default(APPLICATION_DEFAULTS.workdir),
            cmd: z
                .array(z.string())
                .min(1, { error: "must list at least the program to run" })
                .default([...APPLICATION_DEFAULTS.cmd]),
            labels,
            /** Moving tag added to developer and local images for tasks that pull by tag. */
            friendlyTag: z
                .string()
                .regex(DOCKER_TAG, { error: "is not a Docker tag" })
                .default(APPLICATION_DEFAULTS.friendlyTag),
            timeout: duration.default(APPLICATION_DEFAULTS.timeout),
            machineType: machineType.optional(),
        })
        .prefault({});

    const cleanupPolicy = z.strictObject({
        id: z
            .string()
            .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: "is not a policy id (lowercase letters, digits, dashes)" }),
        action: z.enum(["DELETE", "KEEP"], { error: "must be DELETE or KEEP" }),
        tagState: z.enum(["TAGGED", "UNTAGGED", "ANY"], { error: "must be TAGGED, UNTAGGED or ANY" }).optional(),
        tagPrefixes: z.array(z.string()).optional(),
        packageNamePrefixes: z.array(z.string()).optional(),
        olderThanDays: z.number().int().min(1, { error: "must be at least 1 day" }).optional(),
        keepCount: z.number().int().min(1, { error: "must be at least 1" }).optional(),
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
                .optional(),
            /** Cloud Build 2nd-gen connection name (its GitHub App is installed once by hand). */
            connection: z
                .string()
                .regex(GCE_NAME, { error: "is not a connection name" })
                .default(TRIGGER_DEFAULTS.connection),
            /** RE2 regex of the branch whose pushes rebuild the team images. */
            branch: z.string().default(TRIGGER_DEFAULTS.branch),
            /** Cron schedule (UTC) of the nightly application build; unset: none. */
            nightlySchedule: z
                .string()
                .regex(/^(\S+\s+){4}\S+$/, { error: "is not a 5-field cron schedule" })
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
            sourceImageProject: z.string().default(FIREWORKER_DEFAULTS.sourceImageProject),
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
            network: z.string().default(FIREWORKER_DEFAULTS.network),
            subnetwork: z.string().optional(),
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
            .regex(/^[A-Za-z0-9_.\-/]+$/, { error: "is not a stack name such as my-org/fireworker-images/team" })
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
