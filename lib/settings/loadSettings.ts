/**
 * Settings: loads every setting of a stack from Pulumi's flat config map, validates everything
 * before any resource is declared, reports each problem as one line
 * (`<full key>: <value> <what is wrong and what is allowed>`), and shapes the result for the
 * stack's kind (types.ts).
 */
import * as path from "node:path";
import { defaultZone } from "../bake/bakeConfig";
import { sortKeys } from "../canonical";
import { MASK, SettingsError, show } from "../errors";
import { isName, PROJECT_ID, REGION } from "../patterns";
import { broughtDockerfileLines, crossCheckLines, developerFamily, KIND_RULES, kindLines } from "./crossChecks";
import { DEFAULT_CLEANUP_POLICIES, defaultTeamStack, RUNTIME_DEFAULTS } from "./defaults";
import { issueLine, rawValueProblems, unknownKeyLine } from "./issueLines";
import { makeSchema, NAMESPACE, OBJECT_KEYS, type ParsedSettings, SIMPLE_KEYS, settingKeys } from "./schema";
import type {
    ApplicationSettings,
    FireworkerSettings,
    GcpSettings,
    RuntimeSettings,
    Settings,
    StackKind,
} from "./types";

/**
 * Settings that may hold a secret: what they shape (build arguments, environment, labels) is
 * marked secret in the build commands. Everything else names resources, so it cannot.
 */
const SECRET_CAPABLE: readonly string[] = ["runtime", "application"];

/** Where we run: the stack's name and the folder relative paths resolve against. */
export interface LoadContext {
    stack: string;
    projectRoot: string;
    /** Config keys Pulumi holds as secrets. @default none */
    secretKeys?: readonly string[];
    /**
     * The Pulumi organization the stack runs in: the effective settings show the team stack a
     * developer stack reads by default (`defaultTeamStack`). Unset: shown only when set.
     */
    organization?: string;
}

/** The settings of a stack from Pulumi's config map (`ns:key` to string; objects as JSON). */
export function loadSettings(config: Record<string, string>, ctx: LoadContext): Settings {
    const { s, gcp, developer, secrets } = parseSettings(config, ctx);
    return shape(s, ctx.stack, gcp, developer, secrets);
}

/**
 * Every setting the stack's kind uses, by its key as stack files and the README name it
 * (`runtime.aptPackages`, `gcp:project`), with its effective value: defaults applied, those that
 * follow from other settings too (a region, a zone, a developer's family, whether it bakes).
 * Unset optional settings are left out, and so are the bake's settings when it does not bake.
 * Sorted by key. Throws a SettingsError as loadSettings does.
 */
export function effectiveSettings(config: Record<string, string>, ctx: LoadContext): Record<string, unknown> {
    const { s, gcp, developer, secrets } = parseSettings(config, ctx);
    const shaped = shape(s, ctx.stack, gcp, developer, secrets);
    const out: Record<string, unknown> = {};
    // The runtime and application as shaped: a brought Dockerfile's context, the default base.
    const parsed: Record<string, unknown> = {
        ...s,
        runtime: { ...s.runtime, ...shaped.runtime },
        application: { ...s.application, ...shaped.application },
    };
    for (const key of settingKeys(makeSchema({ projectRoot: ctx.projectRoot }))) {
        const [top, nested] = key.split(".");
        if ((nested === undefined && (OBJECT_KEYS as readonly string[]).includes(top)) || !usedBy(key, s.mode)) {
            continue;
        }
        const value = nested === undefined ? parsed[top] : (parsed[top] as Record<string, unknown>)[nested];
        if (value !== undefined) {
            // A secret's value never reaches the plan, only its shape.
            out[key] = secrets.includes(top) ? maskAll(value) : value;
        }
    }
    if (s.mode === "developer" && s.teamStack === undefined && ctx.organization !== undefined) {
        out.teamStack = defaultTeamStack(ctx.organization, NAMESPACE);
    }
    if (shaped.mode !== "local") {
        out["gcp:project"] = shaped.gcp.project;
        out["gcp:region"] = shaped.gcp.region;
        out["registry.location"] = shaped.registry.location;
        out["cloudBuild.region"] = shaped.cloudBuild.region;
        out["fireworker.enabled"] = shaped.fireworker !== undefined;
        if (shaped.fireworker) {
            out["fireworker.zone"] = shaped.fireworker.zone;
            out["fireworker.family"] = shaped.fireworker.family;
        } else {
            for (const k of Object.keys(out))
                if (k.startsWith("fireworker.") && k !== "fireworker.enabled") delete out[k];
        }
    }
    if (shaped.mode === "team") {
        out["registry.cleanupPolicies"] = shaped.registry.cleanupPolicies;
    }
    if (shaped.mode === "developer") {
        out.developer = shaped.developer;
    }
    return sortKeys(out) as Record<string, unknown>;
}

/** Whether a stack of this kind uses the setting (crossChecks.ts's KIND_RULES). */
function usedBy(key: string, mode: StackKind): boolean {
    const rule = KIND_RULES.find((r) => r.key === key) ?? KIND_RULES.find((r) => r.key === key.split(".")[0]);
    return rule === undefined || rule.kinds.includes(mode);
}

interface ParsedStack {
    s: ParsedSettings;
    gcp: GcpSettings | undefined;
    developer: string | undefined;
    /** Top-level settings Pulumi holds as secrets, sorted. */
    secrets: string[];
}

/** Every setting parsed and checked, before it is shaped for the stack's kind. */
function parseSettings(config: Record<string, string>, ctx: LoadContext): ParsedStack {
    const lines: string[] = [];
    const input: Record<string, unknown> = {};
    /** Top-level settings Pulumi holds as secrets: their values are never shown. */
    const secretTops = new Set<string>();
    const schema = makeSchema({ projectRoot: ctx.projectRoot });
    const topKeys = Object.keys(schema.shape);

    for (const [fullKey, raw] of Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== NAMESPACE) {
            continue;
        }
        if (ctx.secretKeys?.includes(fullKey)) {
            secretTops.add(key);
            if (!SECRET_CAPABLE.includes(key)) {
                lines.push(
                    `${NAMESPACE}:${key}: [secret] is set as a secret, but it names resources and identities, which cannot stay secret; set it in plain text (only runtime and application settings may hold secrets)`,
                );
                continue;
            }
        }
        if (!topKeys.includes(key)) {
            lines.push(unknownKeyLine([key], ctx.secretKeys?.includes(fullKey) ? MASK : parseOrRaw(raw), topKeys));
            continue;
        }
        if ((OBJECT_KEYS as readonly string[]).includes(key)) {
            try {
                input[key] = JSON.parse(raw);
            } catch {
                lines.push(
                    `${NAMESPACE}:${key}: ${secretTops.has(key) ? MASK : show(raw)} is not an object; write it as a YAML mapping in the stack file`,
                );
            }
        } else if ((SIMPLE_KEYS as readonly string[]).includes(key)) {
            input[key] = raw;
        }
    }
    if (input.mode === undefined) {
        lines.push(`${NAMESPACE}:mode: unset; allowed: team, developer, local`);
    }
    // lines show a secret's value as [secret], whatever the problem
    const display = masked(input, secretTops);
    // shapes no setting has (control characters, huge or deep values) are one line each, and
    // their schema problems are not repeated
    const raw = rawValueProblems(input, display);
    lines.push(...raw.map((r) => r.line));
    const reported = (p: PropertyKey[]) => raw.some((r) => r.path.every((k, i) => p[i] === k));
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            if (input.mode === undefined && issue.path.length === 1 && issue.path[0] === "mode") {
                continue; // reported above with what is allowed
            }
            if (!reported(issue.path)) {
                lines.push(issueLine(issue, display, schema));
            }
        }
    }
    if (lines.length > 0 || !parsed.success) {
        throw new SettingsError(unique(lines));
    }
    const s = parsed.data;
    lines.push(...kindLines(display, s.mode));
    const gcp = s.mode === "local" ? undefined : gcpSettings(config, lines);
    const developer = s.mode === "developer" ? developerId(s.developer, ctx.stack, lines) : undefined;
    lines.push(
        ...crossCheckLines(s, gcp, developer, (top) => secretTops.has(top)),
        ...broughtDockerfileLines(display, s),
    );
    if (lines.length > 0) {
        throw new SettingsError(lines);
    }
    return { s, gcp, developer, secrets: [...secretTops].sort() };
}

/** A value with every leaf replaced by [secret], its shape kept. */
function maskAll(v: unknown): unknown {
    return Array.isArray(v)
        ? v.map(maskAll)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskAll(x)]))
          : MASK;
}

/** `input` with every value under a secret top-level key replaced by [secret], its shape kept. */
function masked(input: Record<string, unknown>, secretTops: Set<string>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, secretTops.has(k) ? maskAll(v) : v]));
}

/** The settings of the stack's kind, with the defaults that depend on other settings. */
function shape(
    s: ParsedSettings,
    stack: string,
    gcp: GcpSettings | undefined,
    developer: string | undefined,
    secrets: readonly string[],
): Settings {
    const { friendlyTag } = s.application;
    const { experimental } = s.runtime;
    const common = { stack, secrets, runtime: runtimeOf(s.runtime), application: applicationOf(s.application) };
    if (s.mode === "local" || gcp === undefined) {
        return { mode: "local", ...common, localRegistryHost: s.registry.localHost, movingTag: friendlyTag };
    }
    const { enabled, zone, family, ...bake } = s.fireworker;
    const fireworker = (baked: string): FireworkerSettings => ({
        ...bake,
        family: baked,
        zone: zone ?? defaultZone(gcp.region),
    });
    const cloud = {
        ...common,
        gcp,
        registry: {
            location: s.registry.location ?? gcp.region,
            teamRepository: s.registry.teamRepository,
            developerRepository: s.registry.developerRepository,
        },
        cloudBuild: { region: s.cloudBuild.region ?? gcp.region },
    };
    if (s.mode === "team") {
        return {
            mode: "team",
            ...cloud,
            registry: {
                ...cloud.registry,
                developers: s.registry.developers,
                cleanupPolicies: s.registry.cleanupPolicies ?? [...DEFAULT_CLEANUP_POLICIES],
            },
            triggers: s.triggers,
            fireworker: (enabled ?? true) ? fireworker(family) : undefined,
        };
    }
    const id = developer ?? "";
    const devFamily = developerFamily(s, id);
    return {
        mode: "developer",
        ...cloud,
        developer: id,
        teamStack: s.teamStack,
        experimentalRuntime: experimental,
        movingTag: friendlyTag,
        fireworker: devFamily !== undefined && experimental ? fireworker(devFamily) : undefined,
    };
}

/** The runtime's settings: rendered, or brought with its own Dockerfile. */
function runtimeOf(r: ParsedSettings["runtime"]): RuntimeSettings {
    const common = {
        name: r.name,
        baseUpdates: r.baseUpdates,
        buildArgs: r.buildArgs,
        timeout: r.timeout,
        machineType: r.machineType,
    };
    if (r.dockerfile !== undefined) {
        const context = r.context ?? path.posix.dirname(r.dockerfile);
        return { ...common, dockerfile: r.dockerfile, context, base: r.base };
    }
    return {
        ...common,
        base: r.base ?? RUNTIME_DEFAULTS.base,
        aptPackages: r.aptPackages,
        requirements: r.requirements,
        writableDirs: r.writableDirs,
        env: r.env,
        pipSteps: r.pipSteps,
        wheelhouse: r.wheelhouse,
    };
}

/** The application's settings: rendered, or brought with its own Dockerfile. */
function applicationOf(a: ParsedSettings["application"]): ApplicationSettings {
    const common = {
        name: a.name,
        context: a.context,
        labels: a.labels,
        buildArgs: a.buildArgs,
        gitDiff: a.gitDiff,
        timeout: a.timeout,
        machineType: a.machineType,
    };
    if (a.dockerfile !== undefined) {
        return { ...common, dockerfile: a.dockerfile };
    }
    return { ...common, workdir: a.workdir, cmd: a.cmd, env: a.env, run: a.run };
}

function parseOrRaw(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

function gcpSettings(config: Record<string, string>, lines: string[]): GcpSettings | undefined {
    const project = config["gcp:project"];
    const region = config["gcp:region"];
    if (project === undefined) {
        lines.push(
            `gcp:project: unset; team and developer stacks need a Google Cloud project id (pulumi config set gcp:project PROJECT_ID)`,
        );
    } else if (!PROJECT_ID.test(project)) {
        lines.push(
            `gcp:project: ${show(project)} is not a project id; allowed: 6 to 30 lowercase letters, digits and dashes, starting with a letter`,
        );
    }
    if (region === undefined) {
        lines.push(
            `gcp:region: unset; team and developer stacks need a region such as us-central1 (pulumi config set gcp:region REGION)`,
        );
    } else if (!REGION.test(region)) {
        lines.push(`gcp:region: ${show(region)} is not a region; use one such as us-central1 or europe-west4`);
    }
    return project !== undefined && region !== undefined ? { project, region } : undefined;
}

function developerId(configured: string | undefined, stack: string, lines: string[]): string | undefined {
    if (configured !== undefined) {
        return configured;
    }
    const m = /^dev-(.+)$/.exec(stack);
    if (m && isName(m[1])) {
        return m[1];
    }
    lines.push(
        `${NAMESPACE}:developer: unset and the stack name ${show(stack)} is not dev-<id> with a valid id; set it to lowercase letters, digits and single dashes`,
    );
    return undefined;
}

function unique(lines: string[]): string[] {
    return [...new Set(lines.flatMap((l) => l.split("\n")))];
}
