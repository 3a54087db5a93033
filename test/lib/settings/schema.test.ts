import assert from "node:assert/strict";
import * as path from "node:path";
import {
    APPLICATION_DEFAULTS,
    FIREWORKER_DEFAULTS,
    REGISTRY_DEFAULTS,
    RUNTIME_DEFAULTS,
    TRIGGER_DEFAULTS,
} from "../../../lib/settings/defaults";
import { makeSchema, OBJECT_KEYS, relativePosix, SIMPLE_KEYS, settingKeys } from "../../../lib/settings/schema";
import { ROOT } from "../../support/plan";

const schema = makeSchema({ projectRoot: ROOT });

describe("the settings schema (lib/settings/schema.ts)", () => {
    it("applies every default of defaults.ts to a stack that sets only its kind", () => {
        const s = schema.parse({ mode: "team" });
        assert.equal(s.runtime.name, RUNTIME_DEFAULTS.name);
        assert.equal(s.runtime.base, undefined, "applied by the kind: a brought Dockerfile keeps its own");
        assert.equal(s.runtime.requirements, RUNTIME_DEFAULTS.requirements);
        assert.equal(s.runtime.timeout, RUNTIME_DEFAULTS.timeout);
        assert.equal(s.application.name, APPLICATION_DEFAULTS.name);
        assert.equal(s.application.context, APPLICATION_DEFAULTS.context);
        assert.equal(s.application.workdir, APPLICATION_DEFAULTS.workdir);
        assert.deepEqual(s.application.cmd, APPLICATION_DEFAULTS.cmd);
        assert.equal(s.application.friendlyTag, APPLICATION_DEFAULTS.friendlyTag);
        assert.equal(s.application.timeout, APPLICATION_DEFAULTS.timeout);
        assert.equal(s.registry.teamRepository, REGISTRY_DEFAULTS.teamRepository);
        assert.equal(s.registry.developerRepository, REGISTRY_DEFAULTS.developerRepository);
        assert.equal(s.triggers.connection, TRIGGER_DEFAULTS.connection);
        assert.equal(s.triggers.branch, TRIGGER_DEFAULTS.branch);
        assert.equal(s.teamStack, undefined, "derived from the Pulumi organization at run time");
        const { enabled, zone, subnetwork, ...fireworker } = s.fireworker;
        assert.deepEqual([enabled, zone, subnetwork], [undefined, undefined, undefined]);
        assert.deepEqual(fireworker, { ...FIREWORKER_DEFAULTS, workerUsers: [...FIREWORKER_DEFAULTS.workerUsers] });
    });

    it("reads durations as seconds, from a number or 90s, 15m, 1h", () => {
        const timeout = (t: unknown) => schema.parse({ mode: "team", runtime: { timeout: t } }).runtime.timeout;
        assert.equal(timeout(900), 900);
        assert.equal(timeout("90s"), 90);
        assert.equal(timeout("15m"), 900);
        assert.equal(timeout(" 2h "), 7200);
        for (const bad of ["1d", "59s", "25h", 60.5, "", "1h30m"]) {
            assert.equal(schema.safeParse({ mode: "team", runtime: { timeout: bad } }).success, false, String(bad));
        }
    });

    it("turns paths into project-relative forward-slash paths, and checks what they are", () => {
        assert.equal(
            schema.parse({ mode: "team", application: { context: "./example/" } }).application.context,
            "example",
        );
        assert.equal(
            schema.parse({ mode: "team", runtime: { requirements: "example/../example/requirements.txt" } }).runtime
                .requirements,
            "example/requirements.txt",
        );
        assert.equal(schema.safeParse({ mode: "team", application: { context: "example/main.py" } }).success, false);
        assert.equal(schema.safeParse({ mode: "team", runtime: { requirements: "example" } }).success, false);
        assert.equal(relativePosix("/a/b", "/a/b"), ".");
        assert.equal(relativePosix("/a/b", path.join("/a/b", "c", "d")), "c/d");
    });

    it("names its keys: simple ones are strings in Pulumi config, object ones are YAML mappings", () => {
        const keys = settingKeys(schema);
        assert.deepEqual(keys.filter((k) => !k.includes(".")).sort(), [...SIMPLE_KEYS, ...OBJECT_KEYS].sort());
        assert.ok(keys.includes("runtime.base") && keys.includes("fireworker.bakeTimeout"));
    });
});
