/**
 * The offline plan: runs the program under Pulumi's mocks (no CLI, no cloud, no credentials)
 * and returns every resource it declares with its inputs, sorted, with nothing machine-specific.
 * Used by `npm run plan`, the tests and the pull-request workflow.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { sortKeys } from "./context";
import { maskSecrets } from "./mask";
import { teamOutputPlaceholders } from "./teamOutputs";

export const PROJECT = "fireworker-images";
export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface PlannedResource {
    type: string;
    name: string;
    parent: string | null;
    inputs: Record<string, unknown>;
    /** Only options that matter to reviewers, present when set. */
    options?: { protect?: true; retainOnDelete?: true };
}

export interface Plan {
    stack: string;
    resources: PlannedResource[];
    outputs: Record<string, unknown>;
}

/** A stack name (`team`) or a path to `Pulumi.<stack>.yaml`, to the stack name and its file. */
export function resolveStackFile(arg: string, cwd = process.cwd()): { stack: string; file: string } {
    const asPath = path.resolve(cwd, arg);
    const file =
        arg.endsWith(".yaml") || arg.endsWith(".yml")
            ? asPath
            : path.join(PROJECT_ROOT, "stacks", `Pulumi.${arg}.yaml`);
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    if (!m) {
        throw new PlanInputError(`plan: ${JSON.stringify(arg)} is not a stack name nor a Pulumi.<stack>.yaml file`);
    }
    if (!fs.existsSync(file)) {
        throw new PlanInputError(
            `plan: no stack file for ${JSON.stringify(arg)} (looked for ${path.relative(cwd, file) || file})`,
        );
    }
    return { stack: m[1], file };
}

export class PlanInputError extends Error {}

/** Pulumi's flat config map (`ns:key` to string; objects as JSON) from a stack file. */
export function stackConfig(file: string): Record<string, string> {
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        const key = k.includes(":") ? k : `${PROJECT}:${k}`;
        if (v !== null && typeof v === "object" && "secure" in (v as object)) {
            out[key] = "[secret]";
        } else {
            out[key] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return out;
}

function fakeDigest(seed: unknown): string {
    return `sha256:${createHash("sha256").update(JSON.stringify(seed)).digest("hex")}`;
}

/**
 * Runs an image build command (one with FW_BUILDER in its environment) for real instead of faking its digest (the integration tests' seam:
 * the whole program runs under mocks, but every image build really happens).
 */
export type BuildExecutor = (environment: Record<string, string>) => Promise<{ digest: string; reference: string }>;

export interface PlanOptions {
    execute?: BuildExecutor;
}

/** Deterministic provider outputs for the resources we read back. */
function mockState(
    type: string,
    name: string,
    inputs: Record<string, any>,
    config: Record<string, string>,
): Record<string, unknown> {
    const project = inputs.project ?? config["gcp:project"] ?? "project";
    switch (type) {
        case "command:local:Command": {
            const env = inputs.environment ?? {};
            const digest = fakeDigest({ triggers: inputs.triggers, image: env.FW_IMAGE });
            // as the real build reports it: a registry digest when pushed, else the local image id
            const reference = env.FW_PUSH === "true" ? `${env.FW_IMAGE}@${digest}` : digest;
            return { ...inputs, stdout: JSON.stringify({ digest, reference }), stderr: "" };
        }
        case "gcp:serviceaccount/account:Account": {
            const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
            return {
                ...inputs,
                email,
                name: `projects/${project}/serviceAccounts/${email}`,
                member: `serviceAccount:${email}`,
            };
        }
        case "gcp:storage/bucket:Bucket":
            return { ...inputs, url: `gs://${inputs.name}` };
        case "gcp:cloudbuild/trigger:Trigger":
            return { ...inputs, triggerId: `${inputs.name}-id` };
        case "pulumi:pulumi:StackReference": {
            const location = config["gcp:region"] ?? "us-central1";
            return { name: inputs.name, outputs: teamOutputPlaceholders(project, location), secretOutputNames: [] };
        }
        default:
            return { ...inputs, name: inputs.name ?? name };
    }
}

/** Runs the program for one stack file under mocks and returns its plan. */
export async function planStack(
    stack: string,
    config: Record<string, string>,
    options: PlanOptions = {},
): Promise<Plan> {
    const records: PlannedResource[] = [];
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
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        PROJECT,
        stack,
        true,
    );
    // Record parents and options, which the Mocks interface does not pass.
    const monitor = (pulumi.runtime as unknown as { getMonitor(): any }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) =>
        register(req, (err: unknown, resp: any) => {
            if (!err && resp) {
                const parentUrn: string = req.getParent();
                const rec: PlannedResource = {
                    type: req.getType(),
                    name: req.getName(),
                    parent: parentUrn ? parentUrn.split("::").pop()! : null,
                    inputs: {},
                };
                if (req.getProtect()) rec.options = { ...rec.options, protect: true };
                if (req.getRetainondelete?.()) rec.options = { ...rec.options, retainOnDelete: true };
                records.push(rec);
            }
            callback(err, resp);
        });
    // A StackReference is read, not registered: list it too, with the stack it reads.
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: any, callback: (err: unknown, resp: any) => void) => {
        const parentUrn: string = req.getParent();
        records.push({
            type: req.getType(),
            name: req.getName(),
            parent: parentUrn ? parentUrn.split("::").pop()! : null,
            inputs: {},
        });
        return read(req, callback);
    };
    const inputsOf = new Map<string, Record<string, unknown>>();
    const origNew = monitor.mocks.newResource;
    monitor.mocks.newResource = (args: any) => {
        const key = `${args.type}::${args.name}`;
        if (inputsOf.has(key)) {
            // names must be unique per type (children are prefixed with their parent's name)
            throw new Error(`plan: two resources of type ${args.type} are named ${args.name}`);
        }
        inputsOf.set(`${args.type}::${args.name}`, args.inputs);
        return origNew(args);
    };
    pulumi.runtime.setAllConfig(config);
    delete require.cache[require.resolve("../index")];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require("../index") as () => Promise<Record<string, unknown>>;
    const outputs = await program();
    const resolved = await resolveOutputs(outputs);
    await pulumi.runtime.disconnect();
    for (const r of records) {
        r.inputs = clean(inputsOf.get(`${r.type}::${r.name}`) ?? {}) as Record<string, unknown>;
    }
    records.sort((a, b) =>
        a.type === b.type ? cmp(a.name, b.name) || cmp(a.parent ?? "", b.parent ?? "") : cmp(a.type, b.type),
    );
    // secrets never reach a plan, a diff or a pull-request summary
    return maskSecrets({
        stack,
        resources: records.map((r) => sortKeys(r) as PlannedResource),
        outputs: sortKeys(resolved) as Record<string, unknown>,
    });
}

function cmp(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
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
