/**
 * Immutable tags in front of the test registry, as Artifact Registry's team repository has
 * them: a loopback HTTP proxy to FW_TEST_REGISTRY that refuses a manifest PUT moving an existing
 * tag to another digest (400 TAG_INVALID), one tag at a time. Docker pushes through it for real.
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

const MANIFEST_TYPES =
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

export interface ImmutableRegistry {
    /** `127.0.0.1:PORT`. */
    host: string;
    /** Manifest PUTs refused because the tag existed with another digest. */
    refused: () => number;
    close(): Promise<void>;
}

export async function immutableRegistry(upstream: string): Promise<ImmutableRegistry> {
    const [upHost, upPort] = upstream.split(":");
    const queues = new Map<string, Promise<void>>();
    let refused = 0;

    const forward = (req: http.IncomingMessage, res: http.ServerResponse, body?: Buffer) => {
        const up = http.request(
            { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers },
            (r) => {
                res.writeHead(r.statusCode ?? 502, r.headers);
                r.pipe(res);
            },
        );
        up.on("error", () => res.writeHead(502).end());
        if (body) up.end(body);
        else req.pipe(up);
    };

    const tagDigest = (name: string, tag: string) =>
        new Promise<string | undefined>((resolve) => {
            const r = http.request(
                {
                    host: upHost,
                    port: Number(upPort),
                    method: "HEAD",
                    path: `/v2/${name}/manifests/${tag}`,
                    headers: { Accept: MANIFEST_TYPES },
                },
                (res) => {
                    res.resume();
                    resolve(res.statusCode === 200 ? String(res.headers["docker-content-digest"]) : undefined);
                },
            );
            r.on("error", () => resolve(undefined));
            r.end();
        });

    const server = http.createServer((req, res) => {
        const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? "");
        if (req.method !== "PUT" || !m || m[2].startsWith("sha256:")) {
            forward(req, res);
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const key = `${m[1]}:${m[2]}`;
            const turn = (queues.get(key) ?? Promise.resolve()).then(async () => {
                const had = await tagDigest(m[1], m[2]);
                const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
                if (had && had !== digest) {
                    refused++;
                    res.writeHead(400, { "Content-Type": "application/json" }).end(
                        JSON.stringify({ errors: [{ code: "TAG_INVALID", message: `tag ${key} is immutable` }] }),
                    );
                    return;
                }
                await new Promise<void>((done) => {
                    res.on("finish", done);
                    forward(req, res, body);
                });
            });
            queues.set(key, turn);
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return {
        host: `127.0.0.1:${port}`,
        refused: () => refused,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}
