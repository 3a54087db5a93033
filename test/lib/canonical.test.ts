import assert from "node:assert/strict";
import { canonicalJson, compareOrdinal, sortKeys } from "../../lib/canonical";

describe("canonical forms (lib/canonical.ts)", () => {
    it("compareOrdinal orders by code point, never by locale", () => {
        assert.equal(compareOrdinal("a", "b"), -1);
        assert.equal(compareOrdinal("b", "a"), 1);
        assert.equal(compareOrdinal("same", "same"), 0);
        assert.equal(compareOrdinal("", "a"), -1);
        assert.equal(compareOrdinal("ab", "a"), 1);
        // capitals before lower case, "_" between them, digits before both; "é" after "z"
        assert.deepEqual(["b", "é", "B", "_x", "a", "10", "9", "Z", "z"].sort(compareOrdinal), [
            "10",
            "9",
            "B",
            "Z",
            "_x",
            "a",
            "b",
            "z",
            "é",
        ]);
        // locale order would put "é" next to "e" and "B" next to "b"
        assert.notDeepEqual(
            ["b", "é", "B", "e"].sort(compareOrdinal),
            ["b", "é", "B", "e"].sort((x, y) => x.localeCompare(y, "en")),
        );
    });

    it("sortKeys sorts the keys of every object, at any depth, and keeps array order", () => {
        const value = { b: 1, a: { d: [{ z: 1, y: 2 }, 3, "s"], c: null }, _: true };
        const sorted = sortKeys(value) as Record<string, unknown>;
        assert.deepEqual(Object.keys(sorted), ["_", "a", "b"]);
        const a = sorted.a as Record<string, unknown>;
        assert.deepEqual(Object.keys(a), ["c", "d"]);
        const d = a.d as unknown[];
        assert.deepEqual(Object.keys(d[0] as object), ["y", "z"]);
        assert.deepEqual(d.slice(1), [3, "s"]);
        // a deep copy: equal to the input, sharing no object with it
        assert.deepEqual(sorted, value);
        assert.notEqual(sorted, value);
        assert.notEqual(a, value.a);
        assert.notEqual(d, value.a.d);
    });

    it("sortKeys leaves scalars and null as they are", () => {
        for (const v of [null, undefined, 0, -1.5, "text", true, false]) {
            assert.equal(sortKeys(v), v);
        }
    });

    it("canonicalJson is the same text whatever the key order", () => {
        assert.equal(canonicalJson({ b: 2, a: 1 }), '{"a":1,"b":2}');
        assert.equal(canonicalJson({ a: 1, b: 2 }), '{"a":1,"b":2}');
        assert.equal(
            canonicalJson({ v: 1, config: { timeout: 900, machine: "e2" }, buildArgs: { B: "2", A: "1" } }),
            '{"buildArgs":{"A":"1","B":"2"},"config":{"machine":"e2","timeout":900},"v":1}',
        );
        assert.equal(
            canonicalJson({ "10": "x", "2": "y", k: "z" }),
            canonicalJson(
                Object.fromEntries([
                    ["k", "z"],
                    ["2", "y"],
                    ["10", "x"],
                ]),
            ),
        );
    });

    it("canonicalJson keeps array order and drops undefined members as JSON does", () => {
        assert.equal(canonicalJson([3, 1, 2]), "[3,1,2]");
        assert.equal(canonicalJson([{ b: 1, a: 2 }, null]), '[{"a":2,"b":1},null]');
        assert.equal(canonicalJson({ b: undefined, a: 1 }), '{"a":1}');
        assert.equal(canonicalJson("text"), '"text"');
        assert.equal(canonicalJson(null), "null");
    });
});
