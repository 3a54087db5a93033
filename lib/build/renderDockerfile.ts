/**
 * Renders the runtime and application Dockerfiles from settings, following the source
 * document's rules (ARG from / FROM ${from}; one apt layer with update and install; pip without
 * cache; world-writable dirs made under umask 000; COPY, WORKDIR, CMD). Every value is quoted or
 * checked by the settings' grammar, so no setting can add an instruction.
 */
import { shellQuote } from "../commands/exec";
import { PIP_RELAY_HOST, PIP_RELAY_INDEX } from "../pip/pipRelay";

export interface RuntimeDockerfileArgs {
    /** Default of `ARG from` (the build passes it too). */
    base: string;
    /** Build arguments the steps may use (`ARG` lines, values passed by the build). */
    buildArgs: string[];
    env: Record<string, string>;
    aptPackages: string[];
    /** `pip install` passes before the requirements, in order. */
    pipSteps: string[];
    /**
     * The requirements: one file uploaded as `requirements.txt`, or a folder `requirements/`
     * holding the main file at `main` and everything it reads. Unset: nothing for pip.
     */
    requirements?: { layout: "file" } | { layout: "folder"; main: string };
    writableDirs: string[];
    /**
     * The build runs on the Docker engine of the machine that runs the program (the local stack):
     * pip reaches that machine's pip configuration through its relay (lib/pip/pipRelay.ts) when
     * the build is given one. Cloud Build never is. @default false
     */
    pipRelay?: boolean;
}

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

/** A `RUN` of a pip command, which takes the relayed pip configuration when asked to. */
function pipRun(command: string, relay: boolean): string {
    if (!relay) return `RUN ${command}`;
    return [
        `RUN if getent hosts ${PIP_RELAY_HOST} >/dev/null; then \\`,
        `        export PIP_INDEX_URL=${PIP_RELAY_INDEX} PIP_TRUSTED_HOST=${PIP_RELAY_HOST}; \\`,
        "    fi \\",
        `    && ${command}`,
    ].join("\n");
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
    const pip = (command: string) => pipRun(command, a.pipRelay === true);
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
            ...a.pipSteps.map((step) =>
                pip(`pip install --no-cache-dir ${step.trim().split(/ +/).map(shellQuote).join(" ")}`),
            ),
            "",
        );
    }
    const r = a.requirements;
    if (r?.layout === "file") {
        lines.push(
            "# all pips in one layer, without keeping downloads",
            "COPY requirements.txt /tmp/requirements.txt",
            pip("pip install --no-cache-dir -r /tmp/requirements.txt"),
            "",
        );
    } else if (r?.layout === "folder") {
        const slash = r.main.lastIndexOf("/");
        const dir = slash < 0 ? "" : `/${r.main.slice(0, slash)}`;
        lines.push(
            "# all pips in one layer, without keeping downloads; pip runs where the requirements file is,",
            "# so the files and packages it names are where it expects them",
            "COPY requirements/ /tmp/requirements/",
            pip(
                `cd ${shellQuote(`/tmp/requirements${dir}`)} && pip install --no-cache-dir -r ${shellQuote(r.main.slice(slash + 1))}`,
            ),
            "",
        );
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
