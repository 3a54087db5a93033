/**
 * Benchmark 2: context hashing (lib/context.ts: collectContext + hashContext) of a generated
 * tree vs. `find ... -print0 | xargs -0 sha256sum` over the same files. The tree has an ignored
 * large directory, which neither side reads. Deterministic content, under os.tmpdir(), deleted after.
 */
import { spawnSync } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ContextSpec, collectContext, hashContext, hashEntries } from "../lib/build/context";
import type { Row } from "./rows";
import { bytes, median, progress, seconds } from "./support";

const SMALL_FILES = 10_000;
const BIG_FILES = 8;
const BIG_SIZE = 16 << 20;
const IGNORED_FILES = 1_500;
const IGNORED_SIZE = 160 << 10;
const ROUNDS = 5;

/** 8 MiB of deterministic pseudo-random bytes (AES-CTR of zeros under a fixed key). */
function pool(): Buffer {
    const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0));
    return Buffer.concat([cipher.update(Buffer.alloc(8 << 20)), cipher.final()]);
}

function generate(tree: string): { files: number; bytes: number; ignoredFiles: number; ignoredBytes: number } {
    const p = pool();
    const body = (seed: number, size: number): Buffer => {
        const head = Buffer.from(`file ${seed}\n`);
        const off = (seed * 7919 * 64) % (p.length - size);
        return Buffer.concat([head, p.subarray(off, off + size - head.length)]);
    };
    let files = 0;
    let total = 0;
    const put = (rel: string, data: Buffer) => {
        mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
        writeFileSync(path.join(tree, rel), data);
    };
    for (let i = 0; i < SMALL_FILES; i++) {
        const size = 1024 * (1 + ((Math.imul(i, 2654435761) >>> 0) % 96));
        put(`src/d${String(i % 100).padStart(2, "0")}/f${i}.py`, body(i, size));
        files++;
        total += size;
    }
    for (let i = 0; i < BIG_FILES; i++) {
        const chunks: Buffer[] = [];
        for (let o = 0; o < BIG_SIZE; o += 4 << 20) {
            chunks.push(body(SMALL_FILES + i * 100 + o / (4 << 20), 4 << 20));
        }
        put(`big/b${i}.bin`, Buffer.concat(chunks));
        files++;
        total += BIG_SIZE;
    }
    for (let i = 0; i < IGNORED_FILES; i++) {
        put(`data/run${i % 30}/part${i}.npy`, body(50_000 + i, IGNORED_SIZE));
    }
    const ignore = Buffer.from("# the data directory never goes into the image\ndata\n");
    put(".dockerignore", ignore);
    return {
        files: files + 1,
        bytes: total + ignore.length,
        ignoredFiles: IGNORED_FILES,
        ignoredBytes: IGNORED_FILES * IGNORED_SIZE,
    };
}

/** `find | xargs -0 sha256sum` over the non-ignored files: their hashes by relative path, and the time. */
function sha256sum(tree: string): { ms: number; hashes: Map<string, string> } {
    const started = process.hrtime.bigint();
    const r = spawnSync(
        "bash",
        ["-c", 'cd "$1" && find . -path ./data -prune -o -type f -print0 | xargs -0 sha256sum', "bash", tree],
        {
            encoding: "utf8",
            maxBuffer: 64 << 20,
        },
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) {
        throw new Error(`sha256sum failed: ${r.stderr}`);
    }
    const hashes = new Map<string, string>();
    for (const line of r.stdout.split("\n").filter(Boolean)) {
        hashes.set(line.slice(66).replace(/^\.\//, ""), line.slice(0, 64));
    }
    return { ms, hashes };
}

async function ours(root: string): Promise<{ ms: number; files: number; bytes: number }> {
    const spec: ContextSpec = { kind: "directory", dir: "tree" };
    const started = process.hrtime.bigint();
    const entries = collectContext(spec, root);
    await hashContext(entries);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, files: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0) };
}

export async function hashingBenchmark(): Promise<Row> {
    const root = mkdtempSync(path.join(os.tmpdir(), "fw-bench-hash-"));
    try {
        const tree = path.join(root, "tree");
        let started = Date.now();
        const g = generate(tree);
        progress(
            `generated ${g.files} files, ${bytes(g.bytes)} (+ ignored data/: ${g.ignoredFiles} files, ${bytes(g.ignoredBytes)}) in ${seconds(Date.now() - started)}`,
        );

        // Warm-up (both read the same files from the page cache afterwards) and a check that both
        // sides hash exactly the same files to the same values.
        started = Date.now();
        const entries = collectContext({ kind: "directory", dir: "tree" }, root);
        const mine = await hashEntries(entries);
        const theirs = sha256sum(tree).hashes;
        if (entries.length !== g.files || theirs.size !== g.files) {
            throw new Error(
                `file counts differ: generated ${g.files}, collectContext ${entries.length}, sha256sum ${theirs.size}`,
            );
        }
        entries.forEach((e, i) => {
            if (theirs.get(e.path) !== mine[i]) {
                throw new Error(`${e.path}: sha256sum ${theirs.get(e.path)}, ours ${mine[i]}`);
            }
        });
        if (entries.some((e) => e.path.startsWith("data/"))) {
            throw new Error("the ignored directory was collected");
        }
        progress(
            `warm-up and cross-check (same ${entries.length} files, same hashes): ${seconds(Date.now() - started)}`,
        );

        const oursMs: number[] = [];
        const theirMs: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
            const o = await ours(root);
            if (o.files !== g.files || o.bytes !== g.bytes) {
                throw new Error(`collectContext saw ${o.files} files, ${o.bytes} bytes`);
            }
            oursMs.push(o.ms);
            theirMs.push(sha256sum(tree).ms);
        }
        const o = median(oursMs);
        const s = median(theirMs);
        const rate = (ms: number) => `${bytes((g.bytes / ms) * 1000)}/s`;
        progress(
            `hashing: ours ${oursMs.map((x) => seconds(x)).join(", ")}; sha256sum ${theirMs.map((x) => seconds(x)).join(", ")}`,
        );
        return {
            name: `Context hashing, collectContext + hashContext (${g.files} files, ${bytes(g.bytes)}; an ignored dir of ${bytes(g.ignoredBytes)} not read) vs. find -print0 | xargs -0 sha256sum over the same files, page cache warm, ${ROUNDS} rounds; throughput at the medians: ours ${rate(o)}, sha256sum ${rate(s)}`,
            unit: "s",
            ours: oursMs.map((x) => x / 1000),
            baseline: theirMs.map((x) => x / 1000),
        };
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
}
