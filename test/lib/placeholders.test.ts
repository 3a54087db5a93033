import assert from "node:assert/strict";
import { buildResultSchema } from "../../lib/build/buildSpec";
import { parseResultLine } from "../../lib/commands/handoff";
import { isDigest, parseImageRef } from "../../lib/imageRef";
import { DIGEST } from "../../lib/patterns";
import {
    hasPlaceholderDigest,
    PLACEHOLDER_DIGEST,
    type Placeholder,
    placeholderDigest,
    placeholderIn,
} from "../../lib/placeholders";

describe("placeholders (lib/placeholders.ts)", () => {
    it("a placeholder digest is sha256:, 32 zeros and 32 hex of its seed: deterministic, distinct per seed", () => {
        const d = placeholderDigest({ triggers: ["abc"], image: "fireworker/app" });
        assert.match(d, /^sha256:0{32}[0-9a-f]{32}$/);
        assert.equal(placeholderDigest({ triggers: ["abc"], image: "fireworker/app" }), d);
        assert.notEqual(placeholderDigest({ triggers: ["abd"], image: "fireworker/app" }), d);
        assert.ok(hasPlaceholderDigest(`us-docker.pkg.dev/p/r/app@${d}`));
    });

    it("is valid wherever digests are parsed: the digest pattern, image references, the build result schema", () => {
        const d = placeholderDigest("seed");
        assert.match(d, DIGEST);
        assert.ok(isDigest(d));
        assert.deepEqual(parseImageRef(`us-docker.pkg.dev/p/r/runtime@${d}`), {
            repository: "us-docker.pkg.dev/p/r/runtime",
            tag: undefined,
            digest: d,
        });
        const line = JSON.stringify({ digest: d, reference: `us-docker.pkg.dev/p/r/runtime@${d}` });
        assert.equal(parseResultLine(buildResultSchema, line, "t").digest, d);
    });

    it("no real digest looks like one (a registry digest does not start with 32 zeros)", () => {
        const real = "sha256:1caa63b9ac72737784682cad5391b9749a308091f97679b47d77c15e2f50be51";
        assert.ok(!hasPlaceholderDigest(real));
        assert.ok(!PLACEHOLDER_DIGEST.test(`sha256:${"0".repeat(31)}1${"a".repeat(32)}`));
        // the team outputs' all-zero digest is one
        assert.ok(hasPlaceholderDigest(`sha256:${"0".repeat(64)}`));
    });

    it("names the longest listed placeholder a value holds as a whole name, else a placeholder digest", () => {
        const listed: Placeholder[] = [
            { value: "us-central1-docker.pkg.dev", meaning: "host" },
            { value: "us-central1-docker.pkg.dev/p/fireworker-dev", meaning: "developer repository" },
            { value: "fireworker", meaning: "family" },
        ];
        assert.equal(
            placeholderIn("us-central1-docker.pkg.dev/p/fireworker-dev/ann-app:latest", listed)?.meaning,
            "developer repository",
        );
        assert.equal(placeholderIn("us-central1-docker.pkg.dev/p/other", listed)?.meaning, "host");
        // not inside a longer name
        assert.equal(placeholderIn("fireworker-images", listed), undefined);
        assert.equal(placeholderIn("--image-family fireworker", listed)?.meaning, "family");
        assert.equal(placeholderIn("python:3.11-slim-bookworm", listed), undefined);
        const d = placeholderDigest(1);
        assert.deepEqual(placeholderIn(`x@${d}`, []), {
            value: d,
            meaning: "digest of an image not built yet, known after the build",
        });
        assert.equal(placeholderIn("", listed), undefined);
        assert.equal(placeholderIn("anything", [{ value: "", meaning: "empty" }]), undefined);
    });
});
