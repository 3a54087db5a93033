import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RequirementsProblem, readRequirements, requirementsUpload } from "../../../lib/build/requirements";
import { findRepository } from "../../../lib/repository";

/** A repository (a folder with .git) holding `files`; the program's folder is its root. */
function repo(files: Record<string, string>): string {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fw-reqs-")));
    fs.mkdirSync(path.join(root, ".git"));
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), text);
    }
    return root;
}

const problem = (root: string, file: string): string => {
    try {
        readRequirements(findRepository(root), file);
    } catch (err) {
        assert.ok(err instanceof RequirementsProblem, String(err));
        return err.message;
    }
    return "";
};

describe("requirements files and what they read (lib/build/requirements.ts)", () => {
    it("one plain file: uploaded alone, its lines listed", () => {
        const root = repo({ "req.txt": "# the stack\nnumpy==1.26.4  # pinned\n\nscipy>=1.11\n" });
        assert.deepEqual(readRequirements(findRepository(root), "req.txt"), {
            inputs: [{ src: "req.txt", dest: "req.txt" }],
            main: "req.txt",
            hasRequirements: true,
            lines: ["req.txt: numpy==1.26.4", "req.txt: scipy>=1.11"],
        });
        const empty = repo({ "req.txt": "# nothing\n\n" });
        assert.equal(readRequirements(findRepository(empty), "req.txt").hasRequirements, false);
    });

    it("follows -r, -c, --requirement=, -e folders, --find-links folders and wheels; each once", () => {
        const root = repo({
            "deps/req.txt":
                "-r base.txt\n--requirement=base.txt\n-c ../constraints.txt\n-e ./pkg\n--find-links ./wheels\n./wheels/w-1.0-py3-none-any.whl\nrequests \\\n  ==2.32.3\n",
            "deps/base.txt": "numpy\n",
            "constraints.txt": "numpy<2\n",
            "deps/pkg/setup.py": "x\n",
            "deps/wheels/w-1.0-py3-none-any.whl": "w\n",
        });
        const r = readRequirements(findRepository(root), "deps/req.txt");
        assert.deepEqual(r.inputs, [
            { src: "deps/req.txt", dest: "deps/req.txt" },
            { src: "deps/base.txt", dest: "deps/base.txt" },
            { src: "constraints.txt", dest: "constraints.txt" },
            { src: "deps/pkg", dest: "deps/pkg" },
            { src: "deps/wheels", dest: "deps/wheels" },
        ]);
        assert.equal(r.main, "deps/req.txt");
        assert.ok(r.lines.includes("deps/req.txt: requests   ==2.32.3"), r.lines.join("\n")); // joined as pip joins
    });

    it("URLs are not files: index URLs, VCS and https requirements are left to pip", () => {
        const root = repo({
            "req.txt":
                "--index-url https://pypi.org/simple\n-f https://example.org/wheels\n-e git+https://github.com/a/b#egg=b\nb @ https://example.org/b.whl\n",
        });
        assert.deepEqual(readRequirements(findRepository(root), "req.txt").inputs, [
            { src: "req.txt", dest: "req.txt" },
        ]);
    });

    it("refuses what the builder would read from elsewhere, with file:line", () => {
        const root = repo({
            "abs.txt": "-r /etc/passwd\n",
            "up.txt": "-r ../../../x.txt\n",
            "var.txt": "./${WHEELS}/x.whl\n",
            "file.txt": "\nx @ file:///opt/x\n",
            "missing.txt": "-c nope.txt\n",
            "dir.txt": "-r sub\n",
            "sub/a": "",
        });
        assert.match(problem(root, "abs.txt"), /^abs\.txt:1: \/etc\/passwd is an absolute path/);
        assert.match(problem(root, "up.txt"), /^up\.txt:1: \.\.\/\.\.\/\.\.\/x\.txt is outside the repository/);
        assert.match(problem(root, "var.txt"), /^var\.txt:1: \.\/\$\{WHEELS\}\/x\.whl uses an environment variable/);
        assert.equal(
            problem(root, "file.txt"),
            "file.txt:2: a file: URL; write the path relative to the requirements file instead",
        );
        assert.equal(problem(root, "missing.txt"), "missing.txt:1: nope.txt does not exist");
        assert.equal(problem(root, "dir.txt"), "dir.txt:1: sub is not a file");
    });

    it("a requirements file that includes itself is read once", () => {
        const root = repo({ "a.txt": "-r b.txt\nx\n", "b.txt": "-r a.txt\ny\n" });
        assert.deepEqual(
            readRequirements(findRepository(root), "a.txt").inputs.map((i) => i.src),
            ["a.txt", "b.txt"],
        );
    });

    describe("the upload of one file, or of several in layers (requirementsUpload)", () => {
        const root = repo({
            "req.txt": "numpy==1.26.4\n",
            "empty.txt": "# nothing yet\n",
            "deps/numerical.txt": "-c ../constraints.txt\nscipy==1.11.4\n",
            "deps/dev.txt": "-c ../constraints.txt\nrequests==2.32.3\n",
            "constraints.txt": "numpy<2\n",
        });
        const read = (...files: string[]) => files.map((f) => readRequirements(findRepository(root), f));

        it("one file is uploaded as before: alone as requirements.txt, or the folder requirements/", () => {
            assert.deepEqual(requirementsUpload(read("req.txt")), {
                files: [{ src: "req.txt", dest: "requirements.txt" }],
                layout: { layout: "file" },
            });
            assert.deepEqual(requirementsUpload(read("deps/numerical.txt")), {
                files: [
                    { src: "deps/numerical.txt", dest: "requirements/deps/numerical.txt" },
                    { src: "constraints.txt", dest: "requirements/constraints.txt" },
                ],
                layout: { layout: "folder", main: "deps/numerical.txt" },
            });
            assert.deepEqual(requirementsUpload(read("empty.txt")), { files: [] });
        });

        it("several files: layer N is the folder requirements/N/ with its file and all it reads", () => {
            assert.deepEqual(requirementsUpload(read("deps/numerical.txt", "empty.txt", "req.txt", "deps/dev.txt")), {
                files: [
                    { src: "deps/numerical.txt", dest: "requirements/1/deps/numerical.txt" },
                    { src: "constraints.txt", dest: "requirements/1/constraints.txt" },
                    { src: "req.txt", dest: "requirements/3/req.txt" },
                    { src: "deps/dev.txt", dest: "requirements/4/deps/dev.txt" },
                    { src: "constraints.txt", dest: "requirements/4/constraints.txt" },
                ],
                layout: {
                    layout: "layers",
                    layers: [
                        { dir: "requirements/1", main: "deps/numerical.txt" },
                        { dir: "requirements/3", main: "req.txt" },
                        { dir: "requirements/4", main: "deps/dev.txt" },
                    ],
                },
            });
            assert.deepEqual(requirementsUpload(read("empty.txt", "empty.txt")), { files: [] });
        });
    });
});
