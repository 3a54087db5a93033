/**
 * The wheelhouse: the wheels pip built from source in earlier runtime builds (pip's own wheel
 * cache, `<cache>/wheels/`), kept between builds so that a requirements change does not compile
 * again what did not change. pip decides what to reuse exactly as on a laptop: a cached wheel is
 * found by the sdist's link (name, version, URL) and the interpreter, and used even under
 * `--no-binary` (pip >= 23.1; older pips are given `no-binary-enable-wheel-cache`).
 *
 * Inside the build, pip reaches it as WHEELHOUSE_HOST, served by WHEELHOUSE_SERVER (a few lines
 * of the standard library, run from the runtime's own base image): each pip layer fetches the
 * cache before pip runs and hands back what pip built after, then deletes it, so no layer holds
 * any of it. When the name does not resolve, pip builds as without a wheelhouse. The rendered
 * Dockerfile names the wheelhouse, never its contents: the content tag never depends on what
 * the cache holds.
 *
 * Wheels are kept per build environment (`wheelhouseKey`): what the base, the apt packages, the
 * pip steps, the environment and the build arguments give a compiler. A wheel compiled in one
 * environment is never offered to another.
 */
import { createHash } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalJson } from "../canonical";

/** The name the build resolves to the wheelhouse server (`.invalid` never resolves in DNS: RFC 6761). */
export const WHEELHOUSE_HOST = "pip-wheelhouse.fireworker.invalid";
export const WHEELHOUSE_PORT = 3142;
/** Where pip's wheel cache goes and comes back: one tar of `wheels/`. */
export const WHEELHOUSE_URL = `http://${WHEELHOUSE_HOST}:${WHEELHOUSE_PORT}/wheels.tar`;
/** pip's cache inside one RUN; deleted before the layer is committed. */
const PIP_CACHE = "/tmp/fireworker-pip-cache";

/** What a compiled wheel depends on besides its sdist and the interpreter (which pip keys itself). */
export interface WheelhouseInputs {
    /** The base as the settings name it: its tag follows updates that keep the ABI (a digest pins it). */
    base: string;
    aptPackages: string[];
    pipSteps: string[];
    env: Record<string, string>;
    buildArgs: Record<string, string>;
    /**
     * Set when a build runs without build isolation (`--no-build-isolation`, PIP_NO_BUILD_ISOLATION):
     * its wheels are compiled against what earlier layers installed, so they are kept per set of
     * requirements (their digest) too. @default none
     */
    requirementsDigest?: string;
}

/** The wheelhouse folder of one build environment: 20 hex characters. */
export function wheelhouseKey(i: WheelhouseInputs): string {
    const canonical = canonicalJson({ v: 1, ...i, aptPackages: [...i.aptPackages].sort() });
    return createHash("sha256").update(canonical).digest("hex").slice(0, 20);
}

/** Whether pip may build against what is installed already, so a wheel depends on the earlier layers. */
export function withoutBuildIsolation(
    pipSteps: string[],
    env: Record<string, string>,
    requirements: string[],
): boolean {
    const flag = /(^|\s)--no-build-isolation(\s|=|$)/m;
    return (
        pipSteps.some((s) => flag.test(s)) ||
        requirements.some((text) => flag.test(text)) ||
        Object.keys(env).some((k) => k === "PIP_NO_BUILD_ISOLATION")
    );
}

/** Python in the build: fetch the tar at argv[1] into the folder argv[2], regular files and folders only. */
const FETCH_PY =
    "import sys,tarfile,urllib.request as u; t=tarfile.open(fileobj=u.urlopen(sys.argv[1],timeout=120),mode='r|'); " +
    "[t.extract(m,sys.argv[2]) for m in t if (m.isfile() or m.isdir()) and not m.name.startswith('/') and '..' not in m.name.split('/')]";

/** Python in the build: PUT the folder argv[2] as `wheels/` in a tar to argv[1]. */
const STORE_PY =
    "import sys,tarfile,tempfile,os,urllib.request as u; f=tempfile.TemporaryFile(); t=tarfile.open(fileobj=f,mode='w'); " +
    "t.add(sys.argv[2],arcname='wheels'); t.close(); n=f.tell(); f.seek(0); " +
    "u.urlopen(u.Request(sys.argv[1],data=f,method='PUT',headers={'content-length':str(n)}),timeout=600)";

/**
 * A pip `RUN` body that uses the wheelhouse when its name resolves: pip's cache is filled from it
 * first, what pip built is handed back after, and the cache is gone before the layer is
 * committed. `command` must not use `--no-cache-dir` (the cache is the point).
 */
export function wheelhouseRun(prelude: string[], command: string): string {
    const q = (s: string) => `"${s.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
    return [
        `RUN export PIP_CACHE_DIR=${PIP_CACHE}; fw_wheels=""; \\`,
        ...prelude.map((l) => `    ${l} \\`),
        `    if getent hosts ${WHEELHOUSE_HOST} >/dev/null; then fw_wheels=${WHEELHOUSE_URL}; fi; \\`,
        "    if pip --use-feature=no-binary-enable-wheel-cache --version >/dev/null 2>&1; then \\",
        '        export PIP_USE_FEATURE="${PIP_USE_FEATURE:+$PIP_USE_FEATURE }no-binary-enable-wheel-cache"; \\',
        "    fi; \\",
        // fetched aside and moved in whole: a cut download never leaves pip a truncated wheel
        `    if [ -n "$fw_wheels" ]; then python3 -c ${q(FETCH_PY)} "$fw_wheels" ${PIP_CACHE}.part \\`,
        `        && mv ${PIP_CACHE}.part ${PIP_CACHE} \\`,
        `        || { rm -rf ${PIP_CACHE}.part; echo "fireworker: the wheelhouse cannot be read; pip builds what it needs"; }; fi; \\`,
        `    ${command} \\`,
        `    && { [ -z "$fw_wheels" ] || [ ! -d ${PIP_CACHE}/wheels ] || python3 -c ${q(STORE_PY)} "$fw_wheels" ${PIP_CACHE}/wheels \\`,
        '        || echo "fireworker: the wheels built here cannot be kept in the wheelhouse"; } \\',
        `    && rm -rf ${PIP_CACHE}`,
    ].join("\n");
}

/**
 * The server (Python's standard library, run from the runtime's base image, which has Python):
 * `GET /wheels.tar` streams the kept `wheels/`, `PUT /wheels.tar` adds to it regular files and
 * folders under `wheels/` only. argv: folder, address, port.
 */
export const WHEELHOUSE_SERVER = [
    "import http.server, os, shutil, sys, tarfile, tempfile",
    "root, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])",
    "os.makedirs(os.path.join(root, 'wheels'), exist_ok=True)",
    "def kept(m):",
    "    parts = m.name.split('/')",
    "    return (m.isfile() or m.isdir()) and parts[0] == 'wheels' and not m.name.startswith('/') and '..' not in parts",
    "class Wheelhouse(http.server.BaseHTTPRequestHandler):",
    "    def do_GET(self):",
    "        if self.path == '/ready':",
    "            self.send_response(204); self.end_headers(); return",
    "        if self.path != '/wheels.tar':",
    "            self.send_error(404); return",
    "        self.send_response(200); self.send_header('content-type', 'application/x-tar'); self.end_headers()",
    "        with tarfile.open(fileobj=self.wfile, mode='w|') as t:",
    "            t.add(os.path.join(root, 'wheels'), arcname='wheels')",
    "    def do_PUT(self):",
    "        if self.path != '/wheels.tar' or 'content-length' not in self.headers:",
    "            self.send_error(400); return",
    "        with tempfile.TemporaryFile(dir=root) as f:",
    "            left = int(self.headers['content-length'])",
    "            while left > 0:",
    "                chunk = self.rfile.read(min(left, 1 << 20))",
    "                if not chunk: break",
    "                f.write(chunk); left -= len(chunk)",
    "            if left != 0:",
    "                self.send_error(400, 'upload cut short'); return",
    "            f.seek(0)",
    "            with tarfile.open(fileobj=f) as t:",
    "                for m in t:",
    "                    if kept(m): t.extract(m, root)",
    "        self.send_response(204); self.end_headers()",
    "    def log_message(self, fmt, *args):",
    "        sys.stderr.write('wheelhouse: ' + (fmt % args) + '\\n')",
    "http.server.ThreadingHTTPServer((host, port), Wheelhouse).serve_forever()",
].join("\n");

/** The container the Cloud Build steps run the server in, on the `cloudbuild` network. */
export const WHEELHOUSE_CONTAINER = "fireworker-wheelhouse";
/**
 * Where the wheelhouse of a Cloud Build build is kept between its steps: a volume of its own,
 * outside /workspace (the build context, which `docker build` would otherwise upload).
 */
export const WHEELHOUSE_VOLUME = { name: "fireworker-wheelhouse", path: "/fireworker-wheelhouse" } as const;

/**
 * The local wheelhouse folder, outside the project and any plan input:
 * FW_WHEELHOUSE_DIR, else `$XDG_CACHE_HOME/fireworker-images/wheelhouse` (`~/.cache`).
 */
export function localWheelhouseRoot(env: NodeJS.ProcessEnv): string {
    if (env.FW_WHEELHOUSE_DIR) {
        return path.resolve(env.FW_WHEELHOUSE_DIR);
    }
    const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
    return path.join(cache, "fireworker-images", "wheelhouse");
}

/** `gs://BUCKET/KEY`: where a Google stack keeps the wheels of one build environment. */
export function wheelhouseUri(bucket: string, key: string): string {
    return `gs://${bucket}/${key}`;
}
