/**
 * The `prepare` step of a Cloud Build trigger (see lib/triggers.ts): plans the stack at the
 * pushed commit with this project's own code, packs the context of the wanted image, and
 * writes `.fireworker/trigger/build.sh` for the `build` step. Environment: FW_STACK, FW_BUILD
 * (runtime | application), FW_RUNTIME_REF, and for nightly builds FW_IMAGE_OVERRIDE and
 * FW_FRIENDLY_TAG.
 */
import * as fs from "fs";
import * as path from "path";
import { dockerBuildArgs } from "../lib/cloudbuild";
import { collectContext, hashContext } from "../lib/context";
import { planStack, resolveStackFile, stackConfig } from "../lib/offlinePlan";
import { writeContextFile } from "../lib/pack";
import { BuildSpec, specFromEnvironment } from "../lib/runBuild";
import { shellQuote, TRIGGER_DIR } from "../lib/triggers";

const ROOT = path.resolve(__dirname, "..");

/** The bash script that builds and pushes one spec, skipping a content tag that exists. */
export function buildScript(spec: BuildSpec, contextTar: string): string {
    const refs = spec.tags.map((t) => `${spec.image}:${t}`);
    const args = [...dockerBuildArgs(refs, spec.buildArgs, "cloudbuild"), "-"];
    return [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        `if docker manifest inspect ${shellQuote(refs[0])} >/dev/null 2>&1; then`,
        `    echo "fireworker: ${refs[0]} exists already (same content hash); nothing to build"`,
        "    exit 0",
        "fi",
        `docker ${args.map(shellQuote).join(" ")} < ${shellQuote(contextTar)}`,
        ...refs.map((r) => `docker push ${shellQuote(r)}`),
        "",
    ].join("\n");
}

async function main(): Promise<void> {
    const want = process.env.FW_BUILD;
    if (want !== "runtime" && want !== "application") {
        throw new Error(`trigger-build: FW_BUILD: ${JSON.stringify(want)} is not runtime or application`);
    }
    const { stack, file } = resolveStackFile(process.env.FW_STACK ?? "team", ROOT);
    let wanted: BuildSpec | undefined;
    await planStack(stack, stackConfig(file), {
        // Each image build the program declares comes here instead of running.
        execute: async (env) => {
            const spec = specFromEnvironment(env);
            const isApplication = "git_hash" in spec.buildArgs;
            if (isApplication === (want === "application")) {
                wanted = spec;
            }
            // the application builds FROM the team runtime Pulumi last pushed
            const reference = process.env.FW_RUNTIME_REF ?? "";
            return { digest: reference.split("@")[1] ?? "", reference };
        },
    });
    if (!wanted) {
        throw new Error(`trigger-build: the ${stack} stack declares no ${want} build`);
    }
    if (process.env.FW_IMAGE_OVERRIDE) {
        wanted = {
            ...wanted,
            image: process.env.FW_IMAGE_OVERRIDE,
            tags: [wanted.tags[0], process.env.FW_FRIENDLY_TAG ?? "latest"],
        };
    }
    const entries = collectContext(wanted.context, ROOT);
    if ((await hashContext(entries)) !== wanted.contextDigest) {
        throw new Error("trigger-build: the context changed while planning");
    }
    const dir = path.join(ROOT, TRIGGER_DIR);
    fs.mkdirSync(dir, { recursive: true });
    await writeContextFile(entries, wanted.dockerfile, path.join(dir, "context.tar"));
    fs.writeFileSync(path.join(dir, "build.sh"), buildScript(wanted, `${TRIGGER_DIR}/context.tar`), { mode: 0o755 });
    process.stdout.write(`trigger-build: ${wanted.image}:${wanted.tags[0]} prepared (${entries.length} files)\n`);
}

if (require.main === module) {
    main().catch((err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
    });
}
