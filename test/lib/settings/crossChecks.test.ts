import assert from "node:assert/strict";
import { crossCheckLines, developerFamily, KIND_RULES, kindLines } from "../../../lib/settings/crossChecks";
import { makeSchema, type ParsedSettings, settingKeys } from "../../../lib/settings/schema";
import type { StackKind } from "../../../lib/settings/types";
import { ROOT } from "../../support/plan";

const KINDS: StackKind[] = ["team", "developer", "local"];
const parse = (input: Record<string, unknown>): ParsedSettings => makeSchema({ projectRoot: ROOT }).parse(input);
const gcp = { project: "example-lab-123456", region: "us-central1" };

/** The raw input that sets one rule's key (a nested key under its object). */
function setting(key: string, value: unknown): Record<string, unknown> {
    const [top, nested] = key.split(".");
    return nested === undefined ? { [top]: value } : { [top]: { [nested]: value } };
}

describe("checks across settings (lib/settings/crossChecks.ts)", () => {
    it("every kind rule names a setting the schema has", () => {
        const keys = settingKeys(makeSchema({ projectRoot: ROOT }));
        assert.deepEqual(
            KIND_RULES.map((r) => r.key).filter((k) => !keys.includes(k)),
            [],
        );
    });

    for (const rule of KIND_RULES) {
        it(`${rule.key}: refused in ${KINDS.filter((k) => !rule.kinds.includes(k)).join(" and ")} stacks only`, () => {
            for (const kind of KINDS) {
                const got = kindLines(setting(rule.key, "x"), kind);
                if (rule.kinds.includes(kind)) {
                    assert.deepEqual(got, [], `${rule.key} in a ${kind} stack`);
                } else {
                    assert.equal(got.length, 1, `${rule.key} in a ${kind} stack`);
                    assert.ok(got[0].startsWith(`fireworker-images:${rule.key}: "x" is only for `), got[0]);
                    assert.ok(got[0].includes(`remove it from this ${kind} stack (${rule.why})`), got[0]);
                }
            }
        });
    }

    it("a setting left unset is never refused", () => {
        for (const kind of KINDS) assert.deepEqual(kindLines({ registry: {}, runtime: {} }, kind), []);
    });

    it("the registry location must hold gcp:region; its multi-region does", () => {
        const bad = parse({ mode: "team", registry: { location: "europe" } });
        assert.deepEqual(crossCheckLines(bad, gcp), [
            'fireworker-images:registry.location: "europe" does not contain gcp:region "us-central1"; use the region itself or its multi-region (us)',
        ]);
        assert.deepEqual(crossCheckLines(parse({ mode: "team", registry: { location: "us" } }), gcp), []);
        assert.deepEqual(crossCheckLines(parse({ mode: "team", registry: { location: "us-central1" } }), gcp), []);
    });

    it("the builder's zone must be in gcp:region", () => {
        assert.deepEqual(crossCheckLines(parse({ mode: "team", fireworker: { zone: "europe-west4-a" } }), gcp), [
            'fireworker-images:fireworker.zone: "europe-west4-a" is not in gcp:region "us-central1"; use a zone such as us-central1-b',
        ]);
    });

    it("a developer bakes into <family>-<id>, and only when fireworker is enabled", () => {
        const on = parse({ mode: "developer", fireworker: { enabled: true } });
        assert.equal(developerFamily(on, "ann"), "fireworker-ann");
        assert.equal(developerFamily(parse({ mode: "developer" }), "ann"), undefined);
        assert.equal(developerFamily(parse({ mode: "team" }), "ann"), undefined);
    });

    it("a local stack has none of the cloud checks", () => {
        assert.deepEqual(crossCheckLines(parse({ mode: "local", fireworker: { diskSizeGb: 1 } }), undefined), []);
    });
});
