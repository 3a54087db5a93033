import assert from "node:assert/strict";
import { contextSources, declaredArgs, formatFinding, lintDockerfile } from "../../../lib/build/dockerfileLint";

const lint = (text: string, args: Record<string, string> = {}) =>
    lintDockerfile("docker/Dockerfile", text, args).map(formatFinding);

describe("Dockerfile lint", () => {
    const table: [string, string, Record<string, string>, string[]][] = [
        ["a pinned Debian base", "FROM python:3.11-slim-bookworm\n", {}, []],
        [
            "an Alpine base",
            "FROM python:3.11-alpine\n",
            {},
            [
                "docker/Dockerfile:1: alpine-base: python:3.11-alpine is Alpine-based; musl changes floating-point results, use a Debian-based image",
            ],
        ],
        [
            "an Alpine default that the build overrides with Debian",
            "ARG from=python:3.11-alpine\nFROM ${from}\n",
            { from: "python:3.11-slim" },
            [],
        ],
        [
            "an Alpine base passed by the build",
            "ARG from=python:3.11-slim\nFROM ${from}\n",
            { from: "alpine:3.20" },
            [
                "docker/Dockerfile:2: alpine-base: alpine:3.20 is Alpine-based; musl changes floating-point results, use a Debian-based image",
            ],
        ],
        [
            "a base with no tag",
            "\nFROM python\n",
            {},
            [
                "docker/Dockerfile:2: unpinned-base: python has no tag, so Docker pulls whatever is tagged latest today; pin a tag such as python:3.11-slim-bookworm or a digest",
            ],
        ],
        [
            "a :latest base",
            "FROM python:latest\n",
            {},
            [
                "docker/Dockerfile:1: unpinned-base: python:latest uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm or a digest",
            ],
        ],
        [
            "a :latest default the build overrides with a digest (real lab Dockerfiles do this)",
            "ARG from=runtime:latest\nFROM ${from}\n",
            { from: `r/runtime@sha256:${"a".repeat(64)}` },
            [],
        ],
        [
            "a :latest default the build does not override",
            "ARG from=runtime:latest\nFROM ${from}\n",
            {},
            [
                "docker/Dockerfile:2: unpinned-base: runtime:latest uses the moving tag latest; pin a tag such as python:3.11-slim-bookworm or a digest",
            ],
        ],
        ["a base pinned by digest", `FROM python@sha256:${"b".repeat(64)}\n`, {}, []],
        ["a later stage FROM an earlier one", "FROM python:3.11-slim AS build\nFROM build\n", {}, []],
        [
            "apt-get install with update in the same RUN",
            "FROM debian:bookworm\nRUN apt-get update \\\n    && apt-get install -y swig\n",
            {},
            [],
        ],
        [
            "apt-get install without update",
            "FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y swig\n",
            {},
            [
                "docker/Dockerfile:3: apt-install-without-update: apt-get install without apt-get update in the same RUN, so the package lists can come stale from the cache",
            ],
        ],
        [
            "pip with --no-cache-dir",
            "FROM python:3.11-slim\nRUN pip install --no-cache-dir -r requirements.txt\n",
            {},
            [],
        ],
        [
            "pip without --no-cache-dir",
            "FROM python:3.11-slim\nRUN pip install --no-cache-dir --upgrade pip \\\n  && pip3 install -r requirements.txt\n",
            {},
            ["docker/Dockerfile:2: pip-cache: pip install without --no-cache-dir keeps the downloads in the layer"],
        ],
        [
            "the document's own example",
            'ARG from=python:3.8.6\nFROM ${from}\nRUN apt-get update \\\n    && apt-get install -y swig gfortran llvm cmake nano\nCOPY requirements.txt /\nRUN pip install --no-cache-dir --upgrade pip setuptools wheel \\\n    && pip install --no-cache-dir -r requirements.txt\nCOPY . /app\nWORKDIR /app\nCMD ["/bin/bash"]\n',
            {},
            [],
        ],
    ];
    for (const [what, text, args, expected] of table) {
        it(`${expected.length === 0 ? "accepts" : "reports"} ${what}`, () => {
            assert.deepEqual(lint(text, args), expected);
        });
    }

    it("finds what a brought Dockerfile copies from the context", () => {
        const text =
            'FROM python:3.11-slim AS b\nCOPY requirements.txt /\nCOPY --from=b /x /y\nADD ["scripts/setup.sh", "/opt/"]\nCOPY --chown=1:1 a.txt b.txt /d/\n';
        assert.deepEqual(contextSources(text), [
            { source: "requirements.txt", line: 2 },
            { source: "scripts/setup.sh", line: 4 },
            { source: "a.txt", line: 5 },
            { source: "b.txt", line: 5 },
        ]);
    });

    it("a URL that ADD fetches and a heredoc's text are not context sources", () => {
        const text = "FROM python:3.11-slim\nADD https://example.org/x.tgz /x\nCOPY <<EOF /etc/x\nhi\nEOF\nCOPY a /a\n";
        assert.deepEqual(contextSources(text), [{ source: "a", line: 6 }]);
    });

    it("knows every ARG a Dockerfile declares, several on one line too", () => {
        assert.deepEqual([...declaredArgs("ARG from=python:3.11\nFROM ${from}\nARG a=1 b\nARG c\n")].sort(), [
            "a",
            "b",
            "c",
            "from",
        ]);
    });
});

describe("Dockerfile lint: every spelling of the tools", () => {
    const rules = (text: string) => lintDockerfile("D", `FROM python:3.11-slim-bookworm\n${text}\n`).map((f) => f.rule);
    it("apt and aptitude as well as apt-get; pip by any name; ONBUILD RUN too", () => {
        assert.deepEqual(rules("RUN apt install -y swig"), ["apt-install-without-update"]);
        assert.deepEqual(rules("RUN apt update && apt install -y swig"), []);
        assert.deepEqual(rules("RUN pip3.11 install numpy"), ["pip-cache"]);
        assert.deepEqual(rules("RUN python3.11 -m pip install numpy"), ["pip-cache"]);
        assert.deepEqual(rules("RUN python -m pip install --no-cache-dir numpy"), []);
        assert.deepEqual(rules("ONBUILD RUN apt-get install -y swig"), ["apt-install-without-update"]);
        assert.deepEqual(rules("ONBUILD COPY . /app"), []);
        assert.match(
            lintDockerfile("D", "FROM python:3.11-slim-bookworm\nONBUILD RUN apt-get install -y x\n").map(
                formatFinding,
            )[0],
            /^D:2: apt-install-without-update: apt-get install without apt-get update in the same ONBUILD RUN/,
        );
    });

    it("ENV PIP_NO_CACHE_DIR turns pip's cache off for every RUN after it", () => {
        assert.deepEqual(rules("ENV PIP_NO_CACHE_DIR=1\nRUN pip install numpy"), []);
    });
});
