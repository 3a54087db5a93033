import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import { DOCKERFILE_IN_CONTEXT } from "../../../lib/build/cloudBuildConfig";
import { type ContextEntry, collectContext } from "../../../lib/build/context";
import { packContext, packedSize, writeContextFile } from "../../../lib/build/pack";

interface Unpacked {
    name: string;
    type: string;
    mode: number;
    uid: number;
    gid: number;
    uname: string;
    gname: string;
    mtime: number;
    size: number;
    linkname: string;
    body: string;
}

/** Every entry of a tar (headers and contents), read with tar-stream. */
async function unpack(bytes: Buffer): Promise<Unpacked[]> {
    const out: Unpacked[] = [];
    const extract = tar.extract();
    Readable.from([bytes]).pipe(extract);
    for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) {
            chunks.push(chunk as Buffer);
        }
        const h = entry.header;
        out.push({
            name: h.name,
            type: h.type ?? "",
            mode: h.mode ?? -1,
            uid: h.uid ?? -1,
            gid: h.gid ?? -1,
            uname: h.uname ?? "",
            gname: h.gname ?? "",
            mtime: h.mtime?.getTime() ?? -1,
            size: h.size ?? -1,
            linkname: h.linkname ?? "",
            body: Buffer.concat(chunks).toString("utf8"),
        });
    }
    return out;
}

async function streamBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

const DOCKERFILE = "FROM python:3.11-slim-bookworm\nCOPY . /app\n";
const GENERATED_IGNORE = `${DOCKERFILE_IN_CONTEXT}\n.dockerignore\n`;
const LONG_DIR = `deep/${"d".repeat(60)}/${"e".repeat(60)}`;
const LONG_NAME = `${"n".repeat(110)}.txt`;
/** 2000-01-01T00:00:00Z */
const FIXED = Date.UTC(2000, 0, 1);

/** The context files: [path, text, mode]. */
const FILES: [string, string, number][] = [
    [".dockerignore", "secret.txt\n", 0o644],
    [DOCKERFILE_IN_CONTEXT, "FROM an-old-one\n", 0o644],
    ["Zeta.txt", "capital letters sort first\n", 0o644],
    ["main.py", "print('hello')\n", 0o600],
    ["run.sh", "#!/bin/sh\necho run\n", 0o775],
    ["bin/tool", "#!/bin/sh\necho tool\n", 0o700],
    ["pkg/__init__.py", "", 0o644],
    ["pkg/sub/deep.txt", "deep\n", 0o640],
    ["secret.txt", "excluded by the context's .dockerignore\n", 0o644],
    [`${LONG_DIR}/file.txt`, "long path\n", 0o644],
    [LONG_NAME, "long name\n", 0o644],
];

/** Makes the context tree under `umask`, with every mtime set to `mtime` (seconds). */
function makeTree(parent: string, umask: number, mtime: number): string {
    const previous = process.umask(umask);
    try {
        const dir = fs.mkdtempSync(path.join(parent, "ctx-"));
        for (const [rel, text, mode] of FILES) {
            fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            fs.writeFileSync(path.join(dir, rel), text);
            // as the umask would leave it: the permission bits the umask allows
            fs.chmodSync(path.join(dir, rel), mode & ~umask);
        }
        fs.symlinkSync("pkg/sub/deep.txt", path.join(dir, "link"));
        for (const [rel] of FILES) {
            fs.utimesSync(path.join(dir, rel), mtime, mtime);
        }
        fs.lutimesSync(path.join(dir, "link"), mtime, mtime);
        return dir;
    } finally {
        process.umask(previous);
    }
}

describe("packing a build context (lib/build/pack.ts)", () => {
    let work: string;
    let treeA: string;
    let treeB: string;
    let entriesA: ContextEntry[];
    let entriesB: ContextEntry[];

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fw-pack-"));
        treeA = makeTree(work, 0o022, 1_700_000_000);
        treeB = makeTree(work, 0o077, 631_152_000);
        entriesA = collectContext({ kind: "directory", dir: treeA }, "/");
        entriesB = collectContext({ kind: "directory", dir: treeB }, "/");
    });
    after(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("the trees differ in modes and mtimes only (the premise of the byte-identity test)", () => {
        const statOf = (dir: string, rel: string) => fs.statSync(path.join(dir, rel));
        assert.equal(statOf(treeA, "main.py").mode & 0o777, 0o600);
        assert.equal(statOf(treeA, "run.sh").mode & 0o777, 0o755);
        assert.equal(statOf(treeB, "run.sh").mode & 0o777, 0o700);
        assert.equal(statOf(treeB, "pkg/sub/deep.txt").mode & 0o777, 0o600);
        assert.notEqual(statOf(treeA, "main.py").mtimeMs, statOf(treeB, "main.py").mtimeMs);
        assert.deepEqual(
            entriesA.map((e) => e.path),
            entriesB.map((e) => e.path),
        );
    });

    it("holds the rendered Dockerfile first, then the generated .dockerignore, then the sorted context", async () => {
        const entries = await unpack(await streamBytes(packContext(entriesA, DOCKERFILE)));
        assert.deepEqual(
            entries.map((e) => e.name),
            [
                ".fireworker.Dockerfile",
                ".dockerignore",
                "Zeta.txt",
                "bin/tool",
                `${LONG_DIR}/file.txt`,
                "link",
                "main.py",
                LONG_NAME,
                "pkg/__init__.py",
                "pkg/sub/deep.txt",
                "run.sh",
            ],
        );
        // the context's own Dockerfile of that name and .dockerignore are replaced, not doubled
        assert.equal(entries[0].body, DOCKERFILE);
        assert.equal(entries[1].body, ".fireworker.Dockerfile\n.dockerignore\n");
        assert.equal(entries[1].body, GENERATED_IGNORE);
        assert.equal(entries.filter((e) => e.name === ".dockerignore").length, 1);
        assert.equal(entries.filter((e) => e.name === DOCKERFILE_IN_CONTEXT).length, 1);
    });

    it("holds each file's exact contents and size, and the symlink's target", async () => {
        const entries = await unpack(await streamBytes(packContext(entriesA, DOCKERFILE)));
        const byName = new Map(entries.map((e) => [e.name, e]));
        for (const [rel, text] of FILES) {
            if (rel === ".dockerignore" || rel === DOCKERFILE_IN_CONTEXT || rel === "secret.txt") {
                continue;
            }
            const e = byName.get(rel);
            assert.ok(e, rel);
            assert.equal(e.type, "file", rel);
            assert.equal(e.body, text, rel);
            assert.equal(e.size, Buffer.byteLength(text), rel);
        }
        const link = byName.get("link");
        assert.ok(link);
        assert.equal(link.type, "symlink");
        assert.equal(link.linkname, "pkg/sub/deep.txt");
        assert.equal(link.size, 0);
        assert.equal(link.body, "");
    });

    it("modes come from the executable bit only; owner root, no names, mtime 2000-01-01", async () => {
        const entries = await unpack(await streamBytes(packContext(entriesA, DOCKERFILE)));
        const modes = Object.fromEntries(entries.map((e) => [e.name, e.mode.toString(8)]));
        assert.deepEqual(modes, {
            ".fireworker.Dockerfile": "644",
            ".dockerignore": "644",
            "Zeta.txt": "644",
            "bin/tool": "755", // 0700 on disk
            [`${LONG_DIR}/file.txt`]: "644",
            link: "777",
            "main.py": "644", // 0600 on disk
            [LONG_NAME]: "644",
            "pkg/__init__.py": "644",
            "pkg/sub/deep.txt": "644", // 0640 on disk
            "run.sh": "755", // 0775 on disk
        });
        for (const e of entries) {
            assert.deepEqual([e.uid, e.gid, e.uname, e.gname, e.mtime], [0, 0, "", "", FIXED], e.name);
        }
    });

    it("the real tar lists the same entries, modes, owners and dates", async () => {
        const file = path.join(work, "listed.tar");
        await writeContextFile(entriesA, DOCKERFILE, file);
        const listing = execFileSync("tar", ["-tvf", file], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
        const size = (text: string) => String(Buffer.byteLength(text));
        const line = (mode: string, bytes: string, name: string) => `${mode} 0/0 ${bytes} 2000-01-01 00:00 ${name}`;
        assert.deepEqual(
            listing
                .trimEnd()
                .split("\n")
                .map((l) => l.replace(/ +/g, " ")),
            [
                line("-rw-r--r--", size(DOCKERFILE), ".fireworker.Dockerfile"),
                line("-rw-r--r--", size(GENERATED_IGNORE), ".dockerignore"),
                line("-rw-r--r--", "27", "Zeta.txt"),
                line("-rwxr-xr-x", "20", "bin/tool"),
                line("-rw-r--r--", "10", `${LONG_DIR}/file.txt`),
                line("lrwxrwxrwx", "0", "link -> pkg/sub/deep.txt"),
                line("-rw-r--r--", "15", "main.py"),
                line("-rw-r--r--", "10", LONG_NAME),
                line("-rw-r--r--", "0", "pkg/__init__.py"),
                line("-rw-r--r--", "5", "pkg/sub/deep.txt"),
                line("-rwxr-xr-x", "19", "run.sh"),
            ],
        );
    });

    it("the real tar extracts the files with their contents and modes", async () => {
        const file = path.join(work, "extracted.tar");
        await writeContextFile(entriesA, DOCKERFILE, file);
        const out = fs.mkdtempSync(path.join(work, "out-"));
        execFileSync("tar", ["-xf", file, "-C", out]);
        assert.equal(fs.readFileSync(path.join(out, DOCKERFILE_IN_CONTEXT), "utf8"), DOCKERFILE);
        assert.equal(fs.readFileSync(path.join(out, "link"), "utf8"), "deep\n");
        assert.equal(fs.readlinkSync(path.join(out, "link")), "pkg/sub/deep.txt");
        assert.equal(fs.readFileSync(path.join(out, LONG_DIR, "file.txt"), "utf8"), "long path\n");
        assert.equal(fs.existsSync(path.join(out, "secret.txt")), false);
        assert.equal(fs.statSync(path.join(out, "run.sh")).mode & 0o100, 0o100);
        assert.equal(fs.statSync(path.join(out, "main.py")).mode & 0o100, 0);
    });

    it("two packs of the same tree under different umasks and mtimes are byte-identical (.tar and .tgz)", async () => {
        for (const ext of [".tar", ".tgz", ".tar.gz"]) {
            const a = path.join(work, `a${ext}`);
            const b = path.join(work, `b${ext}`);
            await writeContextFile(entriesA, DOCKERFILE, a);
            await writeContextFile(entriesB, DOCKERFILE, b);
            assert.equal(sha256(a), sha256(b), ext);
        }
        // and the same bytes on every machine: the .tar of this tree, as tar-stream 3.1.7 writes it
        assert.equal(
            sha256(path.join(work, "a.tar")),
            "a5880d2e6e2e8e7d6c0fd79b5fbff9b70e1559a9243a256a62684a75401f6d68",
        );
        // a different Dockerfile is a different pack
        const c = path.join(work, "c.tar");
        await writeContextFile(entriesA, `${DOCKERFILE}USER 1000\n`, c);
        assert.notEqual(sha256(c), sha256(path.join(work, "a.tar")));
    });

    it("packedSize is the byte count of the packed tar (without reading a file), long names, symlinks and empty contexts included", async () => {
        const streamed = await streamBytes(packContext(entriesA, DOCKERFILE));
        assert.equal(await packedSize(entriesA, DOCKERFILE), streamed.length);
        assert.equal(await packedSize(entriesB, DOCKERFILE), streamed.length);
        // the Dockerfile rides along: 47 + 601 bytes take one 512-byte block more than 47
        assert.equal(await packedSize(entriesA, `${DOCKERFILE}${"#".repeat(600)}\n`), streamed.length + 512);
        assert.equal(
            await packedSize([], "FROM scratch\n"),
            (await streamBytes(packContext([], "FROM scratch\n"))).length,
        );
        // contents of every size: none, one block less one byte, exactly one, one more, many
        const sizes = fs.mkdtempSync(path.join(work, "sizes-"));
        for (const n of [0, 511, 512, 513, 3 * 1024 * 1024 + 7]) {
            fs.writeFileSync(path.join(sizes, `f${n}.bin`), Buffer.alloc(n, 1));
        }
        fs.symlinkSync("f512.bin", path.join(sizes, "link"));
        const entries = collectContext({ kind: "directory", dir: sizes }, "/");
        assert.equal(
            await packedSize(entries, DOCKERFILE),
            (await streamBytes(packContext(entries, DOCKERFILE))).length,
        );
    });

    it("writeContextFile writes the packed stream: plain for .tar, gzip of the same bytes for .tgz", async () => {
        const streamed = await streamBytes(packContext(entriesA, DOCKERFILE));
        const tarFile = path.join(work, "same.tar");
        const tgzFile = path.join(work, "same.tgz");
        await writeContextFile(entriesA, DOCKERFILE, tarFile);
        await writeContextFile(entriesA, DOCKERFILE, tgzFile);
        const plain = fs.readFileSync(tarFile);
        const gzipped = fs.readFileSync(tgzFile);
        assert.ok(plain.equals(streamed));
        assert.equal(plain.length % 512, 0);
        assert.deepEqual([...gzipped.subarray(0, 2)], [0x1f, 0x8b]);
        // no timestamp in the gzip header
        assert.deepEqual([...gzipped.subarray(4, 8)], [0, 0, 0, 0]);
        assert.ok(zlib.gunzipSync(gzipped).equals(plain));
    });

    it("an empty context holds the two generated files only", async () => {
        const entries = await unpack(await streamBytes(packContext([], "FROM scratch\n")));
        assert.deepEqual(
            entries.map((e) => [e.name, e.body]),
            [
                [".fireworker.Dockerfile", "FROM scratch\n"],
                [".dockerignore", GENERATED_IGNORE],
            ],
        );
    });

    it("a file that vanished since it was collected fails the pack with the file's error", async () => {
        const dir = fs.mkdtempSync(path.join(work, "vanish-"));
        fs.writeFileSync(path.join(dir, "a.txt"), "a\n");
        fs.writeFileSync(path.join(dir, "b.txt"), "b\n");
        const entries = collectContext({ kind: "directory", dir }, "/");
        fs.rmSync(path.join(dir, "b.txt"));
        await assert.rejects(writeContextFile(entries, DOCKERFILE, path.join(work, "vanished.tar")), {
            message: `ENOENT: no such file or directory, open '${path.join(dir, "b.txt")}'`,
        });
    });

    it("a file swapped for a FIFO since it was collected fails the pack instead of hanging it", async () => {
        const dir = fs.mkdtempSync(path.join(work, "fifo-"));
        fs.writeFileSync(path.join(dir, "a.txt"), "a\n");
        const entries = collectContext({ kind: "directory", dir }, "/");
        fs.rmSync(path.join(dir, "a.txt"));
        execFileSync("mkfifo", [path.join(dir, "a.txt")]);
        await assert.rejects(
            writeContextFile(entries, DOCKERFILE, path.join(work, "fifo.tar")),
            /is no longer a regular file/,
        );
    });
});
