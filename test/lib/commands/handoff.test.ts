import assert from "node:assert/strict";
import { z } from "zod";
import { HandoffError, need, needJson, parseResultLine, resultLine, validated } from "../../../lib/commands/handoff";

/** The error `f` throws; fails when it throws none, or one that is not a HandoffError. */
function handoffError(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        assert.ok(err instanceof HandoffError, `expected a HandoffError, got ${err}`);
        return err.message;
    }
    assert.fail("expected a HandoffError, got none");
}

const resultSchema = z.object({
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: "is not sha256:<64 hex>" }),
    reference: z.string().min(1),
});

describe("the command hand-off (lib/commands/handoff.ts)", () => {
    describe("need and needJson: keys of the command's environment", () => {
        it("need returns the value as it is, an empty one included", () => {
            assert.equal(need({ FW_A: " spaced value \n" }, "FW_A", "t"), " spaced value \n");
            assert.equal(need({ FW_A: "" }, "FW_A", "t"), "");
        });

        it("need of an unset key is one line naming the key", () => {
            assert.equal(
                handoffError(() => need({ FW_OTHER: "x" }, "FW_A", "build-image")),
                "build-image: FW_A is not set (this script runs from the program's commands)",
            );
        });

        it("needJson parses the value", () => {
            assert.deepEqual(needJson({ FW_J: '{"b":[1,"two"],"a":null}' }, "FW_J", "t"), { b: [1, "two"], a: null });
            assert.equal(needJson({ FW_J: '"text"' }, "FW_J", "t"), "text");
        });

        it("needJson of an unset key is need's line", () => {
            assert.equal(
                handoffError(() => needJson({}, "FW_J", "bake-image")),
                "bake-image: FW_J is not set (this script runs from the program's commands)",
            );
        });

        it("needJson of a value that is not JSON is one line with the start of the value, quoted", () => {
            assert.equal(
                handoffError(() => needJson({ FW_J: "{not json" }, "FW_J", "build-image")),
                'build-image: FW_J is not JSON: "{not json"',
            );
            assert.equal(
                handoffError(() => needJson({ FW_J: "" }, "FW_J", "t")),
                't: FW_J is not JSON: ""',
            );
            // a long or multi-line value shows its first 80 characters, escaped on one line
            const long = `line one\n${"y".repeat(200)}`;
            const message = handoffError(() => needJson({ FW_J: long }, "FW_J", "t"));
            assert.equal(message, `t: FW_J is not JSON: "line one\\n${"y".repeat(71)}"`);
            assert.ok(!message.includes("\n"));
        });
    });

    describe("validated: a value checked against a schema", () => {
        it("returns the schema's output", () => {
            const schema = z.object({ n: z.coerce.number(), tags: z.array(z.string()).default([]) });
            assert.deepEqual(validated(schema, { n: "3" }, "t", "spec"), { n: 3, tags: [] });
        });

        it("the first problem is one line naming its path", () => {
            const schema = z.object({
                image: z.string().min(1, { error: "is empty" }),
                context: z.object({ files: z.array(z.object({ src: z.string() })) }),
            });
            assert.equal(
                handoffError(() =>
                    validated(schema, { image: "", context: { files: [{ src: 1 }] } }, "build-image", "spec"),
                ),
                "build-image: spec image: is empty",
            );
            assert.equal(
                handoffError(() =>
                    validated(schema, { image: "i", context: { files: [{ src: "a" }, { src: 2 }] } }, "t", "spec"),
                ),
                "t: spec context.files.1.src: Invalid input: expected string, received number",
            );
        });

        it("a problem of the whole value names no path", () => {
            assert.equal(
                handoffError(() => validated(z.object({}), "a string", "t", "result")),
                "t: result: Invalid input: expected object, received string",
            );
        });
    });

    describe("resultLine and parseResultLine: the result on stdout", () => {
        const result = { digest: `sha256:${"a".repeat(64)}`, reference: "example/app@sha256:aaaa" };

        it("resultLine is the JSON of the result and one newline", () => {
            assert.equal(
                resultLine(result),
                `{"digest":"sha256:${"a".repeat(64)}","reference":"example/app@sha256:aaaa"}\n`,
            );
            assert.equal(resultLine({ text: "a\nb" }), '{"text":"a\\nb"}\n');
        });

        it("parseResultLine reads back what resultLine wrote", () => {
            assert.deepEqual(parseResultLine(resultSchema, resultLine(result), "t"), result);
        });

        it("the last line wins: the tool's output before it is ignored", () => {
            const other = { digest: `sha256:${"b".repeat(64)}`, reference: "other" };
            const stdout = `Step 1/3 : FROM python\n${resultLine(other)}{"not":"the result"}\n${resultLine(result)}\n\n`;
            assert.deepEqual(parseResultLine(resultSchema, stdout, "t"), result);
        });

        it("a last line that is not JSON is one line, quoted (at most 200 characters)", () => {
            assert.equal(
                handoffError(() => parseResultLine(resultSchema, `${resultLine(result)}Done in 3s.\n`, "build-image")),
                'build-image: the result line is not JSON: "Done in 3s."',
            );
            assert.equal(
                handoffError(() => parseResultLine(resultSchema, "", "t")),
                't: the result line is not JSON: ""',
            );
            assert.equal(
                handoffError(() => parseResultLine(resultSchema, `${"z".repeat(300)}\n`, "t")),
                `t: the result line is not JSON: "${"z".repeat(200)}"`,
            );
        });

        it("a result that fails the schema is one line naming the path", () => {
            assert.equal(
                handoffError(() =>
                    parseResultLine(resultSchema, resultLine({ digest: "sha256:abc", reference: "r" }), "build-image"),
                ),
                "build-image: result digest: is not sha256:<64 hex>",
            );
            assert.equal(
                handoffError(() => parseResultLine(resultSchema, resultLine({ digest: result.digest }), "t")),
                "t: result reference: Invalid input: expected string, received undefined",
            );
            assert.equal(
                handoffError(() => parseResultLine(resultSchema, "[1,2]\n", "t")),
                "t: result: Invalid input: expected object, received array",
            );
        });
    });
});
