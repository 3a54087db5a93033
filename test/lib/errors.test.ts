import assert from "node:assert/strict";
import { SettingsError, show } from "../../lib/errors";

describe("errors in the user's input (lib/errors.ts)", () => {
    it("show: undefined is unset, anything else its JSON text", () => {
        assert.equal(show(undefined), "unset");
        assert.equal(show(null), "null");
        assert.equal(show("us-central1"), '"us-central1"');
        assert.equal(show(""), '""');
        assert.equal(show(3), "3");
        assert.equal(show(false), "false");
        assert.equal(show(["a", 1]), '["a",1]');
        assert.equal(show({ timeout: "2h", nested: { x: null } }), '{"timeout":"2h","nested":{"x":null}}');
        // a value with a line break stays on one line
        assert.equal(show("two\nlines"), '"two\\nlines"');
    });

    it("show keeps a text of 120 characters and cuts a longer one to 117 and ...", () => {
        const exactly = "x".repeat(118); // 120 with its quotes
        assert.equal(show(exactly), `"${exactly}"`);
        assert.equal(show(exactly).length, 120);
        const longer = "y".repeat(119); // 121 with its quotes
        assert.equal(show(longer), `"${"y".repeat(116)}...`);
        assert.equal(show(longer).length, 120);
        const list = Array.from({ length: 50 }, (_, i) => i);
        assert.equal(show(list), `${JSON.stringify(list).slice(0, 117)}...`);
    });

    it("a SettingsError of one line: the line is the message", () => {
        const err = new SettingsError("gcp:project: unset is not a project id");
        assert.ok(err instanceof Error);
        assert.equal(err.name, "SettingsError");
        assert.equal(err.message, "gcp:project: unset is not a project id");
        assert.deepEqual(err.lines, ["gcp:project: unset is not a project id"]);
    });

    it("a SettingsError of several lines keeps them, and its message is them joined", () => {
        const lines = ['gcp:region: "us" is not a region', "fireworker-images:mode: unset"];
        const err = new SettingsError(lines);
        assert.deepEqual(err.lines, lines);
        assert.equal(err.message, 'gcp:region: "us" is not a region\nfireworker-images:mode: unset');
        assert.equal(String(err), 'SettingsError: gcp:region: "us" is not a region\nfireworker-images:mode: unset');
    });

    it("show never throws: values JSON cannot write show as text", () => {
        assert.equal(show(10n), "10");
        assert.equal(show(Symbol("s")), "Symbol(s)");
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        assert.equal(show(cycle), "[object Object]");
    });
});
