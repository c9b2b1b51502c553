// Configuration followed across modules stays inside the scanned tree and within its bounds:
// a loader that names a module outside the root is not followed (so the app is judged on its
// explicit values only), a star-import cycle ends, and a chain deeper than five modules stops.
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-cross-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const APP = (target: string) =>
  `from flask import Flask\napp = Flask(__name__)\napp.config.from_object("${target}")\n`;
const SETTINGS = 'import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n';

function ids(dir: string, scanned = dir): string[] {
  return lintPaths([scanned], dir)
    .findings.map((f) => `${f.location!.file}:${f.id}`)
    .sort();
}

describe("configuration across modules", () => {
  it("reports Flask's defaults for a settings module the app loads", () => {
    const dir = tree({ "app.py": APP("settings"), "settings.py": SETTINGS });
    assert.ok(ids(dir).includes("settings.py:cookie-missing-secure"));
  });

  it("follows from_pyfile and a dotted import path into a package", () => {
    const pyfile = tree({
      "app.py":
        'from flask import Flask\napp = Flask(__name__)\napp.config.from_pyfile("prod.cfg.py")\n',
      "prod.cfg.py": SETTINGS,
    });
    assert.ok(ids(pyfile).includes("prod.cfg.py:cookie-missing-secure"));
    const byPath = tree({
      "app.py": APP("conf.prod"),
      "conf/__init__.py": "",
      "conf/prod.py": `${SETTINGS}SESSION_COOKIE_SECURE = True\n`,
    });
    const found = ids(byPath);
    assert.ok(found.includes("conf/prod.py:cookie-samesite-missing"));
    assert.ok(!found.includes("conf/prod.py:cookie-missing-secure"));
  });

  it("does not judge defaults when one loader cannot be followed", () => {
    const dir = tree({
      "app.py": `${APP("settings")}app.config.from_envvar("APP_SETTINGS")\n`,
      "settings.py": SETTINGS,
    });
    assert.deepEqual(ids(dir), []);
  });

  it("does not follow a loader out of the scanned root", () => {
    const dir = tree({ "web/app.py": APP("settings"), "settings.py": SETTINGS });
    assert.deepEqual(ids(dir, join(dir, "web")), []);
  });

  it("ends a star-import cycle", () => {
    const dir = tree({
      "app.py": APP("a"),
      "a.py": `from b import *\n${SETTINGS}`,
      "b.py": "from a import *\nSESSION_COOKIE_SECURE = True\n",
    });
    const found = ids(dir);
    assert.ok(found.includes("a.py:cookie-samesite-missing"));
    assert.ok(!found.includes("a.py:cookie-missing-secure"));
  });

  it("stops following star imports five modules deep", () => {
    const chain: Record<string, string> = { "app.py": APP("m0") };
    for (let i = 0; i < 7; i++) chain[`m${i}.py`] = `from m${i + 1} import *\nX${i} = 1\n`;
    chain["m7.py"] = `${SETTINGS}SESSION_COOKIE_SECURE = False\n`;
    // The secret is seven imports away: past the bound, so no session is seen to judge.
    assert.ok(!ids(tree(chain)).some((f) => f.startsWith("m0.py:")));
    chain["m5.py"] = `${SETTINGS}X5 = 1\n`;
    assert.ok(ids(tree(chain)).includes("m0.py:cookie-missing-secure"));
  });

  it("judges the remember-me cookie only when a view remembers logins", () => {
    const config = 'import os\nclass Config:\n    SECRET_KEY = os.environ["SECRET_KEY"]\n';
    const view = (remember: string) =>
      `from flask_login import login_user\nfrom config import Config\ndef v(u):\n    login_user(u${remember})\n`;
    const remembered = ids(tree({ "config.py": config, "views.py": view(", remember=True") }));
    const forgotten = ids(tree({ "config.py": config, "views.py": view("") }));
    assert.ok(remembered.includes("config.py:cookie-lifetime-long"));
    assert.ok(!forgotten.includes("config.py:cookie-lifetime-long"));
  });

  const SERVER = (from: string) =>
    `const session = require("express-session");\nconst pkg = require("${from}");\nsession({ secret: pkg.name, cookie: { secure: true, sameSite: "lax" } });\n`;

  it("reads package.json for a secret taken from it, inside the root only", () => {
    const dir = tree({
      "package.json": '{"name":"shop"}',
      "web/server.js": SERVER("../package.json"),
    });
    const weak = (scanned: string) =>
      lintPaths([scanned], dir).findings.some((f) => f.id === "session-secret-weak");
    assert.ok(weak(dir));
    assert.ok(!weak(join(dir, "web")));
  });

  it("ends a JavaScript import cycle and stops five modules deep", () => {
    const files: Record<string, string> = {
      "a.js": 'const b = require("./b");\nmodule.exports = { name: b.name };\n',
      "b.js": 'const a = require("./a");\nmodule.exports = { name: a.name };\n',
      "server.js": SERVER("./a"),
    };
    assert.ok(!ids(tree(files)).some((f) => f.includes("session-secret")));
    const chain: Record<string, string> = { "server.js": SERVER("./m0") };
    for (let i = 0; i < 7; i++)
      chain[`m${i}.js`] = `const n = require("./m${i + 1}");\nmodule.exports = { name: n.name };\n`;
    chain["m7.js"] = 'module.exports = { name: "dev" };\n';
    assert.ok(!ids(tree(chain)).some((f) => f.includes("session-secret")));
    chain["m3.js"] = 'module.exports = { name: "dev" };\n';
    // Reported where the value is written, not where the session is set up.
    assert.ok(ids(tree(chain)).includes("m3.js:session-secret-weak"));
  });

  describe("development settings", () => {
    const BASE =
      'import os\nSECRET_KEY = os.environ["K"]\nMIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]\n';
    const LOCAL = 'from .base import *\nDEBUG = True\nSECRET_KEY = "short"\n';
    const severity = (extra: Record<string, string>) =>
      lintPaths([
        tree({ "site/settings/base.py": BASE, "site/settings/docker.py": LOCAL, ...extra }),
      ])
        .findings.filter((f) => f.id === "session-secret-weak")
        .map((f) => f.severity);

    it("is info when DEBUG = True sits next to other settings modules", () => {
      assert.deepEqual(severity({}), ["info"]);
    });

    it("keeps its severity when a Dockerfile or wsgi.py starts it", () => {
      const env = "ENV DJANGO_SETTINGS_MODULE=site.settings.docker\n";
      assert.deepEqual(severity({ Dockerfile: env }), ["high"]);
      const wsgi =
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings.docker")\n';
      assert.deepEqual(severity({ "site/wsgi.py": wsgi }), ["high"]);
    });
  });
});
