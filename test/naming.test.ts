import assert from "node:assert/strict";
import { contentTag, imageNames, imageTags, registryHost, repositoryPath, runtimeRepositoryHint } from "../lib/naming";
import { loadSettings } from "../lib/settings";
import { ROOT } from "./support/plan";

const cloud = { "gcp:project": "example-lab-123456", "gcp:region": "us-central1" };
const settings = (mode: string, extra: Record<string, string> = {}, stack = "team") =>
    loadSettings({ ...cloud, "fireworker-images:mode": mode, ...extra }, { stack, projectRoot: ROOT });

describe("naming", () => {
    const repos = {
        team: repositoryPath("us-central1", "p", "fireworker"),
        developer: repositoryPath("us-central1", "p", "fireworker-dev"),
    };

    it("registry host and repository path", () => {
        assert.equal(registryHost("europe-west4"), "europe-west4-docker.pkg.dev");
        assert.equal(repos.team, "us-central1-docker.pkg.dev/p/fireworker");
    });

    it("team images live in the team repository under their names", () => {
        assert.deepEqual(imageNames(settings("team"), repos), {
            runtime: "us-central1-docker.pkg.dev/p/fireworker/runtime",
            application: "us-central1-docker.pkg.dev/p/fireworker/app",
        });
    });

    it("developer images are <id>-<name> in the developer repository", () => {
        const s = settings(
            "developer",
            { "fireworker-images:application": JSON.stringify({ name: "wcm-code" }) },
            "dev-ann",
        );
        assert.deepEqual(imageNames(s, repos), {
            runtime: "us-central1-docker.pkg.dev/p/fireworker-dev/ann-runtime",
            application: "us-central1-docker.pkg.dev/p/fireworker-dev/ann-wcm-code",
        });
    });

    it("local images need no registry", () => {
        const s = loadSettings({ "fireworker-images:mode": "local" }, { stack: "local", projectRoot: ROOT });
        assert.equal(imageNames(s, {}).application, "fireworker/app");
    });

    it("hints the runtime repository for the application Dockerfile's ARG from default", () => {
        assert.equal(
            runtimeRepositoryHint(settings("team")),
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        );
        assert.equal(
            runtimeRepositoryHint(settings("developer", {}, "dev-ann")),
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker/runtime",
        );
        const exp = settings(
            "developer",
            { "fireworker-images:runtime": JSON.stringify({ experimental: true }) },
            "dev-ann",
        );
        assert.equal(
            runtimeRepositoryHint(exp),
            "us-central1-docker.pkg.dev/example-lab-123456/fireworker-dev/ann-runtime",
        );
        assert.equal(
            runtimeRepositoryHint(
                loadSettings({ "fireworker-images:mode": "local" }, { stack: "local", projectRoot: ROOT }),
            ),
            "fireworker/runtime",
        );
    });

    it("tags: the content tag, plus the friendly tag outside the team's immutable repository", () => {
        const hash = "ab".repeat(32);
        assert.equal(contentTag(hash), "abababababababababab");
        assert.deepEqual(imageTags(settings("team"), hash), ["abababababababababab"]);
        assert.deepEqual(imageTags(settings("developer", {}, "dev-ann"), hash), ["abababababababababab", "latest"]);
    });
});
