/**
 * Lints a Dockerfile (rendered or brought) with a real parser (`dockerfile-ast`) against the
 * source document's rules. Each finding is `file:line: rule: detail`.
 */
import { type Arg, DockerfileParser, type Env, type From, type Instruction } from "dockerfile-ast";
import { baseImageProblem, isAlpine } from "../imageRef";

export interface LintFinding {
    file: string;
    /** 1-based line. */
    line: number;
    rule: "alpine-base" | "unpinned-base" | "apt-install-without-update" | "pip-cache";
    message: string;
}

export function formatFinding(f: LintFinding): string {
    return `${f.file}:${f.line}: ${f.rule}: ${f.message}`;
}

/**
 * @param file name shown in findings (project-relative path)
 * @param buildArgs the build args our build passes: a FROM whose variable the build overrides
 *                  is judged by the overriding value, not the Dockerfile's default.
 */
export function lintDockerfile(file: string, text: string, buildArgs: Record<string, string> = {}): LintFinding[] {
    const df = DockerfileParser.parse(text);
    const findings: LintFinding[] = [];
    const at = (ins: Instruction) => ins.getRange().start.line + 1;
    const globalArgs = new Map<string, string>();
    let pipCacheOff = false;
    const stages = new Set<string>();
    for (const ins of df.getInstructions()) {
        const kw = ins.getKeyword();
        if (kw === "ARG" && stages.size === 0) {
            const prop = (ins as Arg).getProperty();
            if (prop) {
                globalArgs.set(prop.getName(), prop.getValue() ?? "");
            }
        } else if (kw === "FROM") {
            pipCacheOff = false; // ENV is per stage
            const from = ins as From;
            const image = resolveFrom(from.getImage() ?? "", globalArgs, buildArgs);
            const stage = from.getBuildStage();
            if (image !== undefined && !stages.has(image) && image !== "scratch") {
                if (isAlpine(image)) {
                    findings.push({
                        file,
                        line: at(ins),
                        rule: "alpine-base",
                        message: `${image} is Alpine-based; musl changes floating-point results, use a Debian-based image`,
                    });
                } else {
                    const problem = baseImageProblem(image);
                    if (problem) {
                        findings.push({ file, line: at(ins), rule: "unpinned-base", message: `${image} ${problem}` });
                    }
                }
            }
            stages.add(stage ?? `#${stages.size}`);
        } else if (kw === "ENV") {
            for (const prop of (ins as Env).getProperties()) {
                if (prop.getName() === "PIP_NO_CACHE_DIR") pipCacheOff = true;
            }
        } else if (kw === "RUN" || kw === "ONBUILD") {
            // ONBUILD RUN runs in every image built FROM this one: the same rules apply
            const body = runBody(ins);
            if (body !== undefined) {
                const rule = kw === "ONBUILD" ? "ONBUILD RUN" : "RUN";
                findings.push(...runFindings(body, pipCacheOff, rule).map((f) => ({ file, line: at(ins), ...f })));
            }
        }
    }
    return findings;
}

/** An installer's `install` and `update` commands: apt-get, apt and aptitude. */
const APT_INSTALL = /\b(apt-get|apt|aptitude)\s+(?:\S+\s+)*install\b/;
const APT_UPDATE = /\b(?:apt-get|apt|aptitude)\s+(?:\S+\s+)*update\b/;
/** pip, by any name: pip, pip3, pip3.11, python -m pip, python3.11 -m pip. */
const PIP_INSTALL = /(?:\bpip(?:\d+(?:\.\d+)*)?|\bpython(?:\d+(?:\.\d+)*)?\s+-m\s+pip)\s+(?:\S+\s+)*install\b/;

/** The shell text a RUN (or an ONBUILD RUN) runs; undefined for other ONBUILD triggers. */
function runBody(ins: Instruction): string | undefined {
    let text = ins.getArgumentsContent() ?? "";
    if (ins.getKeyword() === "ONBUILD") {
        const m = /^\s*RUN\s+([\s\S]*)$/i.exec(text);
        if (!m) return undefined;
        text = m[1];
    }
    return text.replace(/\\\r?\n/g, " ");
}

/** The findings of one RUN's shell text. */
function runFindings(body: string, pipCacheOff: boolean, what: string): Omit<LintFinding, "file" | "line">[] {
    const out: Omit<LintFinding, "file" | "line">[] = [];
    for (const cmd of body.split(/&&|;|\|\|/).map((c) => c.trim())) {
        const apt = APT_INSTALL.exec(cmd)?.[1];
        if (apt && !APT_UPDATE.test(body)) {
            out.push({
                rule: "apt-install-without-update",
                message: `${apt} install without ${apt} update in the same ${what}, so the package lists can come stale from the cache`,
            });
        }
        if (PIP_INSTALL.test(cmd) && !/--no-cache-dir\b/.test(cmd) && !pipCacheOff && !cacheDeleted(body)) {
            out.push({
                rule: "pip-cache",
                message: "pip install without --no-cache-dir keeps the downloads in the layer",
            });
        }
    }
    return out;
}

/** A RUN that gives pip a cache folder of its own and deletes it (the wheelhouse's RUN) keeps nothing. */
function cacheDeleted(cmd: string): boolean {
    const dir = /\bPIP_CACHE_DIR=(\/[A-Za-z0-9_./-]+)/.exec(cmd)?.[1];
    return dir !== undefined && cmd.includes(`rm -rf ${dir}`);
}

/** The image a FROM really uses: variables replaced by build args, else ARG defaults. */
function resolveFrom(
    image: string,
    globalArgs: Map<string, string>,
    buildArgs: Record<string, string>,
): string | undefined {
    let unresolved = false;
    const resolved = image.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?/g,
        (_m, name: string, fallback?: string) => {
            const v = buildArgs[name] ?? globalArgs.get(name) ?? fallback;
            if (v === undefined || v === "") {
                unresolved = true;
                return "";
            }
            return v;
        },
    );
    return unresolved ? undefined : resolved;
}

/** A COPY or ADD source read from the build context, with its line. */
export interface ContextSource {
    source: string;
    /** 1-based line of the instruction. */
    line: number;
}

/**
 * Sources of COPY/ADD read from the build context: not `--from` stages, not URLs (ADD fetches
 * those), not heredocs (their text is in the Dockerfile).
 */
export function contextSources(text: string): ContextSource[] {
    const df = DockerfileParser.parse(text);
    const out: ContextSource[] = [];
    for (const ins of df.getInstructions()) {
        const kw = ins.getKeyword();
        if (kw !== "COPY" && kw !== "ADD") {
            continue;
        }
        const flags = (ins as unknown as { getFlags(): { getName(): string }[] }).getFlags();
        if (flags.some((f) => f.getName() === "from")) {
            continue;
        }
        const json =
            (ins as unknown as { getJSONStrings?: () => { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
        const args = json.length > 0 ? json.map((j) => j.getJSONValue()) : ins.getArguments().map((a) => a.getValue());
        const values = args.filter((v) => !v.startsWith("--"));
        const line = ins.getRange().start.line + 1;
        // a heredoc's text follows its marker (the parser keeps it among the arguments)
        const heredoc = values.findIndex((v) => v.startsWith("<<"));
        for (const source of heredoc >= 0 ? values.slice(0, heredoc) : values.slice(0, -1)) {
            if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source) || source.startsWith("git@")) {
                continue;
            }
            out.push({ source, line });
        }
    }
    return out;
}

/** The names of every build argument a Dockerfile declares (`ARG`, before or after a FROM). */
export function declaredArgs(text: string): Set<string> {
    const names = new Set<string>();
    for (const ins of DockerfileParser.parse(text).getInstructions()) {
        if (ins.getKeyword() === "ARG") {
            // one ARG may declare several names: ARG a=1 b
            for (const arg of ins.getArguments()) {
                names.add(arg.getValue().split("=")[0]);
            }
        }
    }
    return names;
}
