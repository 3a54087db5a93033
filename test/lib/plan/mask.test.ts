import assert from "node:assert/strict";
import { MASK, maskSecrets, SECRET_SIG, SECRET_SIG_KEY } from "../../../lib/plan/mask";
import type { Plan } from "../../../lib/plan/offlinePlan";
import { diffPlans } from "../../../lib/plan/planDiff";
import { renderPlanDiff } from "../../../lib/plan/planDiffMarkdown";

function plan(stack: string, resources: Plan["resources"], outputs: Record<string, unknown> = {}): Plan {
    return { stack, resources, outputs };
}

describe("masking secrets (lib/plan/mask.ts)", () => {
    const secret = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });

    it("masks values under secret-looking keys, whatever their case and type", () => {
        const input = {
            token: "t",
            GITHUB_TOKEN: "t",
            Password: "p",
            db_passwd: "p",
            clientSecret: "s",
            credentials: { type: "service_account" },
            private_key: "k",
            privateKey: "k",
            apiKey: "k",
            API_KEY: "k",
            keyFile: "/k.json",
            unset: { token: null },
        };
        assert.deepEqual(maskSecrets(input), {
            token: MASK,
            GITHUB_TOKEN: MASK,
            Password: MASK,
            db_passwd: MASK,
            clientSecret: MASK,
            credentials: MASK,
            private_key: MASK,
            privateKey: MASK,
            apiKey: MASK,
            API_KEY: MASK,
            keyFile: MASK,
            unset: { token: null },
        });
    });

    it("keeps everything else as it is, and does not change its argument", () => {
        const input = {
            FW_TAGS: "abc,latest",
            monkey: 1,
            keyboard: "k",
            publicKeyPem: "pem",
            labels: { "managed-by": "x" },
            list: [1, "two", null],
        };
        const copy = JSON.parse(JSON.stringify(input));
        assert.deepEqual(maskSecrets(input), input);
        assert.deepEqual(input, copy);
    });

    it("masks Pulumi secret values anywhere, in objects and lists", () => {
        assert.deepEqual(maskSecrets({ a: secret("hunter2"), list: [secret({ x: 1 }), "plain"] }), {
            a: MASK,
            list: [MASK, "plain"],
        });
        assert.equal(maskSecrets(secret("x")), MASK);
    });

    it("masks inside strings holding JSON, and keeps their bytes when nothing is secret", () => {
        const args = JSON.stringify({ from: "python:3.11-slim-bookworm", npm_token: "abc" });
        assert.equal(
            maskSecrets({ FW_BUILD_ARGS: args }).FW_BUILD_ARGS,
            JSON.stringify({ from: "python:3.11-slim-bookworm", npm_token: MASK }),
        );
        const plain = '{ "from":  "python:3.11" }';
        assert.equal(maskSecrets(plain), plain);
        assert.equal(maskSecrets("{not json"), "{not json");
    });

    it("a diff never shows a secret, not even when it changed", () => {
        const mk = (pw: string, tok: string) =>
            plan(
                "s",
                [
                    {
                        type: "t:m:R",
                        name: "r",
                        parent: null,
                        inputs: {
                            password: pw,
                            env: {
                                API_TOKEN: secret(tok),
                                FW_BUILD_ARGS: JSON.stringify({ from: "x:1", api_key: tok }),
                            },
                            n: pw.length,
                        },
                    },
                ],
                { dbPassword: pw },
            );
        const diff = diffPlans(mk("old-pass", "old-tok"), mk("new-pass-2", "new-tok"));
        // a settings section holding a secret (a hand-made plan: the offline plan masks its own)
        const withSettings = (p: Plan, tok: string): Plan => ({
            ...p,
            settings: { "triggers.apiToken": tok, mode: "team" },
        });
        const text = renderPlanDiff(
            withSettings(mk("old-pass", "old-tok"), "old-tok"),
            withSettings(mk("new-pass-2", "new-tok"), "new-tok"),
        );
        for (const s of ["old-pass", "new-pass-2", "old-tok", "new-tok"])
            assert.ok(!text.includes(s), `${s} leaks: ${text}`);
        // secrets compare masked: only the non-secret change shows
        assert.deepEqual(
            diff.changed[0].inputs.map((c) => c.path),
            ["n"],
        );
        assert.deepEqual(diff.outputs, []);
        const added = renderPlanDiff(null, mk("p", "t"));
        assert.ok(!/"p"|"t"/.test(added));
    });
});
