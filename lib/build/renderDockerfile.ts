/**
 * Renders the runtime and application Dockerfiles from settings, following the source
 * document's rules (ARG from / FROM ${from}; one apt layer with update and install; one pip
 * layer without cache; world-writable dirs made under umask 000; COPY, WORKDIR, CMD).
 */
import { PIP_RELAY_HOST, PIP_RELAY_INDEX } from "../pip/pipRelay";

export interface RuntimeDockerfileArgs {
    /** Default of `ARG from` (the build always passes it too). */
    base: string;
    aptPackages: string[];
    /** Whether requirements.txt lists anything (an empty one needs no pip, nor pip itself). */
    hasRequirements: boolean;
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
    workdir: string;
    cmd: string[];
}

/** Label keys set on the application image, from settings and git facts (build args). */
export const LABEL_ARGS: Record<string, string> = {
    application: "label_application",
    email: "label_email",
    license: "label_license",
    organization: "label_organization",
    website: "label_website",
    "org.opencontainers.image.title": "label_application",
    "org.opencontainers.image.licenses": "label_license",
    "org.opencontainers.image.url": "label_website",
    "org.opencontainers.image.vendor": "label_organization",
    "org.opencontainers.image.source": "source",
    "org.opencontainers.image.revision": "git_hash",
    "org.opencontainers.image.created": "created",
};

export function renderRuntimeDockerfile(a: RuntimeDockerfileArgs): string {
    const lines = [
        "# Rendered by fireworker-images from the runtime settings; do not edit.",
        "# Never an Alpine base: musl changes floating-point results.",
        `ARG from=${a.base}`,
        "FROM ${from}",
        "",
    ];
    if (a.aptPackages.length > 0) {
        lines.push(
            "# update and install in one layer, so the package lists are never stale from the cache",
            "RUN apt-get update \\",
            `    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${a.aptPackages.join(" ")} \\`,
            "    && rm -rf /var/lib/apt/lists/*",
            "",
        );
    }
    if (a.hasRequirements && a.pipRelay) {
        lines.push(
            "# all pips in one layer, without keeping downloads. When the machine that builds has a pip",
            "# configuration (its index, certificates), it relays it under a name that resolves in its",
            "# builds only; nothing of it stays in the image",
            "COPY requirements.txt /tmp/requirements.txt",
            `RUN if getent hosts ${PIP_RELAY_HOST} >/dev/null; then \\`,
            `        export PIP_INDEX_URL=${PIP_RELAY_INDEX} PIP_TRUSTED_HOST=${PIP_RELAY_HOST}; \\`,
            "    fi \\",
            "    && pip install --no-cache-dir -r /tmp/requirements.txt",
            "",
        );
    } else if (a.hasRequirements) {
        lines.push(
            "# all pips in one layer, without keeping downloads",
            "COPY requirements.txt /tmp/requirements.txt",
            "RUN pip install --no-cache-dir -r /tmp/requirements.txt",
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
    const argNames = [...new Set(Object.values(LABEL_ARGS))].filter((n) => n !== "git_hash");
    const labelLines = Object.entries(LABEL_ARGS).map(([k, v]) => `${k}="\${${v}}"`);
    return [
        "# Rendered by fireworker-images from the application settings; do not edit.",
        `ARG from=${a.runtimeRepository}`,
        "FROM ${from}",
        "",
        "# git facts come from outside the image (the payload's last commit, never the wall clock)",
        'ARG git_hash=""',
        'ARG git_branch=""',
        'ARG timestamp=""',
        ...argNames.map((n) => `ARG ${n}=""`),
        'ENV IMAGE_GIT_HASH="${git_hash}" \\',
        '    IMAGE_GIT_BRANCH="${git_branch}" \\',
        '    IMAGE_TIMESTAMP="${timestamp}"',
        `LABEL ${labelLines.join(" \\\n      ")}`,
        "",
        `COPY . ${a.workdir}`,
        `WORKDIR ${a.workdir}`,
        `CMD ${JSON.stringify(a.cmd)}`,
        "",
    ].join("\n");
}

/** True when a requirements file lists at least one requirement or option. */
export function hasRequirements(text: string): boolean {
    return text.split(/\r?\n/).some((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}
