/** Source distributions made here, for tests where pip must build a wheel (the wheelhouse's). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

/**
 * An sdist `name-version.tar.gz` in `dir` (setuptools, PEP 517): one module holding its version.
 * pip has no wheel of it, so it builds one, and keeps it in its wheel cache.
 */
export function sdist(dir: string, name: string, version: string): string {
    const script = [
        "import io,sys,tarfile",
        "name,version,out=sys.argv[1:4]",
        "root=f'{name}-{version}'",
        "files={",
        "  f'{root}/setup.py':f'from setuptools import setup\\nsetup(name={name!r},version={version!r},py_modules=[{name!r}])\\n',",
        "  f'{root}/{name}.py':f'VERSION = {version!r}\\n',",
        "  f'{root}/PKG-INFO':f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n',",
        "  f'{root}/pyproject.toml':'[build-system]\\nrequires = [\"setuptools\"]\\nbuild-backend = \"setuptools.build_meta\"\\n',",
        "}",
        "with tarfile.open(out,'w:gz') as t:",
        "  for k,v in files.items():",
        "    b=v.encode(); i=tarfile.TarInfo(k); i.size=len(b); i.mtime=0; t.addfile(i,io.BytesIO(b))",
    ].join("\n");
    const file = path.join(dir, `${name}-${version}.tar.gz`);
    const r = spawnSync("python3", ["-c", script, name, version, file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return file;
}
