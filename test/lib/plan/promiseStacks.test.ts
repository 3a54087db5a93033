import assert from "node:assert/strict";
import * as fs from "node:fs";
import { cheapPromiseStacks, isPromiseDebugStack } from "../../../lib/plan/promiseStacks";

// Pulumi's own helper, which records a stack on every promise it makes (internal, not typed)
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T>;
};
/** What debuggablePromise puts on the promise it is given. */
type Recorded = Promise<number> & { _debugStackTrace?: string };

/** Interfaces vanish in the transpiled code, so lines after them move (see the mapping test). */
interface Shifted {
    a: number;
    b: number;
    c: number;
}

/** An error made on a line this file can find by its marker, and the line it is on. */
function markedError(): { error: Error; line: number } {
    const error = new Error("marked"); // MARKED-ERROR-LINE
    const line = fs
        .readFileSync(__filename, "utf8")
        .split("\n")
        .findIndex((l) => l.includes("MARKED-" + "ERROR-LINE"));
    return { error, line: line + 1 };
}

/** The line of `frames[0]` as V8 has it (the transpiled code's), whatever hook is installed. */
function rawLineOf(make: () => Error): number {
    const saved = Error.prepareStackTrace;
    try {
        Error.prepareStackTrace = (_e, frames) => frames[0].getLineNumber();
        return make().stack as unknown as number;
    } finally {
        Error.prepareStackTrace = saved;
    }
}

describe("Pulumi's promise stacks skip source maps (lib/plan/promiseStacks.ts)", () => {
    let saved: typeof Error.prepareStackTrace;
    beforeEach(() => {
        saved = Error.prepareStackTrace;
    });
    afterEach(() => {
        Error.prepareStackTrace = saved;
    });

    /** A hook that counts its calls and tags what it formats. */
    function countingHook() {
        const hook = { calls: 0 };
        Error.prepareStackTrace = (error) => {
            hook.calls += 1;
            return `mapped: ${error.message}`;
        };
        return hook;
    }

    it("a promise Pulumi records gets a line saying how to record it; every other stack still goes through the hook", async () => {
        const hook = countingHook();
        cheapPromiseStacks({});
        const p: Recorded = Promise.resolve(1);
        await debuggablePromise(p, "test");
        assert.equal(hook.calls, 0, "the hook never saw Pulumi's promise stack");
        assert.equal(p._debugStackTrace, "Error (stack not recorded: set PULUMI_DEBUG_PROMISE_LEAKS=1 to record it)");
        assert.equal(new Error("other").stack, "mapped: other");
        assert.equal(hook.calls, 1);
    });

    it("an error thrown inside debuggable.js, not recorded by it, keeps its stack", async () => {
        const hook = countingHook();
        cheapPromiseStacks({});
        // a promise rejected with a string: Pulumi's catch handler throws a TypeError setting a property on it
        const err = await debuggablePromise(Promise.reject("boom"), "test").catch((e: Error) => e);
        assert.ok(err instanceof TypeError, String(err));
        assert.equal(err.stack, `mapped: ${err.message}`);
        assert.equal(hook.calls, 1);
    });

    it("with PULUMI_DEBUG_PROMISE_LEAKS, Pulumi's stacks are mapped too: nothing is wrapped", async () => {
        const hook = countingHook();
        const before = Error.prepareStackTrace;
        cheapPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
        assert.equal(Error.prepareStackTrace, before);
        await debuggablePromise(Promise.resolve(1), "test");
        assert.equal(hook.calls, 1);
    });

    it("wraps once however often it is installed, and installs nothing where no hook is", () => {
        const hook = countingHook();
        cheapPromiseStacks({});
        const once = Error.prepareStackTrace;
        cheapPromiseStacks({});
        assert.equal(Error.prepareStackTrace, once);
        void new Error("x").stack;
        assert.equal(hook.calls, 1);
        // V8's own formatting: no hook at all (the property is optional at run time, not in @types/node)
        delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
        cheapPromiseStacks({});
        assert.equal(Error.prepareStackTrace, undefined);
    });

    it("under ts-node, a test's own error still names its source line (source-map-support still maps it)", () => {
        assert.equal(typeof Error.prepareStackTrace, "function", "ts-node installs source-map-support");
        const { line } = markedError();
        // the check means something only where the transpiled line differs from the source's
        assert.notEqual(
            rawLineOf(() => markedError().error),
            line,
        );
        cheapPromiseStacks({});
        const stack = markedError().error.stack ?? "";
        assert.match(stack.split("\n")[1], new RegExp(`promiseStacks\\.test\\.ts:${line}:\\d+\\)$`));
    });

    it("tells Pulumi's promise stacks by their top frame only: debuggablePromise in debuggable.js", () => {
        const frame = (file: string | null, fn: string | null = "debuggablePromise") =>
            ({ getFileName: () => file, getFunctionName: () => fn }) as unknown as NodeJS.CallSite;
        assert.ok(isPromiseDebugStack([frame("/p/node_modules/@pulumi/pulumi/runtime/debuggable.js")]));
        assert.ok(isPromiseDebugStack([frame("C:\\p\\node_modules\\@pulumi\\pulumi\\runtime\\debuggable.js")]));
        // an error thrown elsewhere in that file (its promise's catch handler) keeps its stack
        assert.ok(!isPromiseDebugStack([frame("/p/node_modules/@pulumi/pulumi/runtime/debuggable.js", null)]));
        assert.ok(
            !isPromiseDebugStack([frame("/p/index.ts"), frame("/p/node_modules/@pulumi/pulumi/runtime/debuggable.js")]),
        );
        assert.ok(!isPromiseDebugStack([frame(null)]));
        assert.ok(!isPromiseDebugStack([]));
        const unused: Shifted = { a: 1, b: 2, c: 3 };
        assert.equal(unused.a, 1);
    });
});
