/**
 * The pip relay: a plain-HTTP package index on a loopback address, alive for one local build,
 * that serves the build machine's indexes (PEP 503 pages and files) with the machine's pip
 * configuration (index URLs and their credentials, CA bundle, client certificate, trusted hosts).
 * Inside the build, pip reaches it as PIP_RELAY_HOST (`docker build --add-host`, `--network
 * host`): the configuration stays on the machine, and no layer, variable or history entry of the
 * image holds any of it. The rendered runtime Dockerfile uses it when that name resolves.
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { PipConfig } from "./pipConfig";

/** The name the build resolves to the relay (`.invalid` never resolves in DNS: RFC 6761). */
export const PIP_RELAY_HOST = "pip-relay.fireworker.invalid";
export const PIP_RELAY_PORT = 3141;
/** The index URL pip uses inside the build when the relay is there. */
export const PIP_RELAY_INDEX = `http://${PIP_RELAY_HOST}:${PIP_RELAY_PORT}/simple/`;

export interface PipRelay {
    /** The loopback address it listens on, e.g. `127.83.4.17`: the build's `--add-host`. */
    address: string;
    port: number;
    close(): Promise<void>;
}

export interface RelayOptions {
    /** Where failed upstream requests are reported (the build log). */
    log?: NodeJS.WritableStream;
    /** Listen here instead of a random 127.x.y.z (tests). */
    address?: string;
    /** 0: any free port (tests). @default PIP_RELAY_PORT */
    port?: number;
}

const MAX_REDIRECTS = 5;

/** An upstream origin that served links, with the credentials of the index it belongs to. */
interface Origin {
    origin: string;
    auth?: string;
}

export async function startPipRelay(config: PipConfig, opts: RelayOptions = {}): Promise<PipRelay> {
    const tls = tlsOptions(config);
    const origins: Origin[] = [];
    const originId = (url: URL, auth?: string): number => {
        const found = origins.findIndex((o) => o.origin === url.origin && o.auth === auth);
        return found >= 0 ? found : origins.push({ origin: url.origin, auth }) - 1;
    };
    const report = (line: string) => opts.log?.write(`pip-relay: ${line}\n`);

    const server = http.createServer((req, res) => {
        const fail = (status: number, text: string) => {
            if (!res.headersSent) {
                res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
            }
            res.end(`${text}\n`);
        };
        if (req.method !== "GET" && req.method !== "HEAD") {
            return fail(405, "only GET and HEAD");
        }
        const path = (req.url ?? "/").split("#")[0];
        const page = /^\/simple\/([^/?]+)\/?(?:\?.*)?$/.exec(path);
        const file = /^\/files\/(\d+)(\/.*)$/.exec(path);
        let project = "";
        try {
            project = page ? decodeURIComponent(page[1]) : "";
        } catch {
            return fail(400, "not a project name");
        }
        if (page) {
            projectPage(config, tls, project, originId)
                .then((html) => {
                    if (html === undefined) {
                        return fail(404, `no index has ${page[1]}`);
                    }
                    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
                    res.end(req.method === "HEAD" ? undefined : html);
                })
                .catch((err: Error) => {
                    report(err.message);
                    fail(502, err.message);
                });
        } else if (file && origins[Number(file[1])]) {
            const o = origins[Number(file[1])];
            fetchUpstream(new URL(o.origin + file[2]), tls, { auth: o.auth, method: req.method })
                .then(({ res: up }) => {
                    const headers: http.OutgoingHttpHeaders = {};
                    for (const h of ["content-type", "content-length", "etag", "last-modified"]) {
                        if (up.headers[h] !== undefined) headers[h] = up.headers[h];
                    }
                    res.writeHead(up.statusCode ?? 502, headers);
                    // a download cut upstream is cut here too: pip sees it and retries
                    up.on("error", () => res.destroy());
                    up.pipe(res);
                })
                .catch((err: Error) => {
                    report(err.message);
                    fail(502, err.message);
                });
        } else {
            fail(404, "not a page or file of this relay");
        }
    });
    const sockets = new Set<Socket>();
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    const address = await listen(server, opts.port ?? PIP_RELAY_PORT, opts.address);
    return {
        address,
        port: (server.address() as AddressInfo).port,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

/** Listens on `address`, or on a random 127.x.y.z (all of 127/8 is loopback on Linux). */
async function listen(server: http.Server, port: number, address?: string): Promise<string> {
    const candidates = address ? [address] : Array.from({ length: 20 }, randomLoopbackAddress);
    let last: Error | undefined;
    for (const a of candidates) {
        try {
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(port, a, () => {
                    server.off("error", reject);
                    resolve();
                });
            });
            return a;
        } catch (err) {
            last = err as Error;
        }
    }
    throw new Error(`pip-relay: cannot listen on a loopback address, port ${port}: ${last?.message}`);
}

/**
 * A random 127.x.y.z: all of 127/8 is loopback on Linux, so a server there rarely meets another
 * (another build's relay or wheelhouse, or anything else listening).
 */
export function randomLoopbackAddress(): string {
    const rand = (n: number) => Math.floor(Math.random() * n);
    return `127.${1 + rand(254)}.${rand(256)}.${1 + rand(254)}`;
}

/** What pip's `cert`, `client-cert` and `timeout` mean for Node's TLS. */
interface Tls {
    ca?: string;
    cert?: string;
    key?: string;
    trusted: string[];
    timeoutMs: number;
}

function tlsOptions(c: PipConfig): Tls {
    const read = (file: string, what: string) => {
        try {
            return readFileSync(file, "utf8");
        } catch (err) {
            throw new Error(`pip-relay: cannot read pip's ${what} ${file}: ${(err as Error).message}`);
        }
    };
    const client = c.clientCert ? read(c.clientCert, "client-cert") : undefined;
    return {
        ca: c.cert ? read(c.cert, "cert") : undefined,
        cert: client,
        key: client,
        trusted: c.trustedHosts,
        timeoutMs: c.timeoutSeconds * 1000,
    };
}

/** An upstream response and the URL that gave it (after redirects). */
interface Upstream {
    res: http.IncomingMessage;
    url: URL;
}

/** GETs `url` with pip's TLS settings, following redirects; credentials go to `url`'s origin only. */
function fetchUpstream(
    url: URL,
    tls: Tls,
    opts: { auth?: string; accept?: string; method?: string },
    redirects = 0,
): Promise<Upstream> {
    return new Promise((resolve, reject) => {
        const secure = url.protocol === "https:";
        const trusted = tls.trusted.includes(url.hostname) || tls.trusted.includes(url.host);
        const req = (secure ? https : http).request(
            url,
            {
                method: opts.method ?? "GET",
                auth: opts.auth,
                headers: {
                    "user-agent": "fireworker-images pip-relay",
                    ...(opts.accept ? { accept: opts.accept } : {}),
                },
                timeout: tls.timeoutMs,
                ...(secure ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !trusted } : {}),
            },
            (res) => {
                const location = res.headers.location;
                if (location && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0)) {
                    res.resume();
                    if (redirects >= MAX_REDIRECTS) {
                        return reject(new Error(`GET ${safe(url)}: more than ${MAX_REDIRECTS} redirects`));
                    }
                    const next = new URL(location, url);
                    const auth = next.origin === url.origin ? opts.auth : undefined;
                    return fetchUpstream(next, tls, { ...opts, auth }, redirects + 1).then(resolve, reject);
                }
                resolve({ res, url });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`timed out after ${tls.timeoutMs / 1000}s`)));
        req.on("error", (err) => reject(new Error(`GET ${safe(url)} failed: ${err.message}`)));
        req.end();
    });
}

/** A URL without its credentials, for messages. */
function safe(url: URL): string {
    const u = new URL(url.href);
    u.username = "";
    u.password = "";
    return u.href;
}

async function readBody(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

/**
 * The project's PEP 503 page: the links of every index that has the project, each pointing at
 * the relay; undefined when no index has it.
 */
async function projectPage(
    config: PipConfig,
    tls: Tls,
    project: string,
    originId: (url: URL, auth?: string) => number,
): Promise<string | undefined> {
    const anchors: string[] = [];
    let found = false;
    for (const index of [config.indexUrl, ...config.extraIndexUrls]) {
        const base = new URL(index.endsWith("/") ? index : `${index}/`);
        const auth = base.username ? decodeURIComponent(`${base.username}:${base.password}`) : undefined;
        base.username = "";
        base.password = "";
        const pageUrl = new URL(`${encodeURIComponent(project)}/`, base);
        const { res, url: finalUrl } = await fetchUpstream(pageUrl, tls, { auth, accept: "text/html" });
        if (res.statusCode === 404) {
            res.resume();
            continue;
        }
        if (res.statusCode !== 200) {
            res.resume();
            throw new Error(`GET ${safe(pageUrl)}: HTTP ${res.statusCode}`);
        }
        found = true;
        anchors.push(
            ...relayAnchors(await readBody(res), finalUrl, (u) =>
                originId(u, u.origin === base.origin ? auth : undefined),
            ),
        );
    }
    if (!found) {
        return undefined;
    }
    return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${escapeHtml(project)}</title></head><body>\n${anchors.join("<br/>\n")}\n</body></html>\n`;
}

/**
 * The anchors of a PEP 503 page with each href (resolved against `pageUrl`) pointing at the relay:
 * `/files/<origin id><path>?<query>#<fragment>`. Other attributes (data-requires-python,
 * data-dist-info-metadata, data-yanked, ...) are kept as they are.
 */
export function relayAnchors(html: string, pageUrl: URL, originId: (url: URL) => number): string[] {
    const out: string[] = [];
    for (const m of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
        const attrs = m[1];
        const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attrs);
        if (!href) {
            continue;
        }
        const target = new URL(unescapeHtml(href[1] ?? href[2] ?? href[3]), pageUrl);
        if (target.protocol !== "https:" && target.protocol !== "http:") {
            continue;
        }
        const relayed = `/files/${originId(target)}${target.pathname}${target.search}${target.hash}`;
        const rest = `${attrs.slice(0, href.index)} ${attrs.slice(href.index + href[0].length)}`.trim();
        out.push(`<a href="${escapeHtml(relayed)}"${rest ? ` ${rest}` : ""}>${m[2]}</a>`);
    }
    return out;
}

function unescapeHtml(s: string): string {
    return s.replace(
        /&(amp|lt|gt|quot|#39|#x27);/g,
        (_m, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[e] ?? _m,
    );
}

function escapeHtml(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
