// The relay against real HTTPS indexes on loopback (certificates from a CA of the test's own, made
// with openssl), queried as pip queries it; last, the real pip downloads through it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Writable } from "node:stream";
import { type PipConfig, PYPI_SIMPLE } from "../../../lib/pip/pipConfig";
import { type PipRelay, relayAnchors, startPipRelay } from "../../../lib/pip/pipRelay";
import { recorder } from "../../support/recorder";
import { requireTool } from "../../support/tools";

function openssl(dir: string, args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
}

/** A CA and a server certificate for 127.0.0.1 signed by it (EC keys: quick to make). */
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(dir, [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=fw-test-ca",
    ]);
    openssl(dir, ["req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"]);
    openssl(dir, [
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
    return { ca: path.join(dir, "ca.pem"), key: read("srv.key"), cert: read("srv.pem") };
}

interface Upstream {
    origin: string;
    requests: { path: string; authorization?: string; accept?: string }[];
    close(): Promise<void>;
}

/** An HTTPS server answering `routes` (path -> status, type, body) and recording each request. */
async function serve(
    tls: { key: string; cert: string },
    routes: (
        origin: string,
    ) => Record<string, { status?: number; type?: string; body: string | Buffer; location?: string }>,
): Promise<Upstream> {
    const requests: Upstream["requests"] = [];
    let origin = "";
    const server = https.createServer(tls, (req: http.IncomingMessage, res: http.ServerResponse) => {
        requests.push({ path: req.url ?? "", authorization: req.headers.authorization, accept: req.headers.accept });
        const route = routes(origin)[req.url ?? ""];
        if (!route) {
            res.writeHead(404).end("not found");
            return;
        }
        res.writeHead(route.status ?? 200, {
            "content-type": route.type ?? "text/html",
            ...(route.location ? { location: route.location } : {}),
        });
        res.end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        origin,
        requests,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A command run without blocking this process (the relay under test lives in it). */
function runAsync(
    file: string,
    args: string[],
    env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d));
        child.stderr.on("data", (d: Buffer) => (output += d));
        child.on("close", (status) => resolve({ status, output }));
    });
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

function config(over: Partial<PipConfig>): PipConfig {
    return {
        indexUrl: PYPI_SIMPLE,
        extraIndexUrls: [],
        trustedHosts: [],
        timeoutSeconds: 10,
        notRelayed: [],
        ...over,
    };
}

describe("pipRelay", () => {
    describe("relayAnchors", () => {
        const page = new URL("https://mirror.example/simple/demo/");
        const ids = new Map<string, number>();
        const id = (u: URL) => ids.get(u.origin) ?? ids.set(u.origin, ids.size).get(u.origin)!;

        it("points every file link at the relay, by origin, keeping path, query, fragment and attributes", () => {
            const html = [
                "<html><body>",
                '<a href="https://files.example/packages/demo-1.0-py3-none-any.whl#sha256=abc" data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256=def">demo-1.0-py3-none-any.whl</a><br/>',
                "<a href='../../packages/demo-1.0.tar.gz?x=1&amp;y=2#sha256=123' data-yanked=\"\">demo-1.0.tar.gz</a>",
                "<A HREF=https://files.example/other.whl>other.whl</A>",
                '<a name="no-href">skipped</a>',
                '<a href="mailto:lab@example.org">skipped too</a>',
                "</body></html>",
            ].join("\n");
            assert.deepEqual(relayAnchors(html, page, id), [
                '<a href="/files/0/packages/demo-1.0-py3-none-any.whl#sha256=abc" data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256=def">demo-1.0-py3-none-any.whl</a>',
                '<a href="/files/1/packages/demo-1.0.tar.gz?x=1&amp;y=2#sha256=123" data-yanked="">demo-1.0.tar.gz</a>',
                '<a href="/files/0/other.whl">other.whl</a>',
            ]);
            assert.deepEqual([...ids.keys()], ["https://files.example", "https://mirror.example"]);
        });
    });

    describe("a relay in front of HTTPS indexes with a CA of their own", function () {
        this.timeout(60_000);
        let dir: string;
        let certs: { ca: string; key: string; cert: string };
        let index: Upstream;
        let files: Upstream;
        const wheel = Buffer.from("a wheel's bytes\n");
        const relays: PipRelay[] = [];

        before(async function () {
            requireTool(this, "openssl");
            dir = mkdtempSync(path.join(os.tmpdir(), "fw-relay-"));
            writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
            certs = makeCertificates(dir);
            // the files live on another origin, as PyPI's do on files.pythonhosted.org
            files = await serve(certs, () => ({
                "/packages/demo-1.0-py3-none-any.whl": { type: "application/octet-stream", body: wheel },
                "/packages/demo-1.0-py3-none-any.whl.metadata": { type: "text/plain", body: "Name: demo\n" },
            }));
            index = await serve(certs, () => ({
                "/simple/demo/": {
                    body: `<a href="${files.origin}/packages/demo-1.0-py3-none-any.whl#sha256=${sha256(wheel)}" data-dist-info-metadata="true">demo-1.0-py3-none-any.whl</a>`,
                },
                "/simple/moved/": { status: 301, body: "", location: "/simple/demo/" },
                "/simple/broken/": { status: 500, body: "oops" },
            }));
        });

        after(async () => {
            for (const r of relays) await r.close();
            await index?.close();
            await files?.close();
            if (dir) rmSync(dir, { recursive: true, force: true });
        });

        async function relay(c: Partial<PipConfig>, log?: Writable): Promise<string> {
            const r = await startPipRelay(config(c), { address: "127.0.0.1", port: 0, log });
            relays.push(r);
            return `http://127.0.0.1:${r.port}`;
        }

        it("serves the index's page and files with the machine's CA; the index's credentials go to the index only", async () => {
            const base = await relay({
                indexUrl: `${index.origin.replace("https://", "https://ann:s%3Dcret@")}/simple`,
                cert: certs.ca,
            });
            const res = await fetch(`${base}/simple/demo/`);
            assert.equal(res.status, 200);
            const html = await res.text();
            const href = /href="([^"]+)"/.exec(html)?.[1];
            assert.equal(href, `/files/0/packages/demo-1.0-py3-none-any.whl#sha256=${sha256(wheel)}`);
            const file = await fetch(`${base}${href!.split("#")[0]}`);
            assert.equal(file.status, 200);
            assert.equal(sha256(Buffer.from(await file.arrayBuffer())), sha256(wheel));
            assert.equal(await (await fetch(`${base}${href!.split("#")[0]}.metadata`)).text(), "Name: demo\n");
            // pages are asked for as HTML, with the index's credentials; the files host never sees them
            const basic = `Basic ${Buffer.from("ann:s=cret").toString("base64")}`;
            assert.deepEqual(index.requests.at(-1), {
                path: "/simple/demo/",
                authorization: basic,
                accept: "text/html",
            });
            assert.ok(files.requests.length >= 2 && files.requests.every((r) => r.authorization === undefined));
        });

        it("follows the index's redirects, answers 404 for an unknown project, a file of no served page, a bad path; 400 for a bad escape", async () => {
            const base = await relay({ indexUrl: `${index.origin}/simple/`, cert: certs.ca });
            assert.match(await (await fetch(`${base}/simple/moved`)).text(), /demo-1\.0-py3-none-any\.whl<\/a>/);
            assert.equal((await fetch(`${base}/simple/nothing/`)).status, 404);
            assert.equal((await fetch(`${base}/files/7/packages/demo-1.0-py3-none-any.whl`)).status, 404);
            assert.equal((await fetch(`${base}/etc/passwd`)).status, 404);
            assert.equal((await fetch(`${base}/simple/demo/`, { method: "POST" })).status, 405);
            assert.equal((await fetch(`${base}/simple/%E0%A4%A/`)).status, 400);
        });

        it("cuts a download the files host cut, and keeps serving", async () => {
            // a files host that promises 1000 bytes, sends 10 and hangs up
            const cut = https.createServer(certs, (_req, res) => {
                res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000" });
                res.write("0123456789", () => res.socket?.destroy());
            });
            await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
            const cutOrigin = `https://127.0.0.1:${(cut.address() as AddressInfo).port}`;
            const upstream = await serve(certs, () => ({
                "/simple/cut/": {
                    body: `<a href="${cutOrigin}/cut-1.0-py3-none-any.whl">cut-1.0-py3-none-any.whl</a>`,
                },
            }));
            try {
                const base = await relay({ indexUrl: `${upstream.origin}/simple`, cert: certs.ca });
                const href = /href="([^"]+)"/.exec(await (await fetch(`${base}/simple/cut/`)).text())?.[1];
                const res = await fetch(`${base}${href}`);
                assert.equal(res.status, 200);
                await assert.rejects(res.arrayBuffer());
                assert.equal((await fetch(`${base}/simple/cut/`)).status, 200);
            } finally {
                cut.closeAllConnections();
                await new Promise((resolve) => cut.close(resolve));
                await upstream.close();
            }
        });

        it("merges the extra indexes' links", async () => {
            const base = await relay({
                indexUrl: `${index.origin}/nothing-here`,
                extraIndexUrls: [`${index.origin}/simple`],
                cert: certs.ca,
            });
            const html = await (await fetch(`${base}/simple/demo/`)).text();
            assert.equal([...html.matchAll(/<a /g)].length, 1);
        });

        it("without the CA: 502 and one line that says why, in the build log", async () => {
            const log = recorder();
            const base = await relay({ indexUrl: `${index.origin}/simple` }, log.stream);
            const res = await fetch(`${base}/simple/demo/`);
            assert.equal(res.status, 502);
            assert.match(await res.text(), /^GET https:\/\/127\.0\.0\.1:\d+\/simple\/demo\/ failed: .*certificate/);
            assert.match(
                log.text(),
                /^pip-relay: GET https:\/\/127\.0\.0\.1:\d+\/simple\/demo\/ failed: .*certificate.*\n$/,
            );
        });

        it("trusts a trusted host without the CA, and reports an index's error status", async () => {
            const base = await relay({
                indexUrl: `${index.origin}/simple`,
                trustedHosts: [new URL(index.origin).host],
            });
            assert.equal((await fetch(`${base}/simple/demo/`)).status, 200);
            const broken = await fetch(`${base}/simple/broken/`);
            assert.equal(broken.status, 502);
            assert.match(await broken.text(), /\/simple\/broken\/: HTTP 500/);
        });

        it("refuses an unreadable CA file with one line", async () => {
            await assert.rejects(
                relay({ cert: path.join(dir, "missing.pem") }),
                /^Error: pip-relay: cannot read pip's cert .*missing\.pem: ENOENT/,
            );
        });

        it("is what the real pip downloads from", async function () {
            requireTool(this, "pip");
            const project = "fwrelaydemo";
            const work = mkdtempSync(path.join(dir, "pip-"));
            // a real wheel (pip reads its metadata), made by Python's zipfile
            const name = `${project}-1.0-py3-none-any.whl`;
            const make = spawnSync(
                "python3",
                [
                    "-c",
                    [
                        "import sys, zipfile",
                        "p, n = sys.argv[1], sys.argv[2]",
                        "with zipfile.ZipFile(p, 'w') as z:",
                        "    z.writestr(f'{n}-1.0.dist-info/METADATA', f'Metadata-Version: 2.1\\nName: {n}\\nVersion: 1.0\\n')",
                        "    z.writestr(f'{n}-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')",
                        "    z.writestr(f'{n}-1.0.dist-info/RECORD', '')",
                    ].join("\n"),
                    path.join(work, name),
                    project,
                ],
                { encoding: "utf8" },
            );
            assert.equal(make.status, 0, make.stderr);
            const body = readFileSync(path.join(work, name));
            {
                const upstream = await serve(certs, (origin) => ({
                    [`/simple/${project}/`]: {
                        body: `<a href="${origin}/f/${name}#sha256=${sha256(body)}">${name}</a>`,
                    },
                    [`/f/${name}`]: { type: "application/octet-stream", body },
                }));
                try {
                    const base = await relay({ indexUrl: `${upstream.origin}/simple`, cert: certs.ca });
                    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_")));
                    const pip = await runAsync(
                        "python3",
                        [
                            "-m",
                            "pip",
                            "download",
                            "--no-deps",
                            "--no-cache-dir",
                            "--disable-pip-version-check",
                            "--index-url",
                            `${base}/simple/`,
                            "--dest",
                            path.join(work, "out"),
                            `${project}==1.0`,
                        ],
                        { ...env, PIP_CONFIG_FILE: os.devNull, HOME: work },
                    );
                    assert.equal(pip.status, 0, pip.output);
                    assert.deepEqual(readdirSync(path.join(work, "out")), [name]);
                    assert.equal(sha256(readFileSync(path.join(work, "out", name))), sha256(body));
                } finally {
                    await upstream.close();
                }
            }
        });
    });
});
