import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { lintDockerfile } from "../../../lib/build/dockerfileLint";
import { renderRuntimeDockerfile } from "../../../lib/build/renderDockerfile";
import {
    localWheelhouseRoot,
    WHEELHOUSE_HOST,
    WHEELHOUSE_SERVER,
    type WheelhouseInputs,
    wheelhouseKey,
    wheelhouseUri,
    withoutBuildIsolation,
} from "../../../lib/build/wheelhouse";

const inputs: WheelhouseInputs = {
    base: "python:3.11-slim-bookworm",
    aptPackages: ["swig", "gfortran"],
    pipSteps: ["--upgrade pip"],
    env: { CFLAGS: "-O2" },
    buildArgs: { BLAS: "openblas" },
};

describe("wheelhouse: the build environment's key", () => {
    it("is 20 hex, stable, and the same whatever the apt list's order", () => {
        const key = wheelhouseKey(inputs);
        assert.match(key, /^[0-9a-f]{20}$/);
        assert.equal(wheelhouseKey({ ...inputs }), key);
        assert.equal(wheelhouseKey({ ...inputs, aptPackages: ["gfortran", "swig"] }), key);
    });

    it("changes with everything a compiler sees before the requirements", () => {
        const key = wheelhouseKey(inputs);
        for (const other of [
            { ...inputs, base: "python:3.12-slim-bookworm" },
            { ...inputs, aptPackages: ["swig"] },
            { ...inputs, pipSteps: [] },
            { ...inputs, env: { CFLAGS: "-O3" } },
            { ...inputs, buildArgs: { BLAS: "mkl" } },
            { ...inputs, requirementsDigest: "a".repeat(64) },
        ]) {
            assert.notEqual(wheelhouseKey(other), key, JSON.stringify(other));
        }
    });

    it("knows when pip builds against what is installed (no build isolation)", () => {
        assert.equal(withoutBuildIsolation([], {}, ["r.txt: numpy==1.26.4"]), false);
        assert.equal(withoutBuildIsolation(["--no-build-isolation pkg==1"], {}, []), true);
        assert.equal(withoutBuildIsolation([], {}, ["r.txt: --no-build-isolation"]), true);
        assert.equal(withoutBuildIsolation([], { PIP_NO_BUILD_ISOLATION: "0" }, []), true);
        // a package whose name merely contains the words is not the option
        assert.equal(withoutBuildIsolation([], {}, ["r.txt: my-no-build-isolation-tool==1"]), false);
    });

    it("keeps local wheels outside the project: FW_WHEELHOUSE_DIR, else the user's cache", () => {
        assert.equal(localWheelhouseRoot({ FW_WHEELHOUSE_DIR: "/var/wh" }), "/var/wh");
        assert.equal(localWheelhouseRoot({ XDG_CACHE_HOME: "/c", HOME: "/h" }), "/c/fireworker-images/wheelhouse");
        assert.equal(localWheelhouseRoot({ HOME: "/h" }), "/h/.cache/fireworker-images/wheelhouse");
        assert.equal(wheelhouseUri("b", "k"), "gs://b/k");
    });
});

describe("wheelhouse: the rendered pip RUN", () => {
    const render = (wheelhouse: boolean) =>
        renderRuntimeDockerfile({
            base: "python:3.11-slim-bookworm",
            buildArgs: [],
            env: {},
            aptPackages: [],
            pipSteps: [],
            requirements: { layout: "file" },
            writableDirs: [],
            wheelhouse,
        });

    it("gives pip a cache of its own, filled from the wheelhouse when its name resolves, deleted by the same RUN", () => {
        const text = render(true);
        assert.match(text, /export PIP_CACHE_DIR=\/tmp\/fireworker-pip-cache/);
        assert.ok(text.includes(`getent hosts ${WHEELHOUSE_HOST}`));
        assert.match(text, /pip install -r \/tmp\/requirements\.txt/);
        assert.doesNotMatch(text, /--no-cache-dir/);
        assert.match(text, /&& rm -rf \/tmp\/fireworker-pip-cache$/m);
        // our own lint accepts it: the cache is gone before the layer is committed
        assert.deepEqual(lintDockerfile("rendered", text, { from: "python:3.11-slim-bookworm" }), []);
    });

    it("is the plain pip RUN without it", () => {
        const text = render(false);
        assert.match(text, /^RUN pip install --no-cache-dir -r \/tmp\/requirements\.txt$/m);
        assert.doesNotMatch(text, /wheelhouse|PIP_CACHE_DIR/);
    });

    it("a RUN that names a cache folder but does not delete it still keeps downloads (lint)", () => {
        const findings = lintDockerfile(
            "Dockerfile",
            "FROM python:3.11-slim\nRUN export PIP_CACHE_DIR=/tmp/c; pip install numpy\n",
        );
        assert.deepEqual(
            findings.map((f) => f.rule),
            ["pip-cache"],
        );
    });
});

describe("wheelhouse: the server, on the host's Python, on the loopback", function () {
    this.timeout(60_000);
    let server: ChildProcess | undefined;
    let root: string;
    let port: number;

    before(async function () {
        if (spawnSync("python3", ["--version"]).status !== 0) {
            this.skip();
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "fw-wheelhouse-"));
        port = 20000 + Math.floor(Math.random() * 20000);
        server = spawn("python3", ["-c", WHEELHOUSE_SERVER, root, "127.0.0.1", String(port)], { stdio: "ignore" });
        const until = Date.now() + 20_000;
        while (Date.now() < until && (await request("GET", "/ready")).status !== 204) {
            await new Promise((r) => setTimeout(r, 100));
        }
    });

    after(() => {
        server?.kill();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    function request(
        method: string,
        p: string,
        body?: Buffer,
        length?: number,
    ): Promise<{ status: number; body: Buffer }> {
        return new Promise((resolve) => {
            const req = http.request(
                {
                    host: "127.0.0.1",
                    port,
                    path: p,
                    method,
                    timeout: 5000,
                    headers: body ? { "content-length": String(length ?? body.length) } : {},
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
                },
            );
            req.on("error", () => resolve({ status: 0, body: Buffer.alloc(0) }));
            req.on("timeout", () => req.destroy());
            if (body) req.write(body);
            req.end();
        });
    }

    /** A tar made by Python's tarfile of `members` (name, type, data). */
    function tar(members: { name: string; type: "file" | "symlink"; data?: string }[]): Buffer {
        const script = [
            "import io,json,sys,tarfile",
            "b=io.BytesIO(); t=tarfile.open(fileobj=b,mode='w')",
            "for m in json.loads(sys.argv[1]):",
            "  i=tarfile.TarInfo(m['name'])",
            "  if m['type']=='symlink': i.type=tarfile.SYMTYPE; i.linkname='/etc/passwd'; t.addfile(i)",
            "  else: d=m.get('data','').encode(); i.size=len(d); t.addfile(i,io.BytesIO(d))",
            "t.close(); sys.stdout.buffer.write(b.getvalue())",
        ].join("\n");
        return spawnSync("python3", ["-c", script, JSON.stringify(members)]).stdout;
    }

    it("keeps regular files under wheels/ and nothing else of an upload", async () => {
        const upload = tar([
            { name: "wheels/ab/cd/pkg-1.0-py3-none-any.whl", type: "file", data: "wheel" },
            { name: "../escaped", type: "file", data: "x" },
            { name: "/abs", type: "file", data: "x" },
            { name: "wheels/../../up", type: "file", data: "x" },
            { name: "other/file", type: "file", data: "x" },
            { name: "wheels/link", type: "symlink" },
        ]);
        assert.equal((await request("PUT", "/wheels.tar", upload)).status, 204);
        const files = spawnSync("find", [root, "-mindepth", "1"], { encoding: "utf8" })
            .stdout.trim()
            .split("\n")
            .sort();
        assert.deepEqual(
            files.map((f) => path.relative(root, f)),
            ["wheels", "wheels/ab", "wheels/ab/cd", "wheels/ab/cd/pkg-1.0-py3-none-any.whl"],
        );
        assert.ok(!fs.existsSync(path.join(path.dirname(root), "escaped")));
        assert.ok(!fs.existsSync("/abs"));
    });

    it("serves what it keeps as one tar", async () => {
        const got = await request("GET", "/wheels.tar");
        assert.equal(got.status, 200);
        const names = spawnSync("tar", ["-t"], { input: got.body, encoding: "utf8" }).stdout;
        assert.match(names, /wheels\/ab\/cd\/pkg-1\.0-py3-none-any\.whl/);
    });

    it("refuses an upload cut short, and anything but its one path", async () => {
        const upload = tar([{ name: "wheels/cut/pkg-2.0-py3-none-any.whl", type: "file", data: "wheel" }]);
        const cut = await request("PUT", "/wheels.tar", upload, upload.length + 1000);
        assert.notEqual(cut.status, 204);
        assert.ok(!fs.existsSync(path.join(root, "wheels", "cut")));
        assert.equal((await request("GET", "/etc/passwd")).status, 404);
        assert.equal((await request("PUT", "/other", upload)).status, 400);
    });
});
