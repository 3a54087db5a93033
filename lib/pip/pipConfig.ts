/**
 * The build machine's pip configuration, as pip itself resolves it (`pip config list`: the config
 * files, PIP_CONFIG_FILE and PIP_* variables): the parts that say where packages come from and how
 * to reach them. Local runtime builds pass them to pip through the relay (pipRelay.ts).
 */
import { spawnSync } from "node:child_process";

export interface PipConfig {
    /** The index pip uses, e.g. `https://pypi.org/simple`. */
    indexUrl: string;
    extraIndexUrls: string[];
    /** CA bundle file that replaces pip's own (`cert`). */
    cert?: string;
    /** PEM file with a client key and certificate (`client-cert`). */
    clientCert?: string;
    /** Hosts (`host` or `host:port`) reached without certificate checks (`trusted-host`). */
    trustedHosts: string[];
    timeoutSeconds: number;
    /** Settings the relay does not pass on (`find-links /opt/wheels`), for the build log. */
    notRelayed: string[];
}

export const PYPI_SIMPLE = "https://pypi.org/simple";
const DEFAULT_TIMEOUT = 15;

/** Keys that make a configuration worth relaying: without any, pip inside the build does as well alone. */
const RELAYED = ["index-url", "extra-index-url", "cert", "client-cert", "trusted-host"];
/** Keys the relay cannot pass on. */
const NOT_RELAYED = ["find-links", "no-index", "proxy"];

/** Decodes one Python `repr()` of a str, as `pip config list` prints values. */
export function pythonString(repr: string): string {
    const quote = repr[0];
    if ((quote !== "'" && quote !== '"') || repr.length < 2 || repr[repr.length - 1] !== quote) {
        return repr;
    }
    const body = repr.slice(1, -1);
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
    return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (m, e: string) => {
        if (e.length > 1) {
            return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
        }
        return simple[e] ?? m;
    });
}

/**
 * The effective values of `pip config list` output, for `pip install`: a variable (`:env:`) over
 * the `install` section over `global`; pip has already merged the files in its own order.
 */
export function effectiveValues(listing: string): Map<string, string> {
    const rank: Record<string, number> = { global: 1, install: 2, ":env:": 3 };
    const best = new Map<string, { rank: number; value: string }>();
    for (const line of listing.split("\n")) {
        const m = /^(:env:|[a-z]+)\.([a-z0-9_-]+)=(.*)$/.exec(line.trim());
        if (!m || !(m[1] in rank)) {
            continue;
        }
        const key = m[2].replace(/_/g, "-");
        const r = rank[m[1]];
        if ((best.get(key)?.rank ?? 0) <= r) {
            best.set(key, { rank: r, value: pythonString(m[3]) });
        }
    }
    return new Map([...best].map(([k, v]) => [k, v.value]));
}

/** The relayed configuration of a `pip config list` output; undefined when it sets nothing relayed. */
export function pipConfigOf(listing: string): PipConfig | undefined {
    const values = effectiveValues(listing);
    if (!RELAYED.some((k) => values.has(k))) {
        return undefined;
    }
    const list = (k: string) => (values.get(k) ?? "").split(/\s+/).filter(Boolean);
    const timeout = Number(values.get("timeout") ?? values.get("default-timeout"));
    return {
        indexUrl: values.get("index-url") || PYPI_SIMPLE,
        extraIndexUrls: list("extra-index-url"),
        cert: values.get("cert") || undefined,
        clientCert: values.get("client-cert") || undefined,
        trustedHosts: list("trusted-host"),
        timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT,
        notRelayed: NOT_RELAYED.filter((k) => values.has(k)).map((k) => `${k} ${values.get(k)}`),
    };
}

/**
 * This machine's pip configuration, from the first of `python3 -m pip`, `pip3`, `pip` that runs;
 * undefined without pip, or when the configuration sets nothing relayed.
 */
export function readPipConfig(env: NodeJS.ProcessEnv = process.env): PipConfig | undefined {
    for (const [cmd, ...pre] of [["python3", "-m", "pip"], ["pip3"], ["pip"]]) {
        const r = spawnSync(cmd, [...pre, "config", "list"], { env, encoding: "utf8", timeout: 60_000 });
        if (!r.error && r.status === 0) {
            return pipConfigOf(r.stdout);
        }
    }
    return undefined;
}

/** A URL for the build log: without user and password. */
export function maskUrl(url: string): string {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1***@");
}

/** One line that says what is relayed, for the build log. */
export function describePipConfig(c: PipConfig): string {
    const parts = [`index ${maskUrl(c.indexUrl)}`];
    if (c.extraIndexUrls.length > 0) parts.push(`extra indexes ${c.extraIndexUrls.map(maskUrl).join(" ")}`);
    if (c.cert) parts.push(`cert ${c.cert}`);
    if (c.clientCert) parts.push(`client-cert ${c.clientCert}`);
    if (c.trustedHosts.length > 0) parts.push(`trusted hosts ${c.trustedHosts.join(" ")}`);
    return parts.join(", ");
}
