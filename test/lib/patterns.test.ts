import assert from "node:assert/strict";
import {
    BUILD_ID,
    DIGEST,
    DOCKER_TAG,
    EMAIL,
    GCE_NAME,
    GITHUB_REPOSITORY,
    isName,
    LOCATION,
    NAME,
    NAME_MAX,
    PROJECT_ID,
    REGION,
    USER_OR_GROUP,
    ZONE,
} from "../../lib/patterns";

const HEX = "0123456789abcdef".repeat(4);

/** [pattern name, pattern, valid values, invalid values] */
const TABLE: [string, RegExp, string[], string[]][] = [
    [
        "GCE_NAME",
        GCE_NAME,
        ["a", "fireworker", "fireworker-0123456789abcdef", "a1", "a-b-c", `a${"b".repeat(62)}`, `f${"-".repeat(61)}0`],
        ["", "1a", "-a", "a-", "A", "fireWorker", "a_b", "a.b", `a${"b".repeat(63)}`, "a b"],
    ],
    [
        "PROJECT_ID",
        PROJECT_ID,
        ["abcdef", "example-lab-123456", `a${"b".repeat(29)}`, "a-----1", "a1b2c3"],
        ["abcde", `a${"b".repeat(30)}`, "1abcdef", "abcdef-", "Abcdef", "abc_def", "abc.def", "", "example lab"],
    ],
    [
        "REGION",
        REGION,
        ["us-central1", "europe-west4", "europe-west10", "northamerica-northeast1", "me-central2"],
        ["us", "europe", "us-central", "us-central1-b", "US-central1", "us_central1", "us-central-1", "-central1"],
    ],
    [
        "ZONE",
        ZONE,
        ["us-central1-b", "europe-west4-a", "northamerica-northeast1-c"],
        ["us-central1", "us-central1-", "us-central1-bb", "us-central1-B", "us-central1-1", "us"],
    ],
    [
        "LOCATION",
        LOCATION,
        ["us", "europe", "asia", "us-central1", "europe-west4", "northamerica-northeast1"],
        ["", "US", "us-central1-b", "us-", "-us", "us_central1", "1us", "us central1"],
    ],
    [
        "EMAIL",
        EMAIL,
        ["ann@example.org", "Ann.Lee+fw@Lab.Example.ORG", "a@b.co", "fw-build@p.iam.gserviceaccount.com"],
        ["ann", "ann@example", "@example.org", "ann@", "a b@example.org", "ann@@example.org", "ann@example.o", ""],
    ],
    [
        "USER_OR_GROUP",
        USER_OR_GROUP,
        ["user:ann@example.org", "group:lab-devs@example.org"],
        [
            "ann@example.org",
            "serviceAccount:fw-build@p.iam.gserviceaccount.com",
            "domain:example.org",
            "user:",
            "user:ann",
            "user: ann@example.org",
            "users:ann@example.org",
        ],
    ],
    [
        "NAME",
        NAME,
        ["ann", "wcm-code", "a1-b2-c3", "0", "9lives", "a".repeat(40)],
        ["", "-ann", "ann-", "a--b", "Ann", "a_b", "a.b", "a b"],
    ],
    [
        "DOCKER_TAG",
        DOCKER_TAG,
        ["latest", "3.11-slim-bookworm", "_x", "V1.0", "0123456789abcdef0123", `a${"b".repeat(127)}`],
        ["", ".x", "-x", "a:b", "a/b", "a b", `a${"b".repeat(128)}`],
    ],
    ["DIGEST", DIGEST, [`sha256:${HEX}`], [HEX, `sha256:${HEX.slice(1)}`, `sha256:${HEX.toUpperCase()}`, "sha256:"]],
    [
        "GITHUB_REPOSITORY",
        GITHUB_REPOSITORY,
        ["example-lab/fireworker-images", "Ab/c.d-e_f", "o/n", `${"a".repeat(39)}/x`],
        [
            "example-lab",
            "a/b/c",
            "/b",
            "a/",
            "a b/c",
            "https://github.com/a/b",
            "",
            "A_b/c",
            "-a/b",
            "a-/b",
            "a--b/c",
            `${"a".repeat(40)}/x`,
        ],
    ],
    [
        "BUILD_ID",
        BUILD_ID,
        ["0f3c2a1b-7d4e-4b8a-9c1d-2e3f4a5b6c7d", "build-0001", "ABC"],
        ["", "build_0001", "build 1", "build/1"],
    ],
];

describe("name patterns (lib/patterns.ts)", () => {
    for (const [name, pattern, valid, invalid] of TABLE) {
        it(`${name}: every valid value of its table matches, no invalid one does`, () => {
            for (const v of valid) {
                assert.equal(pattern.test(v), true, `${name} refuses ${JSON.stringify(v)}`);
            }
            for (const v of invalid) {
                assert.equal(pattern.test(v), false, `${name} accepts ${JSON.stringify(v)}`);
            }
        });
    }

    it("GCE names: 63 characters is the longest", () => {
        assert.equal(GCE_NAME.test(`f${"0".repeat(62)}`), true);
        assert.equal(GCE_NAME.test(`f${"0".repeat(63)}`), false);
    });

    it("project ids: 6 to 30 characters", () => {
        for (let n = 4; n <= 32; n++) {
            assert.equal(PROJECT_ID.test(`p${"1".repeat(n - 1)}`), n >= 6 && n <= 30, String(n));
        }
    });

    it("isName: a NAME of at most 30 characters", () => {
        assert.equal(NAME_MAX, 30);
        assert.equal(isName("a".repeat(30)), true);
        assert.equal(isName("a".repeat(31)), false);
        assert.equal(isName(`${"a".repeat(14)}-${"b".repeat(15)}`), true);
        assert.equal(isName(`${"a".repeat(15)}-${"b".repeat(15)}`), false);
        assert.equal(isName("ann"), true);
        assert.equal(isName("a-"), false);
        assert.equal(isName("Ann"), false);
        assert.equal(isName(""), false);
    });
});
