/** Running the offline plan in tests: in-process for speed, or as the real CLI. */
import { type SpawnSyncOptions, spawnSync } from "node:child_process";
import * as path from "node:path";
import { type PreparedBuild, prepareBuilds, prepareRuntime } from "../../lib/build/prepareBuild";
import { type Plan, type PlannedResource, type PlanOptions, planStack } from "../../lib/plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../../lib/plan/stackFile";
import { findRepository } from "../../lib/repository";
import { loadSettings } from "../../lib/settings/loadSettings";

export const ROOT = path.resolve(__dirname, "..", "..");

/** The plan of an example stack (`team`, `local`, `dev-example`), with optional config overrides and plan options. */
export async function planOf(
    stack: string,
    overrides: Record<string, string | undefined> = {},
    options: PlanOptions = {},
): Promise<Plan> {
    const { file } = resolveStackFile(stack, ROOT);
    const config: Record<string, string> = { ...stackConfig(file) };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete config[k];
        else config[k] = v;
    }
    return planStack(stack, config, options);
}

/** Merges `patch` into one object setting (e.g. `runtime`) of an example stack's config. */
export function patchSetting(stack: string, key: string, patch: Record<string, unknown>): Record<string, string> {
    const { file } = resolveStackFile(stack, ROOT);
    const current = stackConfig(file)[`fireworker-images:${key}`];
    return { [`fireworker-images:${key}`]: JSON.stringify({ ...(current ? JSON.parse(current) : {}), ...patch }) };
}

export function byType(plan: Plan, type: string): PlannedResource[] {
    return plan.resources.filter((r) => r.type === type);
}

export function find(plan: Plan, type: string, name: string, parent?: string): PlannedResource {
    const r = plan.resources.find(
        (x) => x.type === type && x.name === name && (parent === undefined || x.parent === parent),
    );
    if (!r) throw new Error(`no ${type} named ${name}${parent ? ` under ${parent}` : ""} in the plan of ${plan.stack}`);
    return r;
}

/** The build command of an image component (`runtime` or `application`). */
export function buildOf(plan: Plan, component: "runtime" | "application"): Record<string, string> {
    return find(plan, "command:local:Command", `${component}-build`, component).inputs.environment as Record<
        string,
        string
    >;
}

/** Runs `npm run --silent plan -- <arg>` as a user would. */
export function planCli(
    arg: string,
    opts: SpawnSyncOptions = {},
): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("npm", ["run", "--silent", "--prefix", ROOT, "plan", "--", arg], { encoding: "utf8", ...opts });
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The plan of resources declared by `declare` alone (a component under test), under the same mocks. */
export function planOfComponents(
    declare: () => Record<string, unknown>,
    options: Omit<PlanOptions, "program"> = {},
): Promise<Plan> {
    return planStack("test", {}, { ...options, program: async () => declare() });
}

/** The runtime and application builds of a local stack with default settings, prepared from the example. */
export async function preparedLocalBuilds(): Promise<{ runtime: PreparedBuild; application: PreparedBuild }> {
    const s = loadSettings({ "fireworker-images:mode": "local" }, { stack: "local", projectRoot: ROOT });
    return prepareBuilds(s, findRepository(ROOT));
}

/**
 * A runtime prepared as the local stack file would with `runtime` as its runtime settings (paths
 * relative to the project), rendered with the pip relay (`relay`, as the local stack does) or
 * without it (as a Google stack does); `base` is the settings' base, the build's `from`.
 */
export async function preparedRuntime(
    runtime: Record<string, unknown>,
    relay: boolean,
): Promise<{ prepared: PreparedBuild; base: string | undefined }> {
    const s = loadSettings(
        {
            ...stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml")),
            "fireworker-images:runtime": JSON.stringify(runtime),
        },
        { stack: "local", projectRoot: ROOT },
    );
    return { prepared: await prepareRuntime(s.runtime, findRepository(ROOT), relay), base: s.runtime.base };
}
