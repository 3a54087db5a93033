/**
 * What each image build of a plan reads, for the plan's `builds` section: its context's files
 * (path, size, a short content hash, the exec bit), a runtime's requirement lines, the layers its
 * Dockerfile adds and the bytes it uploads. Read again from the build command's spec with
 * lib/build/context.ts and lib/build/pack.ts, so it is exactly what the build hashes and packs.
 * A large context lists its biggest folders as one line each (file count, bytes) and keeps their
 * files in a compact index, so the plan stays readable and a diff still names every changed file.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { DockerfileParser } from "dockerfile-ast";
import { z } from "zod";
import { buildSpecFromEnvironment } from "../build/buildSpec";
import { type ContextEntry, collectContext, contextDigest, hashEntries } from "../build/context";
import { packedSize } from "../build/pack";
import { generatedFiles } from "../build/runBuild";
import { compareOrdinal } from "../canonical";

export type BuildKind = "runtime" | "application" | "image";

/** One image build of a plan: what it reads, builds FROM, adds and uploads. */
export interface PlannedBuild {
    /** The build command's name and parent, as in the plan's `resources`. */
    name: string;
    parent: string | null;
    /** From the component that declares the build (RuntimeImage, ApplicationImage). */
    kind: BuildKind;
    /** Where it builds: the local Docker engine or Cloud Build. */
    builder: "docker" | "cloudbuild";
    image: string;
    /** What it builds FROM: the base image, or the runtime by digest. */
    from: string;
    /** The base by tag when `from` is the digest it was resolved to at plan time (the command's FW_BASE). */
    base?: string;
    /** Layers the Dockerfile's last stage adds (RUN, COPY and ADD instructions). */
    layers: number;
    /** Bytes of the packed context with its Dockerfile (the tar, before gzip): what the build sends. */
    upload: number;
    context: ContextManifest;
    /** Runtime builds: each requirements file of the context (its path there) with its requirement lines. */
    requirements?: { file: string; lines: string[] }[];
    /** Files the build writes into the context (the payload's git diff), as manifest lines. */
    generated?: string[];
    /** A runtime whose requirements are several files: each layer's inputs, in install order. */
    requirementLayers?: RequirementLayerRecord[];
}

/** One layer of a runtime's requirements, as the plan shows it. */
export interface RequirementLayerRecord {
    /** Its position in `runtime.requirements`, from 1. */
    layer: number;
    /** Its requirements file, by its path in the context. */
    main: string;
    /** Every file of the layer (the file and what it reads), by its path in the context, sorted. */
    files: string[];
    /** Digest of the layer's files (as the context digest, over these files only): it changes exactly when the layer reinstalls. */
    digest: string;
}

/** The files of a build context. */
export interface ContextManifest {
    /** The context digest (the build command's FW_CONTEXT_DIGEST). */
    digest: string;
    files: number;
    bytes: number;
    /** One line per file, sorted: `PATH SIZE HASH`, where HASH is 12 hex of the content's sha256, then ` x` for an executable or ` l` for a symlink (HASH of its target). */
    entries: string[];
    /** Present when the context has more than MANIFEST_LIMIT files: folders listed as one line each instead of their files. */
    folders?: FolderSummary[];
    /** Folders of the context left out whatever its ignore files say: the program's own. */
    leftOut?: string[];
}

/** A folder of a large context, listed as one line. */
export interface FolderSummary {
    /** `DIR/`, or `./` for the whole context. */
    path: string;
    files: number;
    bytes: number;
    /** Its files as manifest lines with paths relative to the folder, one per line (`\` and newlines in names escaped as `\\` and `\n`). */
    index: string;
}

/** What the plan knows of one context file. */
export interface FileFact {
    size: number;
    /** 12 hex of the sha256 of the content (of `symlink:TARGET` for a symlink). */
    hash: string;
    /** `x`: executable; `l`: symlink; "" for a plain file. */
    flag: "" | "x" | "l";
}

/** The shape of a plan's `builds` entry, for reading a plan file back (scripts/plan-diff.ts). */
export const plannedBuildSchema = z.object({
    name: z.string(),
    parent: z.string().nullable(),
    kind: z.enum(["runtime", "application", "image"]),
    builder: z.enum(["docker", "cloudbuild"]),
    image: z.string(),
    from: z.string(),
    base: z.string().optional(),
    layers: z.number().int().nonnegative(),
    upload: z.number().int().nonnegative(),
    context: z.object({
        digest: z.string(),
        files: z.number().int().nonnegative(),
        bytes: z.number().int().nonnegative(),
        entries: z.array(z.string()),
        folders: z
            .array(
                z.object({
                    path: z.string(),
                    files: z.number().int().nonnegative(),
                    bytes: z.number().int().nonnegative(),
                    index: z.string(),
                }),
            )
            .optional(),
        leftOut: z.array(z.string()).optional(),
    }),
    requirements: z.array(z.object({ file: z.string(), lines: z.array(z.string()) })).optional(),
    generated: z.array(z.string()).optional(),
    requirementLayers: z
        .array(
            z.object({
                layer: z.number().int().positive(),
                main: z.string(),
                files: z.array(z.string()),
                digest: z.string(),
            }),
        )
        .optional(),
}) satisfies z.ZodType<PlannedBuild>;

/** Lines (files and folders) a context manifest lists at most before it lists folders instead of their files. */
export const MANIFEST_LIMIT = 500;

/** Hex digits of a content hash kept in a manifest line: 48 bits, so a changed file shows as changed. */
const SHORT_HASH = 12;

const LINE = /^([\s\S]*) (\d+) ([0-9a-f]{12})(?: ([xl]))?$/;

/** A manifest line. */
export function manifestLine(path: string, fact: FileFact): string {
    return `${path} ${fact.size} ${fact.hash}${fact.flag ? ` ${fact.flag}` : ""}`;
}

/** A manifest line read back; undefined for anything else. */
export function parseManifestLine(line: string): ({ path: string } & FileFact) | undefined {
    const m = LINE.exec(line);
    return m ? { path: m[1], size: Number(m[2]), hash: m[3], flag: (m[4] ?? "") as FileFact["flag"] } : undefined;
}

/**
 * The manifest of a context from its sorted entries and their content hashes (`hashEntries`).
 * With more than `limit` files, the folders whose listing costs the most lines are listed as one
 * line each, so that files and folders together make at most `limit` lines.
 */
export function contextManifest(
    entries: ContextEntry[],
    contents: string[],
    limit: number = MANIFEST_LIMIT,
): ContextManifest {
    const facts = entries.map(
        (e, i): FileFact => ({
            size: e.size,
            hash: contents[i].slice(0, SHORT_HASH),
            flag: e.kind === "symlink" ? "l" : e.executable ? "x" : "",
        }),
    );
    const manifest: ContextManifest = {
        digest: contextDigest(entries, contents),
        files: entries.length,
        bytes: entries.reduce((n, e) => n + e.size, 0),
        entries: [],
    };
    const collapsed = collapsedFolders(
        entries.map((e) => e.path),
        Math.max(1, limit),
    );
    if (collapsed.length === 0) {
        manifest.entries = entries.map((e, i) => manifestLine(e.path, facts[i]));
        return manifest;
    }
    const folders = new Map(collapsed.map((f) => [f, { files: 0, bytes: 0, lines: [] as string[] }]));
    entries.forEach((e, i) => {
        const folder = collapsed.find((f) => f === "" || e.path.startsWith(f));
        const summary = folder === undefined ? undefined : folders.get(folder);
        if (folder === undefined || summary === undefined) {
            manifest.entries.push(manifestLine(e.path, facts[i]));
            return;
        }
        summary.files++;
        summary.bytes += e.size;
        summary.lines.push(manifestLine(escapeName(e.path.slice(folder.length)), facts[i]));
    });
    manifest.folders = [...folders].map(([f, s]) => ({
        path: f === "" ? "./" : f,
        files: s.files,
        bytes: s.bytes,
        index: s.lines.join("\n"),
    }));
    return manifest;
}

/**
 * The folders (`dir/`, `""` for the whole context) listed as one line each so that at most
 * `limit` lines remain, sorted. Starts from the whole context as one line and opens folders,
 * those with the fewest direct children first, while the lines fit; none when every file fits.
 */
function collapsedFolders(paths: string[], limit: number): string[] {
    const children = new Map<string, Set<string>>([["", new Set()]]);
    for (const p of paths) {
        const parts = p.split("/");
        let folder = "";
        for (let i = 0; i < parts.length; i++) {
            const child = i === parts.length - 1 ? p : `${folder}${parts[i]}/`;
            children.get(folder)?.add(child);
            if (i < parts.length - 1) {
                if (!children.has(child)) children.set(child, new Set());
                folder = child;
            }
        }
    }
    const closed = new Set<string>([""]);
    let lines = 1;
    for (;;) {
        let next: string | undefined;
        let fewest = Infinity;
        for (const f of [...closed].sort(compareOrdinal)) {
            const size = children.get(f)?.size ?? 0;
            if (size < fewest) {
                fewest = size;
                next = f;
            }
        }
        if (next === undefined) break;
        const opened = children.get(next) ?? new Set<string>();
        if (lines - 1 + opened.size > limit) break;
        lines += opened.size - 1;
        closed.delete(next);
        for (const c of opened) if (c.endsWith("/")) closed.add(c);
    }
    return [...closed].sort(compareOrdinal);
}

function escapeName(name: string): string {
    return name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function unescapeName(name: string): string {
    return name.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}

/** Every file of a manifest (listed, or in a folder's index) by its path in the context. */
export function manifestFiles(m: ContextManifest): Map<string, FileFact> {
    const out = new Map<string, FileFact>();
    const add = (line: string, prefix: string, escaped: boolean) => {
        const f = parseManifestLine(line);
        if (f)
            out.set(prefix + (escaped ? unescapeName(f.path) : f.path), { size: f.size, hash: f.hash, flag: f.flag });
    };
    for (const line of m.entries ?? []) add(line, "", false);
    for (const folder of m.folders ?? []) {
        const prefix = folder.path === "./" ? "" : folder.path;
        for (const line of folder.index === "" ? [] : folder.index.split("\n")) add(line, prefix, true);
    }
    return out;
}

/** A requirements file's requirement lines: continuations joined, comments and blank lines dropped, in file order. */
export function requirementLines(text: string): string[] {
    return text
        .replace(/\\\r?\n/g, "")
        .split(/\r?\n/)
        .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
        .filter((l) => l !== "");
}

/** A context file pip reads as requirements (`requirements.txt`, `requirements-dev.txt`, `req/requirements.in`, ...). */
export function isRequirementsFile(path: string): boolean {
    return /(^|\/)requirements[^/]*\.(txt|in)$/.test(path);
}

/** Layers a Dockerfile's last stage adds: its RUN, COPY and ADD instructions. */
export function dockerfileLayers(dockerfile: string): number {
    const instructions = DockerfileParser.parse(dockerfile).getInstructions();
    const keywords = instructions.map((i) => i.getKeyword());
    const stage = keywords.lastIndexOf("FROM");
    return keywords.slice(stage + 1).filter((k) => k === "RUN" || k === "COPY" || k === "ADD").length;
}

/**
 * What one build command reads, from its environment (the BuildSpec), reading its context from
 * `projectRoot` again. Throws when the context changed since the program hashed it.
 */
export async function recordBuild(
    command: { name: string; parent: string | null; kind: BuildKind; environment: Record<string, string> },
    projectRoot: string,
    limit: number = MANIFEST_LIMIT,
): Promise<PlannedBuild> {
    const spec = buildSpecFromEnvironment(command.environment);
    const entries = collectContext(spec.context, projectRoot);
    const contents = await hashEntries(entries);
    const context = contextManifest(entries, contents, limit);
    if (context.digest !== spec.contextDigest) {
        throw new Error(`plan: the context of ${spec.image} changed while it was planned; plan again`);
    }
    if (spec.context.kind === "directory" && spec.context.exclude) {
        context.leftOut = spec.context.exclude;
    }
    const generated = generatedFiles(spec, entries, projectRoot);
    const build: PlannedBuild = {
        name: command.name,
        parent: command.parent,
        kind: command.kind,
        builder: spec.builder,
        image: spec.image,
        from: spec.buildArgs.from ?? "",
        ...(spec.base !== undefined ? { base: spec.base } : {}),
        layers: dockerfileLayers(spec.dockerfile),
        upload: await packedSize(entries, spec.dockerfile, generated),
        context,
    };
    if (generated.length > 0) {
        build.generated = generated.map((g) => {
            const bytes = Buffer.from(g.text);
            return `${g.path} ${bytes.length} ${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;
        });
    }
    if (command.kind === "runtime") {
        const layers = requirementLayerRecords(spec.requirementLayers ?? [], entries, contents);
        const mains = new Set(layers.map((l) => l.main));
        build.requirements = entries
            .filter((e) => e.kind === "file" && (isRequirementsFile(e.path) || mains.has(e.path)))
            .map((e) => ({ file: e.path, lines: requirementLines(fs.readFileSync(e.abs, "utf8")) }));
        if (layers.length > 0) {
            build.requirementLayers = layers;
        }
    }
    return build;
}

/** Each requirements layer's files and their digest, from the context's entries and content hashes. */
export function requirementLayerRecords(
    layers: readonly { dir: string; main: string }[],
    entries: ContextEntry[],
    contents: string[],
): RequirementLayerRecord[] {
    return layers.map(({ dir, main }) => {
        const inLayer = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.path.startsWith(`${dir}/`));
        const number = Number(/(\d+)$/.exec(dir)?.[1] ?? "0");
        return {
            layer: number,
            main: `${dir}/${main}`,
            files: inLayer.map(({ e }) => e.path),
            digest: contextDigest(
                inLayer.map(({ e }) => e),
                inLayer.map(({ i }) => contents[i]),
            ),
        };
    });
}
