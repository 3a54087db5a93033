import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PlanInputError, PROJECT, PROJECT_ROOT, resolveStackFile, stackConfig } from "../../../lib/plan/stackFile";

function planInputError(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        assert.ok(err instanceof PlanInputError, `expected a PlanInputError, got ${err}`);
        return err.message;
    }
    assert.fail("expected a PlanInputError, got none");
}

describe("stack files (lib/plan/stackFile.ts)", () => {
    let dir: string;
    const write = (name: string, text: string) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
    };
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-stack-file-"));
    });
    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the project is fireworker-images, at the root of this repository", () => {
        assert.equal(PROJECT, "fireworker-images");
        assert.equal(PROJECT_ROOT, path.resolve(__dirname, "..", "..", ".."));
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "Pulumi.yaml")));
    });

    it("a stack name means stacks/Pulumi.<name>.yaml of the project, whatever the working directory", () => {
        for (const cwd of [PROJECT_ROOT, dir]) {
            for (const stack of ["team", "local", "dev-example"]) {
                assert.deepEqual(resolveStackFile(stack, cwd), {
                    stack,
                    file: path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`),
                });
            }
        }
    });

    it("a path to Pulumi.<stack>.yaml or .yml, relative to the working directory or absolute", () => {
        assert.deepEqual(resolveStackFile("stacks/Pulumi.team.yaml", PROJECT_ROOT), {
            stack: "team",
            file: path.join(PROJECT_ROOT, "stacks", "Pulumi.team.yaml"),
        });
        const yml = write("Pulumi.dev-ann.yml", "config: {}\n");
        assert.deepEqual(resolveStackFile("Pulumi.dev-ann.yml", dir), { stack: "dev-ann", file: yml });
        assert.deepEqual(resolveStackFile(yml, PROJECT_ROOT), { stack: "dev-ann", file: yml });
        const dotted = write("Pulumi.org.team.yaml", "config: {}\n");
        assert.deepEqual(resolveStackFile(dotted), { stack: "org.team", file: dotted });
    });

    it("a name or path that is no stack file is one line", () => {
        for (const arg of ["dev/ann", "settings.yaml", path.join(dir, "Pulumi.yaml"), "config.yml"]) {
            assert.equal(
                planInputError(() => resolveStackFile(arg, dir)),
                `plan: ${JSON.stringify(arg)} is not a stack name nor a Pulumi.<stack>.yaml file`,
                arg,
            );
        }
    });

    it("a stack with no file is one line naming where it looked, relative to the working directory", () => {
        assert.equal(
            planInputError(() => resolveStackFile("dev-nobody", PROJECT_ROOT)),
            'plan: no stack file for "dev-nobody" (looked for stacks/Pulumi.dev-nobody.yaml)',
        );
        assert.equal(
            planInputError(() => resolveStackFile("dev-nobody", path.join(PROJECT_ROOT, "stacks"))),
            'plan: no stack file for "dev-nobody" (looked for Pulumi.dev-nobody.yaml)',
        );
        assert.equal(
            planInputError(() => resolveStackFile("Pulumi.gone.yaml", dir)),
            'plan: no stack file for "Pulumi.gone.yaml" (looked for Pulumi.gone.yaml)',
        );
        assert.equal(
            planInputError(() => resolveStackFile("sub/Pulumi.gone.yml", dir)),
            'plan: no stack file for "sub/Pulumi.gone.yml" (looked for sub/Pulumi.gone.yml)',
        );
    });

    it("stackConfig: strings as they are; numbers, booleans, lists and objects as JSON", () => {
        const file = write(
            "Pulumi.flat.yaml",
            [
                "config:",
                "  gcp:project: example-lab-123456",
                "  fireworker-images:mode: team",
                "  fireworker-images:runtime:",
                "    base: python:3.11-slim-bookworm",
                "    aptPackages: [git, curl]",
                "    timeout: 2h",
                "  application: {context: example, friendlyTag: latest}",
                "  count: 3",
                "  enabled: false",
                '  quoted: "007"',
                "  list: [a, 1, true]",
                "",
            ].join("\n"),
        );
        assert.deepEqual(stackConfig(file), {
            "gcp:project": "example-lab-123456",
            "fireworker-images:mode": "team",
            "fireworker-images:runtime":
                '{"base":"python:3.11-slim-bookworm","aptPackages":["git","curl"],"timeout":"2h"}',
            "fireworker-images:application": '{"context":"example","friendlyTag":"latest"}',
            "fireworker-images:count": "3",
            "fireworker-images:enabled": "false",
            "fireworker-images:quoted": "007",
            "fireworker-images:list": '["a",1,true]',
        });
    });

    it("stackConfig adds the project namespace to bare keys only", () => {
        const file = write("Pulumi.ns.yaml", "config:\n  mode: local\n  gcp:region: us-central1\n  other:key: v\n");
        assert.deepEqual(stackConfig(file), {
            "fireworker-images:mode": "local",
            "gcp:region": "us-central1",
            "other:key": "v",
        });
    });

    it("stackConfig never reads a secret: a secure value is [secret]", () => {
        const file = write(
            "Pulumi.secret.yaml",
            "config:\n  token:\n    secure: AAABADw8PDw=\n  gcp:credentials:\n    secure: v1:c2VjcmV0\n  plain: x\n",
        );
        const config = stackConfig(file);
        assert.deepEqual(config, {
            "fireworker-images:token": "[secret]",
            "gcp:credentials": "[secret]",
            "fireworker-images:plain": "x",
        });
        assert.ok(!JSON.stringify(config).includes("AAABADw8PDw="));
    });

    it("stackConfig of a file with no config, or an empty file, is empty", () => {
        assert.deepEqual(stackConfig(write("Pulumi.empty.yaml", "")), {});
        assert.deepEqual(stackConfig(write("Pulumi.none.yaml", "encryptionsalt: v1:abc\n")), {});
        assert.deepEqual(stackConfig(write("Pulumi.nullconfig.yaml", "config:\n")), {});
    });

    it("stackConfig of the example team stack sets its mode", () => {
        const config = stackConfig(resolveStackFile("team", PROJECT_ROOT).file);
        assert.equal(config["fireworker-images:mode"], "team");
    });
});
