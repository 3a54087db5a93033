/**
 * The fireworker-images policies as plain functions: (resource type, inputs, options) to a list
 * of violation messages. The policy pack (index.ts) runs them in `pulumi preview`/`up`; the
 * main test suite runs them on the offline plans. No @pulumi/policy here, so the main suite does
 * not need policy/node_modules; from ../lib only lib/imageRef.ts, which imports nothing (the
 * program's own image reference parsing).
 *
 * Enforcement: mandatory for what loses data, leaks access, silently changes results or grows
 * without bound; advisory for style (image labels).
 */
import { type ImageRef, isAlpine, isDigest, parseImageRef as parseRef } from "../lib/imageRef";

export type EnforcementLevel = "advisory" | "mandatory";

export interface ResourceOptions {
    protect?: boolean;
}

export interface Rule {
    /** Policy name (letters, digits, dashes). */
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    /** Violation messages for one resource; empty when it passes. */
    check(resourceType: string, inputs: Inputs, options?: ResourceOptions): string[];
}

/** Resource inputs as the engine passes them: untyped JSON, read defensively with typeof checks. */
// biome-ignore lint/suspicious/noExplicitAny: resource inputs are untyped JSON; every read below checks its type
type Inputs = any;

const COMMAND = "command:local:Command";
const INSTANCE = "gcp:compute/instance:Instance";
const REPOSITORY = "gcp:artifactregistry/repository:Repository";

// ---------------------------------------------------------------- image references

/** `[host[:port]/]path[:tag][@digest]` (lib/imageRef.ts), around surrounding whitespace. */
export function parseImageRef(ref: string): ImageRef {
    return parseRef(ref.trim());
}

/** Whitespace around `ref` cannot change the answer, so lib/imageRef.ts's as it is. */
export { isAlpine };

/** Why `ref` is not pinned (untagged or `latest` without a digest), or undefined. */
function unpinned(ref: string): string | undefined {
    const { tag, digest } = parseImageRef(ref);
    if (digest) return undefined;
    if (!tag) return "has no tag (Docker pulls whatever is latest today)";
    if (tag === "latest") return "uses the moving tag latest";
    return undefined;
}

/** Whether a reference names one image: `repository@sha256:...`, or a local engine's image id `sha256:...`. */
function byDigest(ref: string): boolean {
    return parseImageRef(ref).digest !== undefined || isDigest(ref.trim());
}

// ---------------------------------------------------------------- build commands

function env(inputs: Inputs): Record<string, unknown> {
    const e = inputs?.environment;
    return e !== null && typeof e === "object" ? (e as Record<string, unknown>) : {};
}

/** The build args of a build command, or undefined (not a build, or not known yet). */
function buildArgs(inputs: Inputs): Record<string, unknown> | undefined {
    const raw = env(inputs).FW_BUILD_ARGS;
    if (typeof raw !== "string") return undefined;
    try {
        const parsed = JSON.parse(raw);
        return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The base images of a build command: `from` (its build arg) and the others its Dockerfile's
 * FROM lines name (dockerfileBases), `from` itself left out.
 */
function buildBases(inputs: Inputs): { from?: string; others: string[] } {
    const args = buildArgs(inputs);
    const from = typeof args?.from === "string" ? args.from : undefined;
    const dockerfile = env(inputs).FW_DOCKERFILE;
    const others =
        typeof dockerfile === "string" ? dockerfileBases(dockerfile, args).filter((base) => base !== from) : [];
    return { from, others };
}

/** An application build is the command whose spec says so (FW_KIND). */
function isApplicationBuild(inputs: Inputs): boolean {
    return env(inputs).FW_KIND === "application";
}

/** The labels a build command sets (FW_LABELS), or none. */
function buildLabels(inputs: Inputs): Record<string, unknown> {
    const raw = env(inputs).FW_LABELS;
    if (typeof raw !== "string") return {};
    try {
        const parsed = JSON.parse(raw);
        return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
    } catch {
        return {};
    }
}

/**
 * The base images a Dockerfile's FROM lines name, with `${arg}`/`$arg` resolved from ARG
 * defaults before the first FROM, overridden by the build args. Skips `scratch` and earlier
 * stages; a reference that still holds a variable is left out (it cannot be judged).
 */
export function dockerfileBases(dockerfile: string, args: Record<string, unknown> = {}): string[] {
    const vars: Record<string, string> = {};
    const stages = new Set<string>();
    const bases: string[] = [];
    let seenFrom = false;
    // join continuation lines, drop comments
    const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
    for (const raw of lines) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const m = /^(\w+)\s+(.*)$/.exec(line);
        if (!m) continue;
        const instr = m[1].toUpperCase();
        if (instr === "ARG" && !seenFrom) {
            for (const decl of m[2].split(/\s+/)) {
                const eq = decl.indexOf("=");
                const name = eq >= 0 ? decl.slice(0, eq) : decl;
                const def =
                    eq >= 0
                        ? decl
                              .slice(eq + 1)
                              .replace(/^"(.*)"$/, "$1")
                              .replace(/^'(.*)'$/, "$1")
                        : undefined;
                const given = args[name];
                if (typeof given === "string") vars[name] = given;
                else if (def !== undefined) vars[name] = def;
            }
        } else if (instr === "FROM") {
            seenFrom = true;
            const words = m[2].split(/\s+/).filter((w) => !w.startsWith("--"));
            const image = (words[0] ?? "").replace(
                /\$\{(\w+)\}|\$(\w+)/g,
                (whole, a?: string, b?: string) => vars[a ?? b ?? ""] ?? whole,
            );
            const earlierStage = stages.has(image.toLowerCase());
            if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2].toLowerCase());
            if (image && !image.includes("$") && image.toLowerCase() !== "scratch" && !earlierStage) {
                bases.push(image);
            }
        }
    }
    return bases;
}

// ---------------------------------------------------------------- IAM

/** A Google IAM member, binding or policy resource (project, bucket, repository, account, ...). */
export function isIamResource(type: string): boolean {
    const [pkg, , cls] = type.split(":");
    return pkg === "gcp" && /iam(member|binding|policy)$/i.test(cls ?? "");
}

const PRIMITIVE_ROLES = new Set(["roles/owner", "roles/editor", "roles/viewer"]);
const PUBLIC_MEMBERS = new Set(["allusers", "allauthenticatedusers"]);

/** The (role, members) grants of an IAM member/binding/policy resource. */
function grants(inputs: Inputs): { role: string; members: string[] }[] {
    const out: { role: string; members: string[] }[] = [];
    const members = (v: unknown): string[] =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
    if (typeof inputs?.role === "string" || inputs?.member !== undefined || inputs?.members !== undefined) {
        out.push({
            role: typeof inputs?.role === "string" ? inputs.role : "",
            members: [...members(inputs?.member), ...members(inputs?.members)],
        });
    }
    const policy = inputs?.policyData;
    if (typeof policy === "string") {
        try {
            const doc = JSON.parse(policy);
            for (const b of Array.isArray(doc?.bindings) ? doc.bindings : []) {
                out.push({ role: typeof b?.role === "string" ? b.role : "", members: members(b?.members) });
            }
        } catch {
            // not known yet or not JSON: nothing to judge
        }
    }
    return out;
}

// ---------------------------------------------------------------- the policies

export const rules: Rule[] = [
    {
        name: "no-alpine-base",
        description:
            "Images are never built on Alpine: musl changes floating-point results, so a model would silently compute different numbers.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (type !== COMMAND) return [];
            const { from, others } = buildBases(inputs);
            // a base resolved to its digest is judged by the tag the plan shows beside it too
            const tag = env(inputs).FW_BASE;
            const alpine = [from, typeof tag === "string" ? tag : undefined].find(
                (b) => b !== undefined && isAlpine(b),
            );
            return [
                ...(alpine !== undefined
                    ? [
                          `builds FROM ${JSON.stringify(alpine)}, an Alpine image; use a Debian-based image such as python:3.11-slim-bookworm`,
                      ]
                    : []),
                ...others
                    .filter(isAlpine)
                    .map((base) => `its Dockerfile has FROM ${base}, an Alpine image; use a Debian-based image`),
            ];
        },
    },
    {
        name: "pinned-base-image",
        description:
            "A build goes FROM a digest: a base named by tag is accepted only where the plan also shows the digest it resolved to (FW_BASE beside a repository@sha256:... from), so a content tag names exactly one base. FROM lines the build does not set are pinned by a tag other than latest or by a digest.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (type !== COMMAND) return [];
            const { from, others } = buildBases(inputs);
            const out: string[] = [];
            const tag = env(inputs).FW_BASE;
            if (from !== undefined && !byDigest(from)) {
                out.push(
                    `builds FROM ${JSON.stringify(from)} by tag, and the plan shows no digest for it (a tag moves: the same settings could build on another base); build FROM the digest the tag resolves to (runtime.baseUpdates: track) or pin a digest`,
                );
            }
            if (typeof tag === "string") {
                const why = unpinned(tag);
                if (why)
                    out.push(`its base ${JSON.stringify(tag)} ${why}; pin a tag such as python:3.11-slim-bookworm`);
            }
            for (const base of others) {
                const why = unpinned(base);
                if (why) out.push(`its Dockerfile has FROM ${base}, which ${why}; pin a tag or a digest`);
            }
            return out;
        },
    },
    {
        name: "application-from-digest",
        description:
            "The application image is built FROM the runtime by digest (repository@sha256:..., or a local engine's image id sha256:...), never by a moving tag.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (type !== COMMAND) return [];
            const args = buildArgs(inputs);
            if (!args || !isApplicationBuild(inputs) || typeof args.from !== "string") return [];
            // a pushed runtime by repository@sha256:...; a local-only runtime by its image id sha256:...
            const immutable = args.from.includes("@sha256:") || isDigest(args.from);
            return immutable
                ? []
                : [
                      `application builds FROM ${JSON.stringify(args.from)}; build FROM the runtime's repository@sha256:... reference`,
                  ];
        },
    },
    {
        name: "application-labels",
        description:
            "Application images carry the application and contact e-mail labels, so a running container can be traced to its owner.",
        enforcementLevel: "advisory",
        check(type, inputs) {
            if (type !== COMMAND) return [];
            if (!isApplicationBuild(inputs)) return [];
            const labels = buildLabels(inputs);
            return ["application", "email"]
                .filter((k) => typeof labels[k] !== "string" || (labels[k] as string).trim() === "")
                .map((k) => `application image has no ${k} label; set fireworker-images:application.labels.${k}`);
        },
    },
    {
        name: "no-primitive-roles",
        description:
            "No primitive role (roles/owner, roles/editor, roles/viewer) is granted: each identity gets only the predefined roles it needs.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (!isIamResource(type)) return [];
            return grants(inputs)
                .filter((g) => PRIMITIVE_ROLES.has(g.role))
                .map(
                    (g) =>
                        `grants the primitive role ${g.role}${g.members.length ? ` to ${g.members.join(", ")}` : ""}; grant a predefined role with only the permissions needed`,
                );
        },
    },
    {
        name: "no-public-members",
        description:
            "Nothing is granted to allUsers or allAuthenticatedUsers: images, sources and accounts are the lab's only.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (!isIamResource(type)) return [];
            const out: string[] = [];
            for (const g of grants(inputs)) {
                for (const m of g.members) {
                    if (PUBLIC_MEMBERS.has(m.toLowerCase()))
                        out.push(`grants ${g.role || "a role"} to the public member ${m}`);
                }
            }
            return out;
        },
    },
    {
        name: "builder-vm-max-run-duration",
        description:
            "A builder VM deletes itself: scheduling.maxRunDuration with instanceTerminationAction DELETE (or --max-run-duration and --instance-termination-action=DELETE in the bake config), so a killed bake never leaves a VM running.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            const out: string[] = [];
            if (type === INSTANCE) {
                const s = inputs?.scheduling ?? {};
                const d = s.maxRunDuration;
                const seconds = d && typeof d === "object" ? Number(d.seconds ?? 0) : 0;
                if (!(seconds > 0)) out.push("has no scheduling.maxRunDuration; a builder VM must stop itself");
                if (s.instanceTerminationAction !== "DELETE") {
                    out.push(
                        `has scheduling.instanceTerminationAction ${JSON.stringify(s.instanceTerminationAction ?? null)}; use "DELETE" so nothing is left behind`,
                    );
                }
            }
            if (type === COMMAND) {
                const bake = env(inputs).FW_BAKE_CONFIG;
                if (typeof bake === "string") {
                    if (!/--max-run-duration\b/.test(bake))
                        out.push("its bake config creates the builder VM without --max-run-duration");
                    if (!/--instance-termination-action[=\s]+["']?DELETE\b/i.test(bake))
                        out.push("its bake config creates the builder VM without --instance-termination-action=DELETE");
                }
            }
            return out;
        },
    },
    {
        name: "builder-vm-no-project-ssh-keys",
        description:
            "A builder VM blocks project-wide SSH keys (metadata block-project-ssh-keys=TRUE): nobody logs in to a VM that holds registry credentials.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            const out: string[] = [];
            if (type === INSTANCE) {
                const v = inputs?.metadata?.["block-project-ssh-keys"];
                if (String(v ?? "").toLowerCase() !== "true")
                    out.push('has no metadata block-project-ssh-keys "true"; project-wide SSH keys could log in');
            }
            if (type === COMMAND) {
                const bake = env(inputs).FW_BAKE_CONFIG;
                if (typeof bake === "string" && !/block-project-ssh-keys=TRUE\b/i.test(bake)) {
                    out.push("its bake config creates the builder VM without block-project-ssh-keys=TRUE");
                }
            }
            return out;
        },
    },
    {
        name: "developer-repository-cleanup",
        description:
            "A Docker repository with mutable tags (the developer repository) has cleanup policies that delete, so developers' 1-2 GB images do not pile up forever.",
        enforcementLevel: "mandatory",
        check(type, inputs) {
            if (
                type !== REPOSITORY ||
                (inputs?.format !== undefined && String(inputs.format).toUpperCase() !== "DOCKER")
            )
                return [];
            if (inputs?.dockerConfig?.immutableTags === true) return [];
            const policies: Inputs[] = Array.isArray(inputs?.cleanupPolicies) ? inputs.cleanupPolicies : [];
            if (!policies.some((p) => String(p?.action ?? "").toUpperCase() === "DELETE")) {
                return ["has mutable tags and no DELETE cleanup policy; its images are never deleted"];
            }
            return inputs?.cleanupPolicyDryRun === true
                ? ["has cleanupPolicyDryRun true: its cleanup policies delete nothing"]
                : [];
        },
    },
    {
        name: "team-repository-protected",
        description:
            "A repository with immutable tags (the team repository) is protected, so no slip in code or `pulumi destroy` deletes the team's images.",
        enforcementLevel: "mandatory",
        check(type, inputs, options) {
            if (type !== REPOSITORY || inputs?.dockerConfig?.immutableTags !== true) return [];
            return options?.protect
                ? []
                : ["has immutable tags (the team's images) but is not protected; set the protect resource option"];
        },
    },
];

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    /** `type name (parent)`. */
    resource: string;
    message: string;
}

/** Every rule's violations for one resource. */
export function checkResource(
    resourceType: string,
    inputs: Inputs,
    options?: ResourceOptions,
): Omit<Violation, "resource">[] {
    return rules.flatMap((r) =>
        r
            .check(resourceType, inputs, options)
            .map((message) => ({ policy: r.name, enforcementLevel: r.enforcementLevel, message })),
    );
}

/** The shape of an offline plan this module needs (lib/offlinePlan.ts `Plan`). */
export interface PlanLike {
    resources: {
        type: string;
        name: string;
        parent: string | null;
        inputs: unknown;
        options?: { protect?: boolean };
    }[];
}

/** The whole pack applied to an offline plan; `options.protect` stands for the protect option. */
export function checkPlan(plan: PlanLike): Violation[] {
    return plan.resources.flatMap((r) =>
        checkResource(r.type, r.inputs, { protect: r.options?.protect === true }).map((v) => ({
            ...v,
            resource: r.parent ? `${r.type} ${r.name} (${r.parent})` : `${r.type} ${r.name}`,
        })),
    );
}
