/**
 * The tools tests use beyond the README's prerequisites (Node.js, Docker, the Pulumi CLI, git).
 * A test whose tool is missing is pending, with one loud line per tool and run that names the
 * tool and how to get it; with FW_REQUIRE_TOOLS=1 (CI) a missing tool fails the test instead.
 *
 *     before(function () {
 *         requireTool(this, "shellcheck"); // pending (or failing) without shellcheck
 *     });
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** scripts/test-env's state folder: its env file holds the export lines of the last `up`. */
export const STATE_DIR = process.env.FW_TEST_ENV_DIR || "/var/tmp/fireworker-test-env";

/** The one switch CI sets: every tool (and the Docker test environment) is required. */
export const REQUIRE_TOOLS = "FW_REQUIRE_TOOLS";

export interface Tool {
    /** The command and arguments that answer when the tool works. */
    probe: [string, ...string[]];
    /** What the tool is, for the pending line. */
    what: string;
    /** How to get it. */
    install: string;
}

export const TOOLS = {
    shellcheck: {
        probe: ["shellcheck", "--version"],
        what: "shellcheck (lints the shell scripts and the workflows' run scripts)",
        install:
            "apt-get install shellcheck, brew install shellcheck, or https://github.com/koalaman/shellcheck#installing",
    },
    actionlint: {
        probe: ["actionlint", "-version"],
        what: "actionlint (lints the GitHub workflows)",
        install:
            'scripts/test-env (or scripts/build-engine) builds it from Go modules, then eval "$(scripts/test-env env)"; or go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12',
    },
    gcloud: {
        probe: ["gcloud", "version"],
        what: "gcloud (the Google Cloud CLI)",
        install:
            "https://cloud.google.com/sdk/docs/install (apt-get install google-cloud-cli from Google's apt repository)",
    },
    pip: {
        probe: ["python3", "-m", "pip", "--version"],
        what: "pip (Python's package installer: the tests of this machine's pip configuration and the relay)",
        install: "apt-get install python3-pip, or https://pip.pypa.io/en/stable/installation/",
    },
    openssl: {
        probe: ["openssl", "version"],
        what: "the openssl command (makes the certificates of the relay's test index)",
        install: "apt-get install openssl, or brew install openssl",
    },
    pulumi: {
        probe: ["pulumi", "version"],
        what: "the Pulumi CLI",
        install:
            'scripts/test-env builds it from Go modules (Go >= 1.25), then eval "$(scripts/test-env env)"; or https://www.pulumi.com/docs/install/',
    },
} satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

/** Tools scripts/test-env provides (built from Go modules): looked for on its PATH too. */
const ENGINE_TOOLS: ToolName[] = ["pulumi", "actionlint"];

/**
 * Parses `export NAME=VALUE` lines (VALUE bare, '...' or "..." quoted, or bash %q-escaped).
 * `$PATH` (bare or double-quoted) expands to `base`'s PATH, as the caller's eval would.
 */
export function parseExports(text: string, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const out: Record<string, string> = {};
    const basePath = base.PATH ?? "";
    for (const line of text.split("\n")) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (!m) {
            continue;
        }
        const raw = m[2].trim();
        let value: string;
        if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
            value = raw.slice(1, -1);
        } else {
            // bare words and double-quoted parts, as bash %q and `"$PATH"` write them
            value = raw.replace(
                /"([^"\\]*(?:\\.[^"\\]*)*)"|\\(.)|\$\{?PATH\}?|([^"\\$]+|\$)/g,
                (_m, dq, esc, plain) => {
                    if (dq !== undefined) {
                        return dq.replace(/\$\{?PATH\}?/g, basePath).replace(/\\(["\\$`])/g, "$1");
                    }
                    if (esc !== undefined) {
                        return esc;
                    }
                    return plain ?? basePath;
                },
            );
        }
        out[m[1]] = value;
    }
    return out;
}

/** process.env with the export lines of the last `scripts/test-env up`, or undefined when it never ran. */
export function provisionedEnv(): NodeJS.ProcessEnv | undefined {
    const file = path.join(STATE_DIR, "env");
    return existsSync(file) ? { ...process.env, ...parseExports(readFileSync(file, "utf8")) } : undefined;
}

/** One loud line per missing tool and run. */
const announced = new Set<string>();

/** Prints `line` to stderr once per run (keyed by `key`). */
export function announceOnce(key: string, line: string): void {
    if (!announced.has(key)) {
        announced.add(key);
        process.stderr.write(`${line}\n`);
    }
}

export function toolsRequired(): boolean {
    return process.env[REQUIRE_TOOLS] === "1";
}

/** Why `name` cannot run with `env`'s PATH, or undefined when it answers. */
function probe(name: ToolName, env: NodeJS.ProcessEnv): string | undefined {
    const [file, ...args] = TOOLS[name].probe;
    const r = spawnSync(file, args, { env, encoding: "utf8", timeout: 60_000 });
    if (r.error) {
        return (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : r.error.message;
    }
    return r.status === 0 ? undefined : `\`${TOOLS[name].probe.join(" ")}\` exits ${r.status}`;
}

/**
 * The environment `name` runs in: `env`, or for the tools scripts/test-env builds, the environment
 * of its last `up`; else why it cannot run.
 */
export function findTool(
    name: ToolName,
    env: NodeJS.ProcessEnv = process.env,
): { env: NodeJS.ProcessEnv } | { missing: string } {
    const why = probe(name, env);
    if (why === undefined) {
        return { env };
    }
    const provisioned = ENGINE_TOOLS.includes(name) ? provisionedEnv() : undefined;
    if (provisioned && probe(name, { ...provisioned, ...env, PATH: provisioned.PATH }) === undefined) {
        return { env: { ...provisioned, ...env, PATH: provisioned.PATH } };
    }
    return { missing: why };
}

/**
 * For a `before` hook (the whole suite) or a test: the environment `name` runs in; without it the
 * test is pending with the loud line, or fails with FW_REQUIRE_TOOLS=1.
 */
export function requireTool(
    ctx: Mocha.Context,
    name: ToolName,
    env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
    const found = toolAvailable(name, env);
    if (!found) {
        ctx.skip();
    }
    return found;
}

/**
 * For a check inside a larger test: the environment `name` runs in; else undefined with the loud
 * line, or a failure with FW_REQUIRE_TOOLS=1.
 */
export function toolAvailable(name: ToolName, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | undefined {
    const found = findTool(name, env);
    if ("env" in found) {
        return found.env;
    }
    const tool = TOOLS[name];
    if (toolsRequired()) {
        throw new Error(
            `${tool.what}: ${name} ${found.missing} (${REQUIRE_TOOLS}=1 requires it); install: ${tool.install}`,
        );
    }
    announceOnce(
        `tool:${name}`,
        `PENDING: tests that need ${tool.what} are pending: ${name} ${found.missing}. Install: ${tool.install}. ${REQUIRE_TOOLS}=1 makes this an error.`,
    );
    return undefined;
}
