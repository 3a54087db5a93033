import assert from "node:assert/strict";
import { DockerfileParser } from "dockerfile-ast";
import { declaredArgs, lintDockerfile } from "../../../lib/build/dockerfileLint";
import {
    type ApplicationDockerfileArgs,
    GIT_ARGS,
    type RuntimeDockerfileArgs,
    renderApplicationDockerfile,
    renderRuntimeDockerfile,
} from "../../../lib/build/renderDockerfile";
import { PIP_RELAY_HOST, PIP_RELAY_INDEX } from "../../../lib/pip/pipRelay";
import { assertGolden } from "../../support/golden";

const runtime: RuntimeDockerfileArgs = {
    base: "python:3.11-slim-bookworm",
    buildArgs: [],
    env: {},
    aptPackages: ["swig", "gfortran"],
    pipSteps: [],
    requirements: { layout: "file" },
    writableDirs: ["/.theano", "/.cache"],
};

const application: ApplicationDockerfileArgs = {
    runtimeRepository: "runtime",
    buildArgs: [],
    env: {},
    workdir: "/app",
    run: [],
    cmd: ["python", "main.py"],
};

/** The instructions of a Dockerfile as `KEYWORD arguments`, as Docker's parser reads them. */
const instructions = (text: string) =>
    DockerfileParser.parse(text)
        .getInstructions()
        .map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`);

describe("rendered Dockerfiles (lib/build/renderDockerfile.ts)", () => {
    it("renders the runtime Dockerfile by the document's rules", () => {
        const text = renderRuntimeDockerfile(runtime);
        assertGolden("runtime.Dockerfile", text);
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", text, { from: "python:3.11-slim-bookworm" }), []);
    });

    it("lets pip of a local build take the building machine's pip configuration through its relay", () => {
        const args = {
            base: "python:3.11-slim-bookworm",
            buildArgs: [],
            env: {},
            aptPackages: [],
            pipSteps: [],
            requirements: { layout: "file" } as const,
            writableDirs: [],
        };
        const local = renderRuntimeDockerfile({ ...args, pipRelay: true });
        const pip = local.slice(local.indexOf("COPY requirements.txt"));
        assert.equal(
            pip,
            [
                "COPY requirements.txt /tmp/requirements.txt",
                `RUN if getent hosts ${PIP_RELAY_HOST} >/dev/null; then \\`,
                `        export PIP_INDEX_URL=${PIP_RELAY_INDEX} PIP_TRUSTED_HOST=${PIP_RELAY_HOST}; \\`,
                "    fi \\",
                "    && pip install --no-cache-dir -r /tmp/requirements.txt",
                "",
            ].join("\n"),
        );
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", local, { from: args.base }), []);
        // Cloud Build never has the relay: its Dockerfile does not mention it
        assert.doesNotMatch(renderRuntimeDockerfile(args), /pip-relay|getent/);
        assert.equal(renderRuntimeDockerfile({ ...args, pipRelay: false }), renderRuntimeDockerfile(args));
        assert.doesNotMatch(renderRuntimeDockerfile({ ...args, requirements: undefined, pipRelay: true }), /pip/);
        // every pip command takes it: the passes before the requirements, and a requirements folder
        const all = renderRuntimeDockerfile({
            ...args,
            pipSteps: ["pip==24.0"],
            requirements: { layout: "folder", main: "reqs/main.txt" },
            pipRelay: true,
        });
        assert.equal(all.match(/^RUN if getent hosts /gm)?.length, 2);
        assert.match(all, /^ {4}&& pip install --no-cache-dir pip==24\.0$/m);
        assert.match(all, /^ {4}&& cd \/tmp\/requirements\/reqs && pip install --no-cache-dir -r main\.txt$/m);
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", all, { from: args.base }), []);
    });

    it("leaves out apt, pip and writable dirs when there are none", () => {
        const text = renderRuntimeDockerfile({
            ...runtime,
            aptPackages: [],
            requirements: undefined,
            writableDirs: [],
        });
        assert.doesNotMatch(text, /apt-get|pip|umask|COPY/);
        assert.match(text, /^ARG from=python:3\.11-slim-bookworm\nFROM \$\{from\}$/m);
    });

    it("renders build args, ENV (quoted, nothing expanded) and pip steps before the requirements", () => {
        const text = renderRuntimeDockerfile({
            ...runtime,
            buildArgs: ["COMPILE_BLAS"],
            env: { OPENBLAS_NUM_THREADS: "1", ODD: 'a "b" $HOME \\ c' },
            pipSteps: ["--upgrade pip setuptools wheel", "numpy>=1.26,<2"],
        });
        const ins = instructions(text);
        assert.ok(ins.includes("ARG COMPILE_BLAS"));
        assert.ok(text.includes('ENV ODD="a \\"b\\" \\$HOME \\\\ c" \\\n    OPENBLAS_NUM_THREADS="1"\n'), text);
        const pip = ins.filter((i) => i.startsWith("RUN pip install"));
        assert.deepEqual(pip, [
            "RUN pip install --no-cache-dir --upgrade pip setuptools wheel",
            "RUN pip install --no-cache-dir 'numpy>=1.26,<2'",
            "RUN pip install --no-cache-dir -r /tmp/requirements.txt",
        ]);
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", text, { from: "python:3.11-slim-bookworm" }), []);
    });

    it("uploads requirements that read other files as a folder, and runs pip where the main file is", () => {
        const text = renderRuntimeDockerfile({
            ...runtime,
            requirements: { layout: "folder", main: "deps/requirements.txt" },
        });
        const ins = instructions(text);
        assert.ok(ins.includes("COPY requirements/ /tmp/requirements/"));
        assert.ok(ins.includes("RUN cd /tmp/requirements/deps && pip install --no-cache-dir -r requirements.txt"));
    });

    it("renders the application Dockerfile with the git facts as ENV; labels are the build's, not the file's", () => {
        const text = renderApplicationDockerfile(application);
        assertGolden("application.Dockerfile", text);
        assert.match(text, /ENV IMAGE_GIT_HASH="\$\{git_hash\}"/);
        assert.doesNotMatch(text, /^LABEL/m);
        assert.deepEqual([...declaredArgs(text)].sort(), ["from", ...GIT_ARGS].sort());
    });

    it("renders the application's build args, ENV and build steps after the payload is copied", () => {
        const text = renderApplicationDockerfile({
            ...application,
            buildArgs: ["COMPILE"],
            env: { PYTHONPATH: "/app" },
            run: ["make clean compile", "(umask 000 && mkdir -p /app/fixtures)"],
        });
        const ins = instructions(text);
        const at = (prefix: string) => ins.findIndex((i) => i.startsWith(prefix));
        assert.ok(at("ARG COMPILE") >= 0);
        assert.ok(at('ENV PYTHONPATH="/app"') >= 0);
        assert.ok(at("COPY . /app") < at("RUN make clean compile"));
        assert.ok(at("RUN make clean compile") < at("RUN (umask 000"));
        assert.ok(at("RUN (umask 000") < at("CMD"));
    });
});
