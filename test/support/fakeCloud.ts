/**
 * A stateful fake of the Google Cloud that `gcloud` reaches for image builds: Cloud Build
 * (builds submit, list --ongoing, describe, log, cancel; build tags) and Artifact Registry
 * (images describe, images list, tags add) with immutable tags where asked. Every process that runs it shares
 * one state directory, so concurrent builders see each other, as on the real services. A build
 * takes FAKE_BUILD_MS and ends when it is next looked at after that; its digest is random (real
 * builds are not reproducible), and its push of an existing immutable tag fails. Each call's
 * argv is one JSON line of calls.jsonl (test/support/gcloudCheck.ts runs them through the real
 * gcloud's parser).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const FAKE_CLOUD_JS = String.raw`
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
// one line for anything unexpected: exec keeps only the last lines of stderr
process.on("uncaughtException", (e) => { process.stderr.write("ERROR: fake cloud crashed: " + String(e && e.stack || e).split("\n").slice(0, 2).join(" | ") + "\n"); process.exit(70); });
const dir = process.env.FAKE_CLOUD_STATE;
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(dir, "calls.jsonl"), JSON.stringify(argv) + "\n");
const flags = {};
const pos = [];
for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m) flags[m[1]] = m[2] === undefined ? true : m[2];
    else pos.push(a);
}
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
function locked(fn) {
    const lock = path.join(dir, "lock");
    for (let i = 0; ; i++) {
        try { fs.mkdirSync(lock); break; } catch { if (i > 4000) throw new Error("fake cloud: lock"); sleep(5); }
    }
    try {
        const file = path.join(dir, "state.json");
        const state = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { n: 0, builds: {}, tags: {}, pushes: [] };
        const out = fn(state);
        fs.writeFileSync(file + ".tmp", JSON.stringify(state, null, 1));
        fs.renameSync(file + ".tmp", file);
        return out;
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}
const immutable = (ref) => (process.env.FAKE_IMMUTABLE || "").split(",").filter(Boolean).some((p) => ref.startsWith(p));
function settle(state) {
    const now = Date.now();
    for (const b of Object.values(state.builds)) {
        if (b.status !== "QUEUED" && b.status !== "WORKING") continue;
        if (now < b.due) { b.status = "WORKING"; continue; }
        if (process.env.FAKE_FAIL_BUILDS) {
            b.status = "FAILURE";
            b.failureInfo = { type: "USER_BUILD_STEP", detail: "Build step failure: build step 0 exited with 1" };
            continue;
        }
        const digest = "sha256:" + crypto.createHash("sha256").update(b.id + Math.random()).digest("hex");
        const ref = b.images[0];
        const had = state.tags[ref];
        if (had && had !== digest && immutable(ref)) {
            b.status = "FAILURE";
            b.failureInfo = { type: "PUSH_FAILED", detail: "failed to push " + ref + ": tag is immutable" };
            continue;
        }
        state.tags[ref] = digest;
        state.pushes.push({ ref, digest, build: b.id });
        b.status = "SUCCESS";
        b.results = { images: [{ name: ref, digest }] };
    }
}
function fail(msg, code) { process.stderr.write("ERROR: " + msg + "\n"); process.exit(code || 1); }
const cmd = pos.slice(0, 2).join(" ");
const view = (b) => ({ id: b.id, status: b.status, createTime: b.createTime, tags: b.tags, results: b.results, failureInfo: b.failureInfo });
if (cmd === "builds submit") {
    // the first FAKE_DENY_SUBMITS submissions are denied (grants still propagating)
    const denied = locked((state) => (state.denied = (state.denied || 0) + 1) <= Number(process.env.FAKE_DENY_SUBMITS || 0));
    if (denied) {
        fail("(gcloud.builds.submit) PERMISSION_DENIED: The caller does not have permission");
    }
    // loaded here only: the fake runs once per gcloud call, most of them polls
    const config = require(process.env.FAKE_YAML_MODULE).parse(fs.readFileSync(flags.config, "utf8"));
    const b = locked((state) => {
        state.n += 1;
        const now = new Date(Date.now() + state.n).toISOString();
        const id = "fake-" + String(state.n).padStart(4, "0");
        const build = { id, status: "QUEUED", createTime: now, due: Date.now() + Number(process.env.FAKE_BUILD_MS || 300), tags: config.tags || [], images: config.images };
        state.builds[id] = build;
        return build;
    });
    if (flags.async) { process.stdout.write(b.id + "\n"); process.exit(0); }
    fail("fake cloud: only --async submissions are modelled", 2);
}
if (cmd === "builds list") {
    const tag = String(flags.filter || "").replace(/^tags=/, "");
    const list = locked((state) => { settle(state); return Object.values(state.builds).filter((b) => (!flags.ongoing || b.status === "QUEUED" || b.status === "WORKING") && (!tag || b.tags.includes(tag))).map(view); });
    process.stdout.write(JSON.stringify(list) + "\n");
    process.exit(0);
}
if (cmd === "builds describe" || cmd === "builds log" || cmd === "builds cancel") {
    const id = pos[2];
    if (cmd === "builds log") {
        const due = locked((state) => (state.builds[id] || { due: 0 }).due);
        sleep(Math.max(0, due - Date.now()));
        const n = Number(process.env.FAKE_LOG_BYTES || 200);
        const line = "Step #0 - build: " + "x".repeat(60) + "\n";
        // synchronously: process.exit would cut an asynchronous pipe write short
        fs.writeSync(1, line.repeat(Math.ceil(n / line.length)));
    }
    const b = locked((state) => {
        settle(state);
        const b = state.builds[id];
        if (b && cmd === "builds cancel" && (b.status === "QUEUED" || b.status === "WORKING")) b.status = "CANCELLED";
        return b && view(b);
    });
    if (!b) fail("(gcloud." + pos.slice(0, 2).join(".") + ") NOT_FOUND: build " + id);
    if (cmd === "builds describe") process.stdout.write(JSON.stringify(b) + "\n");
    process.exit(0);
}
if (pos.slice(0, 4).join(" ") === "artifacts docker images describe") {
    const digest = locked((state) => { settle(state); return state.tags[pos[4]]; });
    if (!digest) fail("(gcloud.artifacts.docker.images.describe) Image not found: " + pos[4]);
    process.stdout.write(digest + "\n");
    process.exit(0);
}
if (pos.slice(0, 4).join(" ") === "artifacts docker images list") {
    // the repository's newest image (--sort-by=~UPDATE_TIME --limit=1): its last push
    const repo = pos[4];
    const newest = locked((state) => { settle(state); return state.pushes.filter((p) => p.ref.startsWith(repo + ":")).pop(); });
    if (newest) process.stdout.write(newest.digest + "\n");
    process.exit(0);
}
if (pos.slice(0, 4).join(" ") === "artifacts docker tags add") {
    const [image, digest] = pos[4].split("@");
    const target = pos[5];
    const err = locked((state) => {
        const had = state.tags[target];
        if (had && had !== digest && immutable(target)) return "tag " + target + " is immutable";
        state.tags[target] = digest;
        return "";
    });
    if (err) fail("(gcloud.artifacts.docker.tags.add) FAILED_PRECONDITION: " + err);
    process.stderr.write("Added tag [" + target + "] to image [" + image + "].\n");
    process.exit(0);
}
fail("fake cloud: unexpected call: " + argv.join(" "), 2);
`;

export interface FakeCloudState {
    n: number;
    builds: Record<string, { id: string; status: string; tags: string[] }>;
    tags: Record<string, string>;
    pushes: { ref: string; digest: string; build: string }[];
}

/** A folder with the fake `gcloud` and its shared state; put `bin` first on PATH and pass `env`. */
export function fakeCloud(): { bin: string; state: string; env: Record<string, string> } {
    const root = mkdtempSync(path.join(os.tmpdir(), "fw-fake-cloud-"));
    const bin = path.join(root, "bin");
    const state = path.join(root, "state");
    for (const d of [bin, state]) require("node:fs").mkdirSync(d);
    writeFileSync(path.join(bin, "fake-cloud.js"), FAKE_CLOUD_JS);
    writeFileSync(path.join(bin, "gcloud"), `#!/bin/sh\nexec node "${path.join(bin, "fake-cloud.js")}" "$@"\n`);
    chmodSync(path.join(bin, "gcloud"), 0o755);
    return {
        bin,
        state,
        env: {
            PATH: `${bin}:${process.env.PATH}`,
            FAKE_CLOUD_STATE: state,
            FAKE_YAML_MODULE: require.resolve("yaml"),
        },
    };
}

/** Puts `ref` in the fake registry, pushed with `digest` (as an earlier build would have). */
export function seedImage(state: string, ref: string, digest: string): void {
    const file = path.join(state, "state.json");
    const current: FakeCloudState = existsSync(file) ? cloudState(state) : { n: 0, builds: {}, tags: {}, pushes: [] };
    current.tags[ref] = digest;
    current.pushes.push({ ref, digest, build: "seeded" });
    writeFileSync(file, JSON.stringify(current, null, 1));
}

export function cloudState(state: string): FakeCloudState {
    return JSON.parse(readFileSync(path.join(state, "state.json"), "utf8")) as FakeCloudState;
}

/** Every gcloud argv the fake saw. */
export function cloudCalls(state: string): string[][] {
    return readFileSync(path.join(state, "calls.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);
}
