/**
 * The `prepare` step of a Cloud Build trigger (see triggerBuild.ts): plans the stack at the
 * pushed commit with this project's own code, packs the context of the wanted image, and
 * writes `.fireworker/trigger/build.sh` for the `build` step.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../build/buildSpec";
import { buildSpecFromEnvironment } from "../build/buildSpec";
import { cacheRepository, gcloudLookupArgs, resolveCacheFrom } from "../build/cacheFrom";
import { dockerBuildArgs } from "../build/cloudBuildConfig";
import { collectContext, hashContext } from "../build/context";
import { writeContextFile } from "../build/pack";
import { BaseProblem } from "../build/resolveBase";
import { generatedFiles, manifestFlags } from "../build/runBuild";
import { wheelhouseUri } from "../build/wheelhouse";
import {
    WHEELHOUSE_ADD_HOST,
    wheelhouseCollectScript,
    wheelhouseFetchScript,
    wheelhouseServeScript,
    wheelhouseStoreScript,
} from "../build/wheelhouseSteps";
import { shellQuote } from "../commands/exec";
import { wheelhouseBucketName } from "../names";
import { planStack } from "../plan/offlinePlan";
import { resolveStackFile, stackConfig } from "../plan/stackFile";
import { TRIGGER_DIR, type TriggerBase, type TriggerBuildKind } from "./triggerBuild";

/** What the trigger asks for (its step's environment). */
export interface TriggerRequest {
    /** The stack whose settings the build follows. */
    stack: string;
    build: TriggerBuildKind;
    /** The team runtime (`repository@sha256:...`) an application builds FROM. */
    runtimeReference: string;
    /** Nightly builds: push here instead, with `friendlyTag` as a moving tag. */
    imageOverride?: string;
    friendlyTag?: string;
    /** A runtime build's base by tag and the digest the last `pulumi up` resolved it to. @default none */
    base?: TriggerBase;
}

/**
 * The request of a trigger step: FW_STACK, FW_BUILD, FW_RUNTIME_REF, FW_IMAGE_OVERRIDE,
 * FW_FRIENDLY_TAG, FW_BASE_TAG and FW_BASE_REF.
 */
export function triggerRequestFromEnvironment(env: NodeJS.ProcessEnv): TriggerRequest {
    const build = env.FW_BUILD;
    if (build !== "runtime" && build !== "application") {
        throw new Error(`trigger-build: FW_BUILD: ${JSON.stringify(build)} is not runtime or application`);
    }
    return {
        stack: env.FW_STACK ?? "team",
        build,
        runtimeReference: env.FW_RUNTIME_REF ?? "",
        imageOverride: env.FW_IMAGE_OVERRIDE || undefined,
        friendlyTag: env.FW_FRIENDLY_TAG || undefined,
        base: env.FW_BASE_TAG && env.FW_BASE_REF ? { tag: env.FW_BASE_TAG, reference: env.FW_BASE_REF } : undefined,
    };
}

/**
 * The bash script that builds and pushes one spec, with runBuild's invariant: a content tag that
 * exists is adopted, not rebuilt; a push that loses to another builder (the team repository's
 * tags are immutable) is a success once the tag's digest is read back; moving tags then point at
 * the content tag's digest, even when it existed. The digest goes to `<dir>/digest`.
 *
 * A spec with `cacheFrom` candidates (a runtime) reuses the layers of the previous image the
 * `cache-from` step wrote to `<dir>/cache-from` (see cacheFromScript): pulled by digest, passed as
 * `--cache-from`; none, or one that cannot be pulled, is one line and a cold build. It is read
 * only when the content tag has to be built, and never changes what the content tag names.
 */
export function buildScript(spec: BuildSpec, contextTar: string): string {
    const ref = `${spec.image}:${spec.tags[0]}`;
    const reuse = (spec.cacheFrom ?? []).length > 0;
    const args = dockerBuildArgs({
        refs: [ref],
        // as the Cloud Build config of `pulumi up` (renderCloudBuildConfig): BuildKit reuses a
        // pulled image's layers only with their inline cache metadata; no input of the hash
        buildArgs: reuse ? { ...spec.buildArgs, BUILDKIT_INLINE_CACHE: "1" } : spec.buildArgs,
        labels: spec.labels,
        network: "cloudbuild",
    });
    const q = shellQuote;
    const dir = path.posix.dirname(contextTar);
    const digestFile = path.posix.join(dir, "digest");
    const served = spec.wheelhouse !== undefined && spec.buildArgs.from !== undefined;
    const indent = (text: string) => text.split("\n").map((l) => `    ${l}`);
    const wheelhouse = served
        ? [
              "    # the wheels pip built before, served to the build (the wheelhouse-fetch step fetched them)",
              // not indented: the server's Python and its here-document end must stay at column 0
              ...wheelhouseServeScript(spec.buildArgs.from ?? "").split("\n"),
              ...indent(WHEELHOUSE_ADD_HOST.join("\n")),
          ]
        : [];
    const hosts = served ? ' ${wheelhouse[@]+"${wheelhouse[@]}"}' : "";
    const collect = served
        ? ["    # what pip built, for the wheelhouse-store step", ...indent(wheelhouseCollectScript())]
        : [];
    const build = reuse
        ? [
              "    # the previous image the cache-from step found: its layers up to the first changed instruction",
              "    cache=()",
              `    previous="$(cat ${q(path.posix.join(dir, "cache-from"))} 2>/dev/null || true)"`,
              '    if [[ "$previous" =~ ^[^[:space:]]+@sha256:[0-9a-f]{64}$ ]]; then',
              '        if why="$(docker pull --quiet "$previous" 2>&1 >/dev/null)"; then',
              '            cache=("--cache-from=$previous")',
              '            echo "fireworker: reusing the layers of $previous"',
              "        else",
              "            why=\"${why%%$'\\n'*}\"",
              '            echo "fireworker: the previous image $previous cannot be pulled (${why:-no reason given}); building without its layers" >&2',
              "        fi",
              "    else",
              '        echo "fireworker: no previous image to reuse; building without its layers"',
              "    fi",
              `    docker ${args.map(q).join(" ")} \${cache[@]+"\${cache[@]}"}${hosts} - < ${q(contextTar)}`,
          ]
        : [`    docker ${args.map(q).join(" ")}${hosts} - < ${q(contextTar)}`];
    return [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        `image=${q(spec.image)}`,
        `ref=${q(ref)}`,
        "# the registry's digest of a tag (docker manifest inspect --verbose: Descriptor.digest), or nothing",
        "digest_of() {",
        `    docker manifest inspect ${manifestFlags(ref).join(" ")} "$1" 2>/dev/null |`,
        String.raw`        sed -n 's/.*"digest": *"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' | head -n 1 || true`,
        "}",
        'digest="$(digest_of "$ref")"',
        'if [ -n "$digest" ]; then',
        '    echo "fireworker: $ref exists already ($digest); not rebuilt"',
        "else",
        ...wheelhouse,
        ...build,
        ...collect,
        "    # what the registry's tag names is the answer, pushed by this builder or (lost push) another",
        '    if docker push "$ref"; then',
        '        digest="$(digest_of "$ref")"',
        "    else",
        '        digest="$(digest_of "$ref")"',
        '        [ -n "$digest" ] || { echo "fireworker: the push of $ref failed" >&2; exit 1; }',
        '        echo "fireworker: the push of $ref lost to another builder; adopting $digest"',
        "    fi",
        "fi",
        '[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "fireworker: no digest for $ref" >&2; exit 1; }',
        ...spec.tags
            .slice(1)
            .flatMap((t) => [
                `# moving tag ${t}: to the content tag's digest`,
                'docker image inspect "$image@$digest" >/dev/null 2>&1 || docker pull --quiet "$image@$digest"',
                `docker tag "$image@$digest" ${q(`${spec.image}:${t}`)}`,
                `docker push ${q(`${spec.image}:${t}`)}`,
            ]),
        `printf '%s\\n' "$digest" > ${q(digestFile)}`,
        'echo "fireworker: $ref is $image@$digest"',
        "",
    ].join("\n");
}

/**
 * The bash script of a runtime trigger's `cache-from` step (gcloud, no Node): writes to `out`
 * the previous image whose layers the build reuses, as `repository@sha256:...`, or nothing. It
 * runs resolveCacheFrom's order with the look-ups `pulumi up` runs (gcloudLookupArgs): the
 * candidates before the first digest are looked up in turn, the first found wins; else that
 * digest, if any (its pull tells whether it exists). A failed look-up is a candidate not found;
 * the script never fails, and the step may fail without failing the build.
 */
export async function cacheFromScript(spec: BuildSpec, out: string): Promise<string> {
    const q = shellQuote;
    const lookups: { ref: string; kind: "tag" | "newest" }[] = [];
    const project = spec.project;
    const fallback =
        spec.cacheFrom && project
            ? await resolveCacheFrom(spec.cacheFrom, async (ref, kind) => {
                  lookups.push({ ref, kind });
                  return undefined;
              })
            : undefined;
    return [
        "#!/usr/bin/env bash",
        "# the previous image whose layers the build step reuses (prepareTriggerBuild.ts cacheFromScript)",
        "set -uo pipefail",
        `out=${q(out)}`,
        'rm -f "$out"',
        "use() {",
        '    printf \'%s\\n\' "$1" > "$out"',
        '    echo "fireworker: the build may reuse the layers of $1"',
        "    exit 0",
        "}",
        ...(project
            ? lookups.flatMap(({ ref, kind }) => [
                  `# ${kind === "tag" ? "the tag" : "the newest image of"} ${ref}`,
                  `digest="$(gcloud ${gcloudLookupArgs(ref, kind, project).map(q).join(" ")} 2>/dev/null | head -n 1)" || digest=""`,
                  `if [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then use ${q(cacheRepository(ref, kind))}@"$digest"; fi`,
              ])
            : []),
        fallback
            ? `use ${q(fallback)}`
            : `echo ${q(`fireworker: no previous image found${spec.cacheFrom?.length ? ` (${spec.cacheFrom.join(", ")})` : ""}; the build runs without one`)}`,
        "",
    ].join("\n");
}

/**
 * A trigger's checkout may be shallow: the git facts need the commit that last touched the
 * payload, so the history is deepened first (the program owns this checkout). Where it cannot
 * be, the plan says so if, and only if, the facts need more history.
 */
export function deepenHistory(root: string, log: (line: string) => void = () => undefined): void {
    const shallow = spawnSync("git", ["-C", root, "rev-parse", "--is-shallow-repository"], { encoding: "utf8" });
    if (shallow.status !== 0 || shallow.stdout.trim() !== "true") {
        return;
    }
    const r = spawnSync("git", ["-C", root, "fetch", "--quiet", "--unshallow"], {
        encoding: "utf8",
        timeout: 300_000,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
    log(
        r.status === 0
            ? "trigger-build: the checkout was shallow; fetched its whole history for the git facts"
            : `trigger-build: the checkout is shallow and could not be deepened (${(r.stderr || "").trim().split("\n")[0]})`,
    );
}

/**
 * The base a runtime trigger builds FROM: the digest `pulumi up` resolved `tag` to, carried by the
 * trigger. A base the settings name otherwise at this commit (changed since that `pulumi up`) is
 * refused: the deploy's `pulumi up` resolves it and builds that runtime.
 */
export function triggerBase(request: TriggerRequest, tag: string): { digest: string; reference: string } {
    const base = request.base;
    if (!base) {
        throw new BaseProblem(
            "the trigger carries no resolved base (FW_BASE_TAG, FW_BASE_REF): run pulumi up of the team stack",
        );
    }
    if (base.tag !== tag) {
        throw new BaseProblem(
            `the trigger holds the digest of ${base.tag} (resolved at the last pulumi up), not of ${tag}: the deploy's pulumi up resolves it and builds this runtime`,
        );
    }
    const at = base.reference.lastIndexOf("@");
    return { digest: at < 0 ? base.reference : base.reference.slice(at + 1), reference: base.reference };
}

/**
 * The scripts of a runtime trigger's `wheelhouse-fetch` and `wheelhouse-store` steps (gcloud):
 * the team's wheelhouse of the spec's build environment; nothing to do for a build without one
 * (at this commit).
 */
export function wheelhouseScripts(spec: BuildSpec): { fetch: string; store: string } {
    const uri =
        spec.wheelhouse && spec.project
            ? wheelhouseUri(wheelhouseBucketName(spec.project), spec.wheelhouse)
            : undefined;
    const script = (body: string) => `#!/usr/bin/env bash\nset -uo pipefail\n${body}\n`;
    return {
        fetch: script(uri ? wheelhouseFetchScript(uri) : "exit 0"),
        store: script(uri ? wheelhouseStoreScript(uri) : "exit 0"),
    };
}

/** Plans the stack, packs the wanted build's context and writes its build script under `root`. */
export async function prepareTriggerBuild(request: TriggerRequest, root: string): Promise<string> {
    const { stack, file } = resolveStackFile(request.stack, root);
    let wanted: BuildSpec | undefined;
    await planStack(stack, stackConfig(file), {
        // Each image build the program declares comes here instead of running.
        execute: async (env) => {
            const spec = buildSpecFromEnvironment(env);
            if (spec.kind === request.build) {
                wanted = spec;
            }
            // the application builds FROM the team runtime Pulumi last pushed
            const reference = request.runtimeReference;
            return { digest: reference.split("@")[1] ?? "", reference };
        },
        // a runtime builds FROM the digest the last `pulumi up` resolved its base to (the prepare
        // step has no Docker); an application's plan needs none (it builds FROM FW_RUNTIME_REF)
        ...(request.build === "runtime" ? { resolveBase: async (tag: string) => triggerBase(request, tag) } : {}),
    });
    if (!wanted) {
        throw new Error(`trigger-build: the ${stack} stack declares no ${request.build} build`);
    }
    if (request.imageOverride) {
        wanted = {
            ...wanted,
            image: request.imageOverride,
            tags: [wanted.tags[0], request.friendlyTag ?? "latest"],
        };
    }
    const entries = collectContext(wanted.context, root);
    if ((await hashContext(entries)) !== wanted.contextDigest) {
        throw new Error("trigger-build: the context changed while planning");
    }
    const dir = path.join(root, TRIGGER_DIR);
    fs.mkdirSync(dir, { recursive: true });
    await writeContextFile(
        entries,
        wanted.dockerfile,
        path.join(dir, "context.tar"),
        generatedFiles(wanted, entries, root),
    );
    fs.writeFileSync(path.join(dir, "build.sh"), buildScript(wanted, `${TRIGGER_DIR}/context.tar`), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "cache-from.sh"), await cacheFromScript(wanted, `${TRIGGER_DIR}/cache-from`), {
        mode: 0o755,
    });
    const wheelhouse = wheelhouseScripts(wanted);
    fs.writeFileSync(path.join(dir, "wheelhouse-fetch.sh"), wheelhouse.fetch, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "wheelhouse-store.sh"), wheelhouse.store, { mode: 0o755 });
    return `trigger-build: ${wanted.image}:${wanted.tags[0]} prepared (${entries.length} files)`;
}
