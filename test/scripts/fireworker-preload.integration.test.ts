// Integration tests of scripts/fireworker-preload.sh: the real script against a real Docker engine
// and registry (scripts/test-env), with a loopback stub of the GCE metadata server.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { docker, dockerOk, removeImages } from "../support/docker";
import { requireDockerOrSkip, type TestEnv } from "../support/testEnv";
import { toolAvailable } from "../support/tools";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "fireworker-preload.sh");
const METADATA_PREFIX = "/computeMetadata/v1";

// ------------------------------------------------------------------ metadata server stub ----

interface MetadataStub {
    /** Base URL, like http://metadata.google.internal/computeMetadata/v1. */
    url: string;
    attributes: Record<string, string>;
    token: string;
    /** When true the token endpoint answers 500. */
    tokenFails: boolean;
    tokenRequests: number;
    /** Guest attributes written with PUT, by key under fireworker/. */
    guest: Record<string, string>;
    /** Requests without the Metadata-Flavor: Google header (answered 403). */
    unflavored: string[];
    close(): Promise<void>;
}

async function startMetadataStub(): Promise<MetadataStub> {
    const stub = {
        url: "",
        attributes: {} as Record<string, string>,
        token: "",
        tokenFails: false,
        tokenRequests: 0,
        guest: {} as Record<string, string>,
        unflavored: [] as string[],
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const url = (req.url ?? "").split("?")[0];
            const send = (code: number, text: string, type = "application/text") => {
                res.writeHead(code, { "Content-Type": type, "Metadata-Flavor": "Google" });
                res.end(text);
            };
            if (req.headers["metadata-flavor"] !== "Google") {
                stub.unflavored.push(`${req.method} ${url}`);
                return send(403, "Missing Metadata-Flavor:Google header.");
            }
            if (!url.startsWith(`${METADATA_PREFIX}/`)) {
                return send(404, "not found");
            }
            const rest = url.slice(METADATA_PREFIX.length + 1);
            const attr = /^instance\/attributes\/([^/]+)$/.exec(rest);
            if (req.method === "GET" && attr) {
                const value = stub.attributes[attr[1]];
                return value === undefined ? send(404, "not found") : send(200, value);
            }
            if (req.method === "GET" && rest === "instance/service-accounts/default/token") {
                stub.tokenRequests++;
                if (stub.tokenFails) {
                    return send(500, "internal error");
                }
                return send(
                    200,
                    JSON.stringify({ access_token: stub.token, expires_in: 3599, token_type: "Bearer" }),
                    "application/json",
                );
            }
            const guest = /^instance\/guest-attributes\/fireworker\/([^/]+)$/.exec(rest);
            if (req.method === "PUT" && guest) {
                stub.guest[guest[1]] = body;
                return send(200, "");
            }
            return send(404, "not found");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    stub.url = `http://127.0.0.1:${port}${METADATA_PREFIX}`;
    return Object.assign(stub, {
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    });
}

// ------------------------------------------------------------------------------ helpers ----

interface RunResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** Runs a command without blocking the event loop (the metadata stub lives in this process). */
function runAsync(
    file: string,
    args: string[],
    opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<RunResult> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: Date.now() - start });
        });
        // a command that exits without reading its input (e.g. `list`) closes the pipe: not an error
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

function imageId(t: TestEnv, ref: string): string | null {
    const r = docker(t, ["image", "inspect", "--format", "{{.Id}}", ref]);
    return r.status === 0 ? r.stdout.trim() : null;
}

function allFiles(dir: string): string[] {
    if (!existsSync(dir)) {
        return [];
    }
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            out.push(...allFiles(p));
        } else if (e.isFile()) {
            out.push(p);
        }
    }
    return out;
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

interface TestImage {
    repo: string;
    tag: string;
    digest: string;
    /** REPOSITORY:TAG@sha256:DIGEST, as in fw-images. */
    line: string;
    /** REPOSITORY:TAG, what the workers pull. */
    tagged: string;
    /** REPOSITORY@sha256:DIGEST. */
    pinned: string;
}

/** Builds a tiny image FROM the base image, pushes it, and removes it from the engine again. */
function buildAndPush(t: TestEnv, work: string, runId: string, name: string): TestImage {
    const repo = `${t.registry}/fw-preload-test/${name}-${runId}`;
    const tag = randomBytes(6).toString("hex");
    const ctx = path.join(work, `build-${name}`);
    mkdirSync(ctx, { recursive: true });
    writeFileSync(
        path.join(ctx, "Dockerfile"),
        `FROM ${t.baseImage}\nLABEL fireworker.test.run="${runId}" fireworker.test.image="${name}"\n`,
    );
    const buildRef = `${repo}:${tag}`; // the registry has REPOSITORY:TAG, as in production
    dockerOk(t, ["build", "--network", "host", "-q", "-t", buildRef, ctx]);
    dockerOk(t, ["push", buildRef]);
    const digests = JSON.parse(
        dockerOk(t, ["image", "inspect", "--format", "{{json .RepoDigests}}", buildRef]),
    ) as string[];
    const pinned = digests.find((d) => d.startsWith(`${repo}@sha256:`));
    assert.ok(pinned, `no repo digest for ${repo} in ${JSON.stringify(digests)}`);
    dockerOk(t, ["rmi", buildRef]);
    assert.equal(imageId(t, pinned), null, `${pinned} still in the engine after docker rmi`);
    const digest = pinned.slice(repo.length + 1);
    return { repo, tag, digest, line: `${repo}:${tag}@${digest}`, tagged: `${repo}:${tag}`, pinned };
}

/** Deletes the image's manifest from the test registry (best effort). */
async function deleteFromRegistry(t: TestEnv, image: TestImage): Promise<void> {
    const name = image.repo.slice(t.registry.length + 1);
    try {
        await fetch(`http://${t.registry}/v2/${name}/manifests/${image.digest}`, { method: "DELETE" });
    } catch {
        // the registry is the test environment's; leftovers are harmless
    }
}

// -------------------------------------------------------------------------------- tests ----

describe("fireworker-preload.sh (integration: Docker engine, registry, metadata stub)", function () {
    this.timeout(180_000);

    let t: TestEnv;
    let stub: MetadataStub;
    let work: string;
    const runId = randomBytes(4).toString("hex");
    const images: Record<"a" | "b" | "c", TestImage> = {} as never;
    const durations: string[] = [];

    before(async function () {
        t = await requireDockerOrSkip(this);
        this.timeout(600_000);
        work = mkdtempSync(path.join(os.tmpdir(), "fw-preload-test-"));
        stub = await startMetadataStub();
        images.a = buildAndPush(t, work, runId, "runtime");
        images.b = buildAndPush(t, work, runId, "tools");
        images.c = buildAndPush(t, work, runId, "rollback");
    });

    after(async () => {
        if (!t) {
            return;
        }
        for (const image of Object.values(images)) {
            removeImages(t, image.repo);
            await deleteFromRegistry(t, image);
        }
        await stub?.close();
        if (work) {
            rmSync(work, { recursive: true, force: true });
        }
        if (durations.length > 0) {
            process.stdout.write(`      script run times: ${durations.join(", ")}\n`);
        }
    });

    /** A fresh case directory and a script run with the stub's current settings. */
    async function preload(
        label: string,
        attributes: Record<string, string>,
        extraEnv: NodeJS.ProcessEnv = {},
        setup?: (root: string) => void,
    ): Promise<RunResult & { dir: string; root: string; tmp: string; poweroff: string; serial: string }> {
        const dir = path.join(work, label);
        const root = path.join(dir, "root");
        const tmp = path.join(dir, "tmp");
        mkdirSync(root, { recursive: true });
        mkdirSync(tmp, { recursive: true });
        setup?.(root);
        const poweroff = path.join(dir, "poweroff-ran");
        const serial = path.join(dir, "serial");
        stub.attributes = attributes;
        stub.guest = {};
        stub.token = `ya29.test-${randomBytes(24).toString("hex")}`;
        const env: NodeJS.ProcessEnv = {
            ...t.env,
            FW_METADATA_URL: stub.url,
            FW_POWEROFF_CMD: `touch '${poweroff}'`,
            FW_SERIAL: serial,
            FW_DOCKER_INSTALL: "0",
            FW_CONFIG_ROOT: root,
            FW_WORKER_USERS: "",
            FW_PRUNE_OTHER_IMAGES: "0",
            FW_SYSTEM_CLEANUP: "0",
            TMPDIR: tmp,
            ...extraEnv,
        };
        const r = await runAsync("bash", [SCRIPT], { env, timeoutMs: 170_000 });
        durations.push(`${label} ${(r.ms / 1000).toFixed(1)}s`);
        return { ...r, dir, root, tmp, poweroff, serial };
    }

    function output(r: RunResult): string {
        return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
    }

    function assertFailed(r: Awaited<ReturnType<typeof preload>>, reason: RegExp): void {
        assert.equal(r.code, 1, output(r));
        assert.equal(stub.guest.status, "failed", output(r));
        assert.match(stub.guest.reason ?? "", reason, output(r));
        assert.doesNotMatch(stub.guest.reason ?? "", /\n/);
        assert.match(r.stdout, /^FIREWORKER-PRELOAD: failed: .*$/m);
        assert.equal(readFileSync(r.serial, "utf8"), `FIREWORKER-PRELOAD: failed: ${stub.guest.reason}\n`);
        assert.ok(existsSync(r.poweroff), "power-off command did not run");
        assert.deepEqual(readdirSync(r.tmp), [], "temporary files left behind");
        assert.ok(!r.stdout.includes(stub.token) && !r.stderr.includes(stub.token), "token printed");
        assert.deepEqual(stub.unflavored, []);
    }

    it("preloads the images by digest, tags them REPOSITORY:TAG, leaves no credential, reports ok", async () => {
        const { a, b } = images;
        // A worker user that exists (daemon, in every Debian) and one that does not.
        const passwd = spawnSync("getent", ["passwd", "daemon"], { encoding: "utf8" });
        const daemonHome = passwd.status === 0 ? passwd.stdout.trim().split(":")[5] : "";
        const r = await preload(
            "success",
            {
                "fw-registry-host": t.registry,
                "fw-images": `${a.line}\n\n  ${b.line}  \n`,
                "fw-worker-users": "daemon fw-no-such-user",
            },
            { FW_WORKER_USERS: undefined }, // unset: the attribute applies
            // The home must exist under FW_CONFIG_ROOT: the script never creates home directories.
            (root) => daemonHome && mkdirSync(path.join(root, daemonHome), { recursive: true }),
        );
        assert.equal(r.code, 0, output(r));
        assert.equal(stub.guest.status, "ok");
        assert.equal(stub.guest.reason, undefined);
        assert.match(r.stdout, /^FIREWORKER-PRELOAD: ok$/m);
        assert.equal(readFileSync(r.serial, "utf8"), "FIREWORKER-PRELOAD: ok\n");
        assert.ok(existsSync(r.poweroff), "power-off command did not run");
        assert.deepEqual(stub.unflavored, []);

        // Present by digest, tagged exactly REPOSITORY:TAG.
        for (const image of [a, b]) {
            const id = imageId(t, image.pinned);
            assert.ok(id, `${image.pinned} not in the engine`);
            assert.equal(imageId(t, image.tagged), id, `${image.tagged} is not ${image.pinned}`);
            const tags = JSON.parse(
                dockerOk(t, ["image", "inspect", "--format", "{{json .RepoTags}}", id]),
            ) as string[];
            assert.deepEqual(tags, [image.tagged]);
            const digests = JSON.parse(
                dockerOk(t, ["image", "inspect", "--format", "{{json .RepoDigests}}", id]),
            ) as string[];
            assert.ok(digests.includes(image.pinned), JSON.stringify(digests));
        }

        // Run-time credentials: helper + config.json naming it, for root, /etc/skel.
        const helper = path.join(r.root, "usr/local/bin/docker-credential-fireworker");
        assert.ok(statSync(helper).mode & 0o111, "credential helper is not executable");
        const want = { credHelpers: { [t.registry]: "fireworker" } };
        for (const home of ["root", "etc/skel"]) {
            const file = path.join(r.root, home, ".docker/config.json");
            assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), want, file);
        }
        if (daemonHome) {
            const file = path.join(r.root, daemonHome, ".docker/config.json");
            assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), want, file);
            if (process.getuid?.() === 0) {
                assert.equal(statSync(file).uid, Number(passwd.stdout.split(":")[2]), `${file} not owned by daemon`);
            }
        }
        assert.match(r.stderr, /fw-no-such-user does not exist/);
        assert.ok(!existsSync(path.join(r.root, "home/fw-no-such-user")));

        // No credential anywhere: config root, temp dir, output.
        assert.deepEqual(readdirSync(r.tmp), [], "temporary files left behind");
        const basic = Buffer.from(`oauth2accesstoken:${stub.token}`).toString("base64");
        for (const file of allFiles(r.root)) {
            const text = readFileSync(file, "utf8");
            assert.ok(!text.includes(stub.token) && !text.includes(basic), `credential in ${file}`);
        }
        assert.ok(!r.stdout.includes(stub.token) && !r.stderr.includes(stub.token), "token printed");
        assert.ok(!r.stdout.includes(basic) && !r.stderr.includes(basic), "credential printed");

        // The helper hands out a fresh token from the metadata server (its baked-in URL).
        const helperEnv = { ...t.env, FW_METADATA_URL: undefined };
        const get = await runAsync(helper, ["get"], { env: helperEnv, input: `${t.registry}\n` });
        assert.equal(get.code, 0, output(get));
        assert.deepEqual(JSON.parse(get.stdout), { Username: "oauth2accesstoken", Secret: stub.token });
        const other = await runAsync(helper, ["get"], { env: helperEnv, input: "https://index.docker.io/v1/\n" });
        assert.equal(other.code, 1);
        assert.equal((await runAsync(helper, ["list"], { env: helperEnv })).stdout.trim(), "{}");
        assert.equal((await runAsync(helper, ["store"], { env: helperEnv, input: "{}" })).code, 0);
        assert.equal((await runAsync(helper, ["erase"], { env: helperEnv, input: t.registry })).code, 0);
        if (toolAvailable("shellcheck")) {
            const sc = spawnSync("shellcheck", ["-s", "sh", helper], { encoding: "utf8" });
            assert.equal(sc.status, 0, `generated credential helper is not shellcheck clean:\n${sc.stdout}`);
        }

        // A worker's `docker pull REPOSITORY:TAG` goes through the helper with root's config.
        const tokensBefore = stub.tokenRequests;
        const pull = await runAsync("docker", ["pull", "-q", a.tagged], {
            env: {
                ...helperEnv,
                DOCKER_CONFIG: path.join(r.root, "root/.docker"),
                PATH: `${path.join(r.root, "usr/local/bin")}:${process.env.PATH}`,
            },
        });
        assert.equal(pull.code, 0, output(pull));
        assert.ok(stub.tokenRequests > tokensBefore, "docker pull did not use the credential helper");
        assert.equal(imageId(t, a.tagged), imageId(t, a.pinned));
    });

    it("fails on a wrong digest, removes what it pulled and tagged, still powers off", async () => {
        const { c } = images;
        const wrong = `${c.repo}-missing:${c.tag}@sha256:${randomBytes(32).toString("hex")}`;
        const r = await preload("wrong-digest", {
            "fw-registry-host": t.registry,
            "fw-images": `${c.line}\n${wrong}\n`,
        });
        assertFailed(r, /^(pull failed|digest mismatch): .*-missing@sha256:[0-9a-f]{64}/);
        // c was pulled and tagged by this run before the bad line: all of it is gone again.
        assert.equal(imageId(t, c.tagged), null, `${c.tagged} left behind`);
        assert.equal(imageId(t, c.pinned), null, `${c.pinned} left behind`);
        assert.equal(imageId(t, wrong.slice(0, wrong.indexOf("@"))), null);
    });

    it("fails when the registry is down, still powers off", async () => {
        const host = `127.0.0.1:${await closedPort()}`;
        const r = await preload("registry-down", {
            "fw-registry-host": host,
            "fw-images": `${host}/fw-preload-test/runtime-${runId}:${images.a.tag}@${images.a.digest}\n`,
        });
        assertFailed(r, new RegExp(`^registry login failed: ${host.replace(/\./g, "\\.")}$`));
        assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
    });

    it("fails when the token endpoint answers 500, still powers off", async () => {
        stub.tokenFails = true;
        try {
            const r = await preload("token-down", {
                "fw-registry-host": t.registry,
                "fw-images": `${images.c.line}\n`,
            });
            assertFailed(r, /token/);
            assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
            assert.equal(imageId(t, images.c.tagged), null);
        } finally {
            stub.tokenFails = false;
        }
    });

    it("fails fast when the metadata server is unreachable, still powers off", async () => {
        const r = await preload(
            "metadata-down",
            {},
            { FW_METADATA_URL: `http://127.0.0.1:${await closedPort()}/computeMetadata/v1` },
        );
        assert.equal(r.code, 1, output(r));
        assert.match(r.stdout, /^FIREWORKER-PRELOAD: failed: metadata attribute fw-registry-host unavailable$/m);
        assert.ok(existsSync(r.poweroff), "power-off command did not run");
        assert.deepEqual(readdirSync(r.tmp), []);
        assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    });
});
