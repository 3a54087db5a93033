import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    describePipConfig,
    effectiveValues,
    maskUrl,
    PYPI_SIMPLE,
    pipConfigOf,
    pythonString,
    readPipConfig,
} from "../../../lib/pip/pipConfig";
import { requireTool } from "../../support/tools";

describe("pipConfig", () => {
    it("decodes Python str reprs as pip config list prints them", () => {
        assert.equal(pythonString("'/etc/ssl/certs/ca.crt'"), "/etc/ssl/certs/ca.crt");
        assert.equal(pythonString(`"it's"`), "it's");
        assert.equal(pythonString("'a\\\\b\\'c'"), "a\\b'c");
        assert.equal(pythonString("'one\\ntwo\\tx\\x41\\u00e9'"), "one\ntwo\txAé");
        assert.equal(pythonString("bare"), "bare");
    });

    it("takes a variable over the install section over global, with pip's key spelling", () => {
        const values = effectiveValues(
            [
                "global.index-url='https://global.example/simple'",
                "global.cert='/etc/global.pem'",
                "global.timeout='30'",
                "install.index-url='https://install.example/simple'",
                "download.index-url='https://download.example/simple'",
                ":env:.index-url='https://env.example/simple'",
                ":env:.trusted_host='a.example b.example'",
                "not a line",
            ].join("\n"),
        );
        assert.deepEqual(Object.fromEntries(values), {
            "index-url": "https://env.example/simple",
            cert: "/etc/global.pem",
            timeout: "30",
            "trusted-host": "a.example b.example",
        });
        // the order of lines does not matter
        assert.equal(
            effectiveValues(":env:.cert='/env.pem'\nglobal.cert='/global.pem'\ninstall.cert='/install.pem'").get(
                "cert",
            ),
            "/env.pem",
        );
    });

    it("relays the index, certificates and trusted hosts; nothing to relay is undefined", () => {
        assert.equal(pipConfigOf(""), undefined);
        // only settings that do not say where packages come from: pip in the build does as well alone
        assert.equal(pipConfigOf(":env:.default-timeout='180'\n:env:.disable-pip-version-check='1'"), undefined);
        assert.deepEqual(
            pipConfigOf(
                [
                    "global.cert='/etc/ssl/certs/ca-certificates.crt'",
                    ":env:.default-timeout='180'",
                    ":env:.find-links='/opt/wheels'",
                ].join("\n"),
            ),
            {
                indexUrl: PYPI_SIMPLE,
                extraIndexUrls: [],
                cert: "/etc/ssl/certs/ca-certificates.crt",
                clientCert: undefined,
                trustedHosts: [],
                timeoutSeconds: 180,
                notRelayed: ["find-links /opt/wheels"],
            },
        );
        assert.deepEqual(
            pipConfigOf(
                [
                    "global.index-url='https://user:pw@mirror.example/simple'",
                    "global.extra-index-url='https://a.example/simple\\nhttps://b.example/simple'",
                    "install.client-cert='/etc/pip/client.pem'",
                    "global.trusted-host='mirror.example a.example:8443'",
                    "global.proxy='http://proxy.example:3128'",
                    "global.timeout='nonsense'",
                ].join("\n"),
            ),
            {
                indexUrl: "https://user:pw@mirror.example/simple",
                extraIndexUrls: ["https://a.example/simple", "https://b.example/simple"],
                cert: undefined,
                clientCert: "/etc/pip/client.pem",
                trustedHosts: ["mirror.example", "a.example:8443"],
                timeoutSeconds: 15,
                notRelayed: ["proxy http://proxy.example:3128"],
            },
        );
    });

    it("describes a configuration for the build log without credentials", () => {
        assert.equal(maskUrl("https://user:secret@mirror.example/simple"), "https://***@mirror.example/simple");
        assert.equal(maskUrl("https://mirror.example/simple"), "https://mirror.example/simple");
        const c = pipConfigOf(
            "global.index-url='https://u:p@m.example/simple'\nglobal.cert='/ca.pem'\nglobal.trusted-host='m.example'",
        );
        assert.ok(c);
        const line = describePipConfig(c);
        assert.equal(line, "index https://***@m.example/simple, cert /ca.pem, trusted hosts m.example");
        assert.doesNotMatch(line, /u:p/);
    });

    describe("readPipConfig, from the real pip", () => {
        let dir: string;
        let env: NodeJS.ProcessEnv;

        before(function () {
            requireTool(this, "pip");
            dir = mkdtempSync(path.join(os.tmpdir(), "fw-pipconfig-"));
            // this machine's own variables and user files stay out; /etc/pip.conf is read, as pip does
            env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_")));
            env.HOME = dir;
            env.XDG_CONFIG_HOME = path.join(dir, ".config");
        });

        after(() => {
            if (dir) rmSync(dir, { recursive: true, force: true });
        });

        it("reads PIP_CONFIG_FILE's sections and PIP_ variables as pip resolves them", () => {
            const file = path.join(dir, "pip.conf");
            writeFileSync(
                file,
                [
                    "[global]",
                    "index-url = https://global.example/simple",
                    "timeout = 42",
                    "[install]",
                    "index-url = https://install.example/simple",
                    "trusted-host =",
                    "    install.example",
                    "    other.example",
                    "",
                ].join("\n"),
            );
            const c = readPipConfig({ ...env, PIP_CONFIG_FILE: file, PIP_CERT: path.join(dir, "ca.pem") });
            assert.ok(c);
            assert.equal(c.indexUrl, "https://install.example/simple");
            assert.deepEqual(c.trustedHosts, ["install.example", "other.example"]);
            assert.equal(c.cert, path.join(dir, "ca.pem"));
            assert.equal(c.timeoutSeconds, 42);
        });

        it("is undefined without pip", () => {
            assert.equal(readPipConfig({ ...env, PATH: path.join(dir, "no-such-bin") }), undefined);
        });
    });
});
