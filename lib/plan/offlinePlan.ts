/**
 * The offline plan: runs the program under Pulumi's mocks (no CLI, no cloud, no credentials)
 * and returns every resource it declares with its inputs, sorted, with nothing machine-specific.
 * Used by `npm run plan`, the tests and the pull-request workflow.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BaseResolver, ResolvedBase } from "../build/baseReference";
import { compareOrdinal, sortKeys } from "../canonical";
import { type Placeholder, placeholderIn } from "../placeholders";
import { effectiveSettings } from "../settings/loadSettings";
import { type BuildKind, type PlannedBuild, recordBuild } from "./buildInputs";
import { maskSecrets } from "./mask";
import { baseRequest, callAnswer, callPlaceholders, mockCall, mockPlaceholders, mockState } from "./planMocks";
import { cheapPromiseStacks } from "./promiseStacks";
import { PROJECT, PROJECT_ROOT } from "./stackFile";

/** The Pulumi organization the offline plan runs in (a self-managed backend's). */
export const PLAN_ORGANIZATION = "organization";

export interface PlannedResource {
    type: string;
    name: string;
    parent: string | null;
    inputs: Record<string, unknown>;
    /**
     * Only options that matter to reviewers, present when set. `dependsOn`: the names of the
     * resources it waits for besides those its inputs come from (components expanded), sorted.
     */
    options?: { protect?: true; retainOnDelete?: true; dependsOn?: string[] };
}

export interface Plan {
    stack: string;
    resources: PlannedResource[];
    outputs: Record<string, unknown>;
    /** Every setting the stack uses, by its key, with defaults applied (plans of the program only). */
    settings?: Record<string, unknown>;
    /** What each image build reads and uploads (lib/plan/buildInputs.ts), in the order of `resources`. */
    builds?: PlannedBuild[];
    /** The values that stand in for ones known only at `pulumi up` (lib/placeholders.ts), sorted by value. */
    placeholders?: Placeholder[];
}

/**
 * Runs an image build command (one with FW_BUILDER in its environment) for real instead of faking its digest (the integration tests' seam:
 * the whole program runs under mocks, but every image build really happens).
 */
export type BuildExecutor = (environment: Record<string, string>) => Promise<{ digest: string; reference: string }>;

/**
 * Resolves a base image for real instead of answering a placeholder digest (the seam of the trigger
 * builds and the integration tests); throws a BaseProblem (lib/build/resolveBase.ts) whose message is
 * the registry's or Docker's answer.
 */
export type BaseResolution = (reference: string, resolver: BaseResolver) => Promise<ResolvedBase>;

export interface PlanOptions {
    /** Runs image builds for real (the integration tests). @default builds are faked */
    execute?: BuildExecutor;
    /** Resolves base images for real (with `execute`: the builds need real bases). @default placeholder digests */
    resolveBase?: BaseResolution;
    /** What to plan instead of the program (tests of single components). @default index.ts */
    program?: () => Promise<Record<string, unknown>>;
    /** Config keys holding secrets, as Pulumi marks them. @default none */
    secretKeys?: string[];
    /** The Pulumi organization the program sees. @default PLAN_ORGANIZATION */
    organization?: string;
}

/** The parts of the SDK's mock monitor the plan hooks into (not in its public types). */
interface MonitorRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean;
    getRetainondelete?(): boolean;
    getDependenciesList?(): string[];
    getPropertydependenciesMap?(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}
type MonitorCallback = (err: unknown, resp: unknown) => void;
interface MockMonitor {
    registerResource(req: MonitorRequest, callback: MonitorCallback): unknown;
    readResource(req: MonitorRequest, callback: MonitorCallback): unknown;
    mocks: { newResource(args: pulumi.runtime.MockResourceArgs): unknown };
}

/** The program, loaded afresh (it reads its settings when it runs). */
function loadProgram(): () => Promise<Record<string, unknown>> {
    delete require.cache[require.resolve("../../index")];
    return require("../../index") as () => Promise<Record<string, unknown>>;
}

/** What a resource waits for explicitly: all its dependencies but those of its inputs, by name. */
function explicitDependencies(req: MonitorRequest): string[] {
    const all = req.getDependenciesList?.() ?? [];
    const ofInputs = new Set<string>();
    req.getPropertydependenciesMap?.().forEach((deps) => {
        for (const urn of deps.getUrnsList()) ofInputs.add(urn);
    });
    const names = all.filter((urn) => !ofInputs.has(urn)).map((urn) => urn.split("::").pop() ?? urn);
    return [...new Set(names)].sort(compareOrdinal);
}

/** The name of a resource's parent, from its URN (`...::name`). */
function parentName(urn: string): string | null {
    return urn ? (urn.split("::").pop() ?? null) : null;
}

/** Runs the program for one stack file under mocks and returns its plan. */
export async function planStack(
    stack: string,
    config: Record<string, string>,
    options: PlanOptions = {},
): Promise<Plan> {
    cheapPromiseStacks();
    const records: PlannedResource[] = [];
    const placeholders: Placeholder[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: async (args) => {
                if (
                    options.execute &&
                    args.type === "command:local:Command" &&
                    args.inputs.environment?.FW_BUILDER !== undefined
                ) {
                    const result = await options.execute(args.inputs.environment);
                    return {
                        id: `${args.name}-id`,
                        state: { ...args.inputs, stdout: JSON.stringify(result), stderr: "" },
                    };
                }
                const state = mockState(args.type, args.name, args.inputs, config);
                placeholders.push(...mockPlaceholders(args.type, state));
                return { id: `${args.name}-id`, state };
            },
            call: async (args) => {
                const inputs = (args.inputs ?? {}) as Record<string, unknown>;
                const base = baseRequest(args.token, inputs);
                if (base && options.resolveBase) {
                    const resolved = await options
                        .resolveBase(base.reference, base.resolver)
                        .catch((err: Error) => ({ problem: err.message }));
                    return callAnswer(args.token, inputs, resolved);
                }
                placeholders.push(...callPlaceholders(args.token, inputs));
                return mockCall(args.token, inputs, config);
            },
        },
        PROJECT,
        stack,
        true,
        // what a self-managed backend reports; developer stacks name their team stack with it
        options.organization ?? PLAN_ORGANIZATION,
    );
    // Record parents and options, which the Mocks interface does not pass.
    const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitor }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
        register(req, (err, resp) => {
            if (!err && resp) {
                const rec: PlannedResource = {
                    type: req.getType(),
                    name: req.getName(),
                    parent: parentName(req.getParent()),
                    inputs: {},
                };
                if (req.getProtect()) rec.options = { ...rec.options, protect: true };
                if (req.getRetainondelete?.()) rec.options = { ...rec.options, retainOnDelete: true };
                const dependsOn = explicitDependencies(req);
                if (dependsOn.length > 0) rec.options = { ...rec.options, dependsOn };
                records.push(rec);
            }
            callback(err, resp);
        });
    // A StackReference is read, not registered: list it too, with the stack it reads.
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req, callback) => {
        records.push({ type: req.getType(), name: req.getName(), parent: parentName(req.getParent()), inputs: {} });
        return read(req, callback);
    };
    const inputsOf = new Map<string, Record<string, unknown>>();
    const origNew = monitor.mocks.newResource;
    monitor.mocks.newResource = (args) => {
        const key = `${args.type}::${args.name}`;
        if (inputsOf.has(key)) {
            // names must be unique per type (children are prefixed with their parent's name)
            throw new Error(`plan: two resources of type ${args.type} are named ${args.name}`);
        }
        inputsOf.set(`${args.type}::${args.name}`, args.inputs);
        return origNew(args);
    };
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
    const program = options.program ?? loadProgram();
    const outputs = await program();
    const resolved = await resolveOutputs(outputs);
    await pulumi.runtime.disconnect();
    for (const r of records) {
        r.inputs = clean(inputsOf.get(`${r.type}::${r.name}`) ?? {}) as Record<string, unknown>;
    }
    records.sort((a, b) =>
        a.type === b.type
            ? compareOrdinal(a.name, b.name) || compareOrdinal(a.parent ?? "", b.parent ?? "")
            : compareOrdinal(a.type, b.type),
    );
    const plan: Plan = {
        stack,
        resources: records.map((r) => sortKeys(r) as PlannedResource),
        outputs: sortKeys(resolved) as Record<string, unknown>,
    };
    if (!options.program) {
        plan.settings = effectiveSettings(config, {
            stack,
            projectRoot: PROJECT_ROOT,
            secretKeys: options.secretKeys,
            organization: options.organization ?? PLAN_ORGANIZATION,
        });
    }
    plan.builds = [];
    for (const r of plan.resources) {
        const kind = buildKind(r, plan.resources);
        if (kind) {
            const environment = (r.inputs.environment ?? {}) as Record<string, string>;
            plan.builds.push(
                sortKeys(
                    await recordBuild({ name: r.name, parent: r.parent, kind, environment }, PROJECT_ROOT),
                ) as PlannedBuild,
            );
        }
    }
    plan.placeholders = sortedPlaceholders([...placeholders, ...derivedPlaceholders(plan.resources, placeholders)]);
    // secrets never reach a plan, a diff or a pull-request summary
    return maskSecrets(plan);
}

const COMPONENT_KINDS: Record<string, BuildKind> = {
    "fireworker-images:images:RuntimeImage": "runtime",
    "fireworker-images:images:ApplicationImage": "application",
};

/** The kind of image a resource builds, from the component declaring it; undefined if it is no image build. */
function buildKind(r: PlannedResource, all: PlannedResource[]): BuildKind | undefined {
    const env = r.inputs.environment as Record<string, unknown> | undefined;
    if (r.type !== "command:local:Command" || env?.FW_BUILDER === undefined) return undefined;
    const parent = all.find((p) => p.name === r.parent && p.type in COMPONENT_KINDS);
    return parent ? COMPONENT_KINDS[parent.type] : "image";
}

/**
 * Values the program computes from a placeholder, so placeholders too: the content tag of an
 * image built FROM a placeholder digest, and the name of a disk image baked from one.
 */
function derivedPlaceholders(resources: PlannedResource[], known: Placeholder[]): Placeholder[] {
    const out: Placeholder[] = [];
    for (const r of resources) {
        const env = (r.inputs.environment ?? {}) as Record<string, unknown>;
        if (r.type !== "command:local:Command") continue;
        if (typeof env.FW_BUILD_ARGS === "string" && typeof env.FW_TAGS === "string") {
            const from = (JSON.parse(env.FW_BUILD_ARGS) as Record<string, string>).from ?? "";
            const source = placeholderIn(from, known);
            if (source) {
                const meaning = `content tag of ${env.FW_IMAGE}; follows the ${source.meaning}`;
                out.push({ value: env.FW_TAGS.split(",")[0], meaning });
                const trigger = (r.inputs.triggers as unknown[] | undefined)?.[0];
                if (typeof trigger === "string") out.push({ value: trigger, meaning });
            }
        }
        if (typeof env.FW_BAKE_IMAGE === "string" && typeof env.FW_BAKE_CONFIG === "string") {
            const source = placeholderIn(env.FW_BAKE_CONFIG, known);
            if (source) {
                out.push({
                    value: env.FW_BAKE_IMAGE,
                    meaning: `disk image name; follows the ${source.meaning}`,
                });
            }
        }
    }
    return out;
}

function sortedPlaceholders(list: Placeholder[]): Placeholder[] {
    const byValue = new Map<string, Placeholder>();
    for (const p of list) if (!byValue.has(p.value)) byValue.set(p.value, p);
    return [...byValue.values()]
        .sort((a, b) => compareOrdinal(a.value, b.value))
        .map((p) => sortKeys(p) as Placeholder);
}

async function resolveOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(outputs)) {
        const o = pulumi.output(v) as pulumi.Output<unknown>;
        out[k] = (await pulumi.isSecret(o))
            ? "[secret]"
            : await new Promise((resolve) => o.apply((x: unknown) => resolve(x)));
    }
    return out;
}

/** Drops the provider SDK's bookkeeping keys (`__defaults`) and shows unknowns as such. */
function clean(value: unknown): unknown {
    if (value !== null && typeof value === "object" && (value as Record<string, unknown>).__pulumiUnknown === true) {
        return "(known after apply)";
    }
    if (Array.isArray(value)) {
        return value.map(clean);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
                .filter(([k, v]) => k !== "__defaults" && v !== undefined)
                .map(([k, v]) => [k, clean(v)]),
        );
    }
    return value;
}

export function planJson(plan: Plan): string {
    return `${JSON.stringify(plan, null, 2)}\n`;
}
