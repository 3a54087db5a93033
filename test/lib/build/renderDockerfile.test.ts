import assert from "node:assert/strict";
import { lintDockerfile } from "../../../lib/build/dockerfileLint";
import {
    hasRequirements,
    renderApplicationDockerfile,
    renderRuntimeDockerfile,
} from "../../../lib/build/renderDockerfile";
import { PIP_RELAY_HOST, PIP_RELAY_INDEX } from "../../../lib/pip/pipRelay";
import { assertGolden } from "../../support/golden";

describe("rendering", () => {
    it("renders the runtime Dockerfile by the document's rules", () => {
        const text = renderRuntimeDockerfile({
            base: "python:3.11-slim-bookworm",
            aptPackages: ["swig", "gfortran"],
            hasRequirements: true,
            writableDirs: ["/.theano", "/.cache"],
        });
        assertGolden("runtime.Dockerfile", text);
        assert.deepEqual(lintDockerfile("runtime.Dockerfile", text, { from: "python:3.11-slim-bookworm" }), []);
    });

    it("lets pip of a local build take the building machine's pip configuration through its relay", () => {
        const args = {
            base: "python:3.11-slim-bookworm",
            aptPackages: [],
            hasRequirements: true,
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
        assert.doesNotMatch(renderRuntimeDockerfile({ ...args, hasRequirements: false, pipRelay: true }), /pip/);
    });

    it("leaves out apt, pip and writable dirs when there are none", () => {
        const text = renderRuntimeDockerfile({
            base: "debian:bookworm",
            aptPackages: [],
            hasRequirements: false,
            writableDirs: [],
        });
        assert.doesNotMatch(text, /apt-get|pip|umask|COPY/);
        assert.match(text, /^ARG from=debian:bookworm\nFROM \$\{from\}$/m);
    });

    it("renders the application Dockerfile with git metadata ENV and every label", () => {
        const text = renderApplicationDockerfile({
            runtimeRepository: "runtime",
            workdir: "/app",
            cmd: ["python", "main.py"],
        });
        assertGolden("application.Dockerfile", text);
        for (const label of [
            "application",
            "email",
            "license",
            "organization",
            "website",
            ...["revision", "source", "created", "title", "licenses", "url", "vendor"].map(
                (k) => `org.opencontainers.image.${k}`,
            ),
        ]) {
            assert.match(
                text,
                new RegExp(`^\\s*(LABEL )?${label.replace(/\./g, "\\.")}="\\$\\{[a-z_]+\\}"`, "m"),
                label,
            );
        }
        assert.match(text, /ENV IMAGE_GIT_HASH="\$\{git_hash\}"/);
    });

    it("knows an empty requirements file", () => {
        assert.equal(hasRequirements("# nothing\n\n"), false);
        assert.equal(hasRequirements("numpy==1.26.4\n"), true);
    });
});
