import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planCli, ROOT } from "../support/plan";

describe("npm run plan (the CLI)", function () {
    this.timeout(300000);

    for (const stack of ["team", "local", "dev-example"]) {
        it(`prints the same bytes for ${stack} under another TZ, locale, user, working directory and umask`, () => {
            const a = planCli(stack, { env: { ...process.env, TZ: "UTC" }, cwd: ROOT });
            // everything at once: a difference would show, and each plan is a second of CPU
            const other = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
            const b = spawnSync("bash", ["-c", 'umask 077 && npm run --silent --prefix "$ROOT" plan -- "$FILE"'], {
                cwd: other,
                encoding: "utf8",
                env: {
                    ...process.env,
                    ROOT,
                    FILE: path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`),
                    TZ: "Pacific/Kiritimati",
                    LANG: "de_DE.UTF-8",
                    USER: "somebody-else",
                },
            });
            assert.equal(a.status, 0, a.stderr);
            assert.equal(b.status, 0, b.stderr);
            assert.equal(a.stdout, b.stdout);
            const plan = JSON.parse(a.stdout);
            assert.equal(plan.stack, stack);
            assert.ok(plan.resources.length > 0);
            assert.ok(!a.stdout.includes(ROOT), "the plan holds an absolute path");
            assert.ok(!a.stdout.includes(`${os.userInfo().username}/`), "the plan holds a user name");
        });
    }

    it("prints the one line and exits 2 on invalid settings, nothing on stdout", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(
            file,
            "config:\n  fireworker-images:mode: local\n  fireworker-images:runtime:\n    base: python:3.11-alpine\n",
        );
        const r = planCli(file);
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            'fireworker-images:runtime.base: "python:3.11-alpine" is an Alpine image; musl changes floating-point results, use a Debian-based image such as python:3.11-slim-bookworm\n',
        );
    });

    it("exits 2 with one line for a stack that does not exist", () => {
        const r = planCli("nope");
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^plan: no stack file for "nope" \(looked for .*Pulumi\.nope\.yaml\)\n$/);
    });

    /** A stack file with `text` in a fresh folder, planned by the CLI. */
    const planText = (text: string, name = "Pulumi.t.yaml") => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
        fs.writeFileSync(path.join(dir, name), text);
        return planCli(path.join(dir, name));
    };

    it("a stack file YAML cannot read is one line with its line number, never a stack trace", () => {
        const cases: [string, RegExp][] = [
            ["config:\n  a: 1\n  a: 2\n", /^plan: Pulumi\.t\.yaml:3: Map keys must be unique/],
            [
                "config:\n  fireworker-images:runtime:\n    base: x\n    base: y\n",
                /^plan: Pulumi\.t\.yaml:4: Map keys must be unique/,
            ],
            ["config: [\n", /^plan: Pulumi\.t\.yaml:2: /],
            [
                `a: &a [x]\n${Array.from({ length: 200 }, (_, i) => `b${i}: *a`).join("\n")}\n`,
                /^plan: Pulumi\.t\.yaml(:\d+)?: .*alias/i,
            ],
            [`config:\n  x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`, /^plan: Pulumi\.t\.yaml(:\d+)?: /],
            ["- a\n- b\n", /^plan: Pulumi\.t\.yaml: is not a YAML mapping with a config: section\n$/],
        ];
        for (const [text, expected] of cases) {
            const r = planText(text);
            assert.equal(r.status, 2, `${text.slice(0, 40)}: ${r.stderr}`);
            assert.equal(r.stdout, "");
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.match(r.stderr, expected);
        }
    });

    it("a stack file that is a folder is one line", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-plan-"));
        fs.mkdirSync(path.join(dir, "Pulumi.d.yaml"));
        const r = planCli(path.join(dir, "Pulumi.d.yaml"));
        assert.equal(r.status, 2);
        assert.equal(r.stderr, "plan: Pulumi.d.yaml: is a directory, not a file\n");
    });

    it("plans a stack with secrets: other tools' secrets untouched, a build's secret setting masked", () => {
        const r = planText(
            [
                "config:",
                "  gcp:credentials:",
                "    secure: v1:AAAA",
                "  fireworker-images:mode: local",
                "  fireworker-images:application:",
                "    buildArgs:",
                "      TOKEN:",
                "        secure: v1:BBBB",
                "",
            ].join("\n"),
        );
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.stdout.includes("v1:"), "a ciphertext reached the plan");
        const plan = JSON.parse(r.stdout);
        const app = plan.resources.find((x: { name: string }) => x.name === "application-build");
        assert.equal(app.inputs.environment, "[secret]");
        const runtime = plan.resources.find((x: { name: string }) => x.name === "runtime-build");
        assert.notEqual(runtime.inputs.environment, "[secret]");
    });

    it("a secret where a setting names resources is refused with one line that never shows it", () => {
        const r = planText(
            "config:\n  fireworker-images:mode: local\n  fireworker-images:registry:\n    localHost:\n      secure: v1:CCCC\n",
        );
        assert.equal(r.status, 2);
        assert.equal(
            r.stderr,
            "fireworker-images:registry: [secret] is set as a secret, but it names resources and identities, which cannot stay secret; set it in plain text (only runtime and application settings may hold secrets)\n",
        );
    });
});
