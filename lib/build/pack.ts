/**
 * Packs a build context into a tar stream that is the same bytes on every machine: sorted
 * entries, fixed mtime and owner, modes 0644/0755 from the executable bit only. The rendered
 * Dockerfile rides along under `DOCKERFILE_IN_CONTEXT`, with a `.dockerignore` that keeps it
 * (and itself) out of the image; the context's own ignore rules were applied already.
 */
import * as fs from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import { DOCKERFILE_IN_CONTEXT } from "./cloudBuildConfig";
import { type ContextEntry, openRegularFile } from "./context";

/** 2000-01-01T00:00:00Z: any fixed time; Docker's COPY cache ignores it, reproducibility needs it fixed. */
const FIXED_MTIME = new Date(946684800 * 1000);

/** A file the build writes into the context itself (the payload's git diff). */
export interface GeneratedFile {
    path: string;
    text: string;
}

export function packContext(entries: ContextEntry[], dockerfile: string, extra: GeneratedFile[] = []): tar.Pack {
    return pack(entries, dockerfile, extra, true);
}

/**
 * The tar of a context; without `contents`, every file is packed empty: the same headers
 * (their size never depends on the file's size), no data blocks.
 */
function pack(entries: ContextEntry[], dockerfile: string, extra: GeneratedFile[], contents: boolean): tar.Pack {
    const tarPack = tar.pack();
    const header = (name: string, size: number, mode: number) => ({
        name,
        size,
        mode,
        mtime: FIXED_MTIME,
        uid: 0,
        gid: 0,
        uname: "",
        gname: "",
    });
    const generated: [string, string][] = [
        [DOCKERFILE_IN_CONTEXT, dockerfile],
        [".dockerignore", `${DOCKERFILE_IN_CONTEXT}\n.dockerignore\n`],
        ...extra.map((f): [string, string] => [f.path, f.text]),
    ];
    const names = new Set(generated.map(([name]) => name));
    const all = [
        ...generated.map(([name, text]) => ({ name, text })),
        ...entries.filter((e) => !names.has(e.path)).map((e) => ({ name: e.path, entry: e })),
    ];
    (async () => {
        for (const item of all) {
            if ("text" in item && item.text !== undefined) {
                const body = Buffer.from(item.text, "utf8");
                tarPack.entry(header(item.name, body.length, 0o644), body);
                continue;
            }
            const e = (item as { entry: ContextEntry }).entry;
            if (e.kind === "symlink") {
                tarPack.entry({ ...header(e.path, 0, 0o777), type: "symlink", linkname: e.linkTarget });
                continue;
            }
            if (!contents) {
                tarPack.entry(header(e.path, 0, e.executable ? 0o755 : 0o644), Buffer.alloc(0));
                continue;
            }
            const file = await openRegularFile(e.abs);
            try {
                const { size } = await file.stat();
                await new Promise<void>((resolve, reject) => {
                    const sink = tarPack.entry(header(e.path, size, e.executable ? 0o755 : 0o644), (err) =>
                        err ? reject(err) : resolve(),
                    );
                    file.createReadStream({ autoClose: false }).on("error", reject).pipe(sink);
                });
            } finally {
                await file.close();
            }
        }
        tarPack.finalize();
    })().catch((err) => tarPack.destroy(err));
    return tarPack;
}

/** Writes the packed context to `file`, gzipped when the name ends in `.tgz` or `.tar.gz`. */
export async function writeContextFile(
    entries: ContextEntry[],
    dockerfile: string,
    file: string,
    extra: GeneratedFile[] = [],
): Promise<void> {
    const out = fs.createWriteStream(file, { mode: 0o644 });
    if (/\.(tgz|tar\.gz)$/.test(file)) {
        await pipeline(packContext(entries, dockerfile, extra), zlib.createGzip({ level: 6 }), out);
    } else {
        await pipeline(packContext(entries, dockerfile, extra), out);
    }
}

/**
 * The byte size of the packed context (the tar, before any gzip): what a build sends. The tar
 * library packs every header (long names and symlinks included) without reading a file; each
 * file's content then takes its size rounded up to whole 512-byte blocks, as tar stores it.
 */
export async function packedSize(
    entries: ContextEntry[],
    dockerfile: string,
    extra: GeneratedFile[] = [],
): Promise<number> {
    let bytes = 0;
    const count = new Writable({
        write(chunk: Buffer, _encoding, done) {
            bytes += chunk.length;
            done();
        },
    });
    await pipeline(pack(entries, dockerfile, extra, false), count);
    const names = new Set([DOCKERFILE_IN_CONTEXT, ".dockerignore", ...extra.map((f) => f.path)]);
    const packed = entries.filter((e) => e.kind === "file" && !names.has(e.path));
    return bytes + packed.reduce((n, e) => n + Math.ceil(e.size / BLOCK) * BLOCK, 0);
}

/** A tar's block: headers and contents take whole blocks. */
const BLOCK = 512;
