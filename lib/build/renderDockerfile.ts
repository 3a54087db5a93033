/**
 * Renders the runtime and application Dockerfiles from settings, following the source
 * document's rules (ARG from / FROM ${from}; one apt layer with update and install; pip without
 * cache; world-writable dirs made under umask 000; COPY, WORKDIR, CMD). Every value is quoted or
 * checked by the settings' grammar, so no setting can add an instruction.
 */
import { shellQuote } from "../commands/exec";
import { PIP_RELAY_HOST, PIP_RELAY_INDEX } from "../pip/pipRelay";
import { wheelhouseRun } from "./wheelhouse";

export interface RuntimeDockerfileArgs {
    /** Default of `ARG from` (the build passes it too). */
    base: string;
    /** Build arguments the steps may use (`ARG` lines, values passed by the build). */
    buildArgs: string[];
    env: Record<string, string>;
    aptPackages: string[];
    /** `pip install` passes before the requirements, in order. */
    pipSteps: string[];
    /** The requirements and how they reach pip (lib/build/requirements.ts). Unset: nothing for pip. */
    requirements?: RequirementsLayout;
    writableDirs: string[];
    /**
     * The build runs on the Docker engine of the machine that runs the program (the local stack):
     * pip reaches that machine's pip configuration through its relay (lib/pip/pipRelay.ts) when
     * the build is given one. Cloud Build never is. @default false
     */
    pipRelay?: boolean;
    /**
     * pip keeps the wheels it builds from source in the wheelhouse, and reuses them, when the
     * build reaches one (lib/build/wheelhouse.ts). @default false
     */
    wheelhouse?: boolean;
}

/**
 * How the requirements are uploaded and installed: one file as `requirements.txt`; one file
 * that reads others as a folder `requirements/` holding the main file at `main` and everything
 * it reads; or several files, each in its own layer: the folder `dir` of the context holds the
 * layer's main file at `main` (relative to `dir`) and everything it reads.
 */
export type RequirementsLayout =
    | { layout: "file" }
    | { layout: "folder"; main: string }
    | { layout: "layers"; layers: { dir: string; main: string }[] };

export interface ApplicationDockerfileArgs {
    /** Default of `ARG from`; the build overrides it with the runtime's digest reference. */
    runtimeRepository: string;
    /** Build arguments besides the git facts (`ARG` lines). */
    buildArgs: string[];
    env: Record<string, string>;
    workdir: string;
    /** Shell steps run in the workdir after the payload is copied. */
    run: string[];
    cmd: string[];
}

/** The build arguments that carry the payload's git facts into the application image. */
export const GIT_ARGS = ["git_hash", "git_branch", "timestamp"] as const;

/** `ENV` lines: values double-quoted with `\`, `"` and `$` escaped, so nothing is expanded. */
function envLines(env: Record<string, string>): string[] {
    const keys = Object.keys(env).sort();
    if (keys.length === 0) return [];
    const quoted = keys.map((k) => `${k}="${env[k].replace(/[\\"$]/g, (c) => `\\${c}`)}"`);
    return [`ENV ${quoted.join(" \\\n    ")}`, ""];
}

function argLines(names: string[]): string[] {
    return [...names].sort().map((n) => `ARG ${n}`);
}

/** How a pip `RUN` reaches packages: the relayed pip configuration, the wheelhouse. */
interface PipReach {
    relay: boolean;
    wheelhouse: boolean;
}

/**
 * A `RUN` of a command holding one `pip install `: without pip's cache, or with the wheelhouse
 * (which is pip's cache, deleted by the same RUN); with the relayed pip configuration if asked.
 */
function pipRun(command: string, reach: PipReach): string {
    const [when, use, done] = [
        `if getent hosts ${PIP_RELAY_HOST} >/dev/null; then`,
        `    export PIP_INDEX_URL=${PIP_RELAY_INDEX} PIP_TRUSTED_HOST=${PIP_RELAY_HOST};`,
        "fi",
    ];
    if (reach.wheelhouse) {
        return wheelhouseRun(reach.relay ? [when, use, `${done};`] : [], command);
    }
    const uncached = command.replace("pip install ", "pip install --no-cache-dir ");
    if (!reach.relay) return `RUN ${uncached}`;
    return [`RUN ${when} \\`, `    ${use} \\`, `    ${done} \\`, `    && ${uncached}`].join("\n");
}

export function renderRuntimeDockerfile(a: RuntimeDockerfileArgs): string {
    const lines = [
        "# Rendered by fireworker-images from the runtime settings; do not edit.",
        "# Never an Alpine base: musl changes floating-point results.",
        `ARG from=${a.base}`,
        "FROM ${from}",
        "",
    ];
    if (a.buildArgs.length > 0) {
        lines.push(...argLines(a.buildArgs), "");
    }
    lines.push(...envLines(a.env));
    if (a.aptPackages.length > 0) {
        lines.push(
            "# update and install in one layer, so the package lists are never stale from the cache",
            "RUN apt-get update \\",
            `    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${a.aptPackages.join(" ")} \\`,
            "    && rm -rf /var/lib/apt/lists/*",
            "",
        );
    }
    const pip = (command: string) => pipRun(command, { relay: a.pipRelay === true, wheelhouse: a.wheelhouse === true });
    if (a.pipRelay && (a.pipSteps.length > 0 || a.requirements)) {
        lines.push(
            "# When the machine that builds has a pip configuration (its index, certificates), it relays it",
            "# under a name that resolves in its builds only; nothing of it stays in the image",
            "",
        );
    }
    if (a.pipSteps.length > 0) {
        lines.push(
            "# pip passes that come first (pip itself, or packages the requirements build against)",
            ...a.pipSteps.map((step) => pip(`pip install ${step.trim().split(/ +/).map(shellQuote).join(" ")}`)),
            "",
        );
    }
    const r = a.requirements;
    if (r?.layout === "file") {
        lines.push(
            "# all pips in one layer, without keeping downloads",
            "COPY requirements.txt /tmp/requirements.txt",
            pip("pip install -r /tmp/requirements.txt"),
            "",
        );
    } else if (r?.layout === "folder") {
        lines.push(
            "# all pips in one layer, without keeping downloads; pip runs where the requirements file is,",
            "# so the files and packages it names are where it expects them",
            "COPY requirements/ /tmp/requirements/",
            pip(pipFromFolder("/tmp/requirements", r.main)),
            "",
        );
    } else if (r?.layout === "layers") {
        lines.push(
            `# the requirements in ${r.layers.length} layers, in order, without keeping downloads: each layer copies only`,
            "# the files its pip reads, so a changed file reinstalls its layer and those after it, and the",
            "# layers before it come from the build cache; pip runs where each requirements file is",
        );
        for (const layer of r.layers) {
            lines.push(`COPY ${layer.dir}/ /tmp/${layer.dir}/`, pip(pipFromFolder(`/tmp/${layer.dir}`, layer.main)));
        }
        lines.push("");
    }
    if (a.writableDirs.length > 0) {
        lines.push(
            "# tasks run as the VM user's uid:gid, so tools writing here need world-writable dirs",
            `RUN (umask 000 && mkdir -p ${a.writableDirs.join(" ")})`,
            "",
        );
    }
    return lines.join("\n");
}

/** `pip install -r` of the requirements file at `main` (relative to `folder`), run in its own folder. */
/** The pip command that installs `main` (relative to `folder`), run where that file is. */
function pipFromFolder(folder: string, main: string): string {
    const slash = main.lastIndexOf("/");
    const dir = slash < 0 ? folder : `${folder}/${main.slice(0, slash)}`;
    return `cd ${shellQuote(dir)} && pip install -r ${shellQuote(main.slice(slash + 1))}`;
}

export function renderApplicationDockerfile(a: ApplicationDockerfileArgs): string {
    const lines = [
        "# Rendered by fireworker-images from the application settings; do not edit.",
        `ARG from=${a.runtimeRepository}`,
        "FROM ${from}",
        "",
        "# git facts come from outside the image (the payload's last commit, never the wall clock)",
        ...GIT_ARGS.map((n) => `ARG ${n}=""`),
        ...argLines(a.buildArgs),
        'ENV IMAGE_GIT_HASH="${git_hash}" \\',
        '    IMAGE_GIT_BRANCH="${git_branch}" \\',
        '    IMAGE_TIMESTAMP="${timestamp}"',
        "",
        ...envLines(a.env),
        `COPY . ${a.workdir}`,
        `WORKDIR ${a.workdir}`,
    ];
    if (a.run.length > 0) {
        lines.push(...a.run.map((step) => `RUN ${step}`));
    }
    lines.push(`CMD ${JSON.stringify(a.cmd)}`, "");
    return lines.join("\n");
}
