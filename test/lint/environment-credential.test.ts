// Which environment a finding applies to (NODE_ENV branches, Flask config maps and deploy files,
// package.json scripts) and which hand-set cookies are session credentials (by value or read
// back, never by name), on small trees written for each case; and the report shows both.
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";
import {
  formatJson,
  formatPretty,
  formatSarif,
  type Report,
} from "../../packages/latchkey-cli/src/report/index.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-env-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const lint = (files: Record<string, string>) => {
  const dir = tree(files);
  return lintPaths([dir], dir).findings;
};
const brief = (files: Record<string, string>) =>
  lint(files)
    .map((f) => `${f.location!.file}:${f.location!.line} ${f.id} ${f.severity} ${f.environment}`)
    .sort();

const SESSION = (secure: string) =>
  `import session from "express-session";\nconst store = makeStore();\napp.use(session({ store, name: "x", secret: process.env.S, cookie: { httpOnly: true, sameSite: "lax", maxAge: 1000, secure: ${secure} } }));\n`;

describe("NODE_ENV branches", () => {
  const table: Array<[string, string[]]> = [
    ['process.env.NODE_ENV === "production"', ["app.js:3 cookie-missing-secure info development"]],
    ['process.env.NODE_ENV !== "development"', ["app.js:3 cookie-missing-secure info development"]],
    ['process.env.NODE_ENV === "development"', ["app.js:3 cookie-missing-secure high production"]],
    [
      'process.env.NODE_ENV === "production" ? false : true',
      ["app.js:3 cookie-missing-secure high production"],
    ],
    ['process.env.HTTPS === "1"', ["app.js:3 cookie-missing-secure info unknown"]],
  ];
  for (const [expr, expected] of table)
    it(`secure: ${expr}`, () => assert.deepEqual(brief({ "app.js": SESSION(expr) }), expected));

  it("a write guarded by a production test is on in production; one in the else branch is not", () => {
    const guarded = (body: string) =>
      `import session from "express-session";\nconst sess = { store, name: "x", secret: process.env.S, cookie: { httpOnly: true, sameSite: "lax", maxAge: 1000 } };\n${body}\napp.use(session(sess));\n`;
    assert.deepEqual(
      brief({
        "app.js": guarded(
          'if (app.get("env") === "production") {\n  sess.cookie.secure = true;\n}',
        ),
      }),
      ["app.js:4 cookie-missing-secure info development"],
    );
    assert.deepEqual(
      brief({
        "app.js": guarded(
          'if (app.get("env") === "production") {\n  log();\n} else {\n  sess.cookie.secure = true;\n}',
        ),
      }),
      ["app.js:6 cookie-missing-secure medium production"],
    );
  });
});

describe("package.json scripts and node-config files", () => {
  const APP = `${SESSION("false")}`;
  it("start runs production, dev only development, test only test", () => {
    const env = (scripts: string) =>
      lint({ "package.json": `{"scripts": ${scripts}}`, "server.js": APP }).map(
        (f) => `${f.severity} ${f.environment}`,
      );
    assert.deepEqual(env('{"start": "node server.js", "dev": "nodemon server.js"}'), [
      "high production",
    ]);
    assert.deepEqual(env('{"dev": "nodemon server.js"}'), ["info development"]);
    assert.deepEqual(env('{"test": "node --test server.js"}'), ["info test"]);
    assert.deepEqual(env('{"lint": "eslint server.js"}'), ["high unknown"]);
  });

  it("node-config: production.js overrides default.js, development.js is never read as production", () => {
    const files = {
      "package.json": "{}",
      "config/default.js":
        'module.exports = { cookie: { secure: false, httpOnly: true, sameSite: "lax", maxAge: 1000 } };\n',
      "config/development.js": "module.exports = { cookie: { secure: false } };\n",
      "app.js":
        'import session from "express-session";\nimport config from "config";\napp.use(session({ store, name: "x", secret: process.env.S, cookie: config.get("cookie") }));\n',
    };
    assert.deepEqual(brief(files), ["config/default.js:1 cookie-missing-secure high production"]);
    assert.deepEqual(
      brief({
        ...files,
        "config/production.js": "module.exports = { cookie: { secure: true } };\n",
      }),
      [],
    );
  });
});

describe("Flask environments", () => {
  const CONFIG =
    'import os\nclass Config:\n    SECRET_KEY = os.environ["K"]\n    SESSION_COOKIE_SAMESITE = "Lax"\n    SESSION_COOKIE_NAME = "__Host-s"\nclass LiveConfig(Config):\n    SESSION_COOKIE_SECURE = False\nconfig = {"production": LiveConfig}\n';
  it("a config class selected by a Procfile is production, by docker-compose only development (info)", () => {
    const procfile = lint({
      "config.py": CONFIG,
      Procfile: "web: APP_SETTINGS=config.LiveConfig gunicorn app:app\n",
    });
    assert.deepEqual(
      procfile.map((f) => [f.id, f.severity, f.environment, f.environmentReason]),
      [
        [
          "cookie-missing-secure",
          "high",
          "production",
          "APP_SETTINGS=config.LiveConfig in Procfile",
        ],
      ],
    );
    const compose = lint({
      "config.py": CONFIG.replace('"production"', '"local"'),
      "docker-compose.yml": "services:\n  web:\n    environment:\n      - FLASK_CONFIG=local\n",
    });
    assert.deepEqual(
      compose.map((f) => [f.id, f.severity, f.environment]),
      [["cookie-missing-secure", "info", "development"]],
    );
  });

  it("the config map says production when no deploy file does", () => {
    const [f] = lint({ "config.py": CONFIG });
    assert.equal(f?.environment, "production");
    assert.equal(f?.environmentReason, 'config["production"] in config.py selects LiveConfig');
  });

  const CLASSES =
    'class Config:\n    SECRET_KEY = "secret"\n    SESSION_COOKIE_SAMESITE = "Lax"\n    SESSION_COOKIE_NAME = "__Host-s"\n    PERMANENT_SESSION_LIFETIME = 3600\nclass DevelopmentConfig(Config):\n    DEBUG = True\n    SESSION_COOKIE_SECURE = False\nclass TestingConfig(Config):\n    TESTING = True\n    SESSION_COOKIE_SECURE = False\n    WTF_CSRF_ENABLED = False\nclass ProductionConfig(Config):\n    SESSION_COOKIE_SECURE = True\n';
  const detail = (files: Record<string, string>) =>
    lint(files)
      .map(
        (f) => `${f.location!.line} ${f.id} ${f.severity} ${f.environment}: ${f.environmentReason}`,
      )
      .sort();

  it("development and test config classes are judged at info; an inherited secret once, as production", () => {
    assert.deepEqual(detail({ "config.py": CLASSES }), [
      "11 cookie-missing-secure info test: class name TestingConfig",
      "12 csrf-disabled info test: class name TestingConfig",
      "2 session-secret-weak critical production: class name ProductionConfig",
      "8 cookie-missing-secure info development: class name DevelopmentConfig",
    ]);
  });

  it("a deploy file that turns on Flask's debugger starts a development configuration", () => {
    const debug = (dockerfile: string) =>
      lint({ "config.py": CONFIG, Dockerfile: dockerfile }).map((f) => [
        f.severity,
        f.environment,
        f.environmentReason,
      ]);
    assert.deepEqual(debug("FROM python\nENV APP_SETTINGS=config.LiveConfig\n"), [
      ["high", "production", "APP_SETTINGS=config.LiveConfig in Dockerfile"],
    ]);
    assert.deepEqual(
      debug("FROM python\nENV FLASK_DEBUG=1\nENV APP_SETTINGS=config.LiveConfig\n"),
      [
        [
          "info",
          "development",
          "selected only by Dockerfile, which turns on Flask's debugger (APP_SETTINGS=config.LiveConfig)",
        ],
      ],
    );
  });
});

describe("Django settings modules named for development or test", () => {
  const BASE =
    'import os\nINSTALLED_APPS = ["django.contrib.sessions"]\nMIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]\nSECRET_KEY = os.environ["K"]\nSESSION_COOKIE_NAME = "__Host-s"\nCSRF_COOKIE_SECURE = True\nSESSION_COOKIE_AGE = 60 * 60 * 24 * 365\n';
  it("local.py and test.py findings are info with their environment; base.py's, shared with production, keep their severity", () => {
    const found = lint({
      "mysite/settings/__init__.py": "",
      "mysite/settings/base.py": BASE,
      "mysite/settings/production.py": "from .base import *\nSESSION_COOKIE_SECURE = True\n",
      "mysite/settings/local.py":
        'from .base import *\nDEBUG = True\nSECRET_KEY = "changeme"\nSESSION_COOKIE_SECURE = False\n',
      "mysite/settings/test.py":
        'from .base import *\nSECRET_KEY = "test"\nSESSION_COOKIE_SECURE = False\n',
    });
    assert.deepEqual(
      found
        .map(
          (f) =>
            `${f.location!.file}:${f.location!.line} ${f.id} ${f.severity} ${f.environment}: ${f.environmentReason}`,
        )
        .sort(),
      [
        "mysite/settings/base.py:7 cookie-lifetime-long medium production: module name settings/production.py",
        "mysite/settings/local.py:3 session-secret-weak info development: module name settings/local.py",
        "mysite/settings/local.py:4 cookie-missing-secure info development: module name settings/local.py",
        "mysite/settings/test.py:2 session-secret-weak info test: module name settings/test.py",
        "mysite/settings/test.py:3 cookie-missing-secure info test: module name settings/test.py",
      ],
    );
  });

  it("a settings module named local but started by a Dockerfile is production", () => {
    const found = lint({
      "mysite/settings/base.py": BASE.replace("60 * 60 * 24 * 365", "3600"),
      "mysite/settings/local.py": "from .base import *\nSESSION_COOKIE_SECURE = False\n",
      Dockerfile: "FROM python\nENV DJANGO_SETTINGS_MODULE=mysite.settings.local\n",
    });
    assert.deepEqual(
      found.map((f) => [f.id, f.severity, f.environment]),
      [["cookie-missing-secure", "high", "production"]],
    );
  });
});

// A `${…}` placeholder for the JavaScript written into the tree.
const hole = (expr: string) => `$${"{"}${expr}}`;

describe("credential cookies", () => {
  const cookies = (files: Record<string, string>) =>
    [...new Set(lint(files).map((f) => `${f.cookie} ${f.severityReason}`))].sort();

  it("JavaScript: constants are flags; random, signed and user values are credentials", () => {
    const app = [
      'const crypto = require("crypto");',
      'res.cookie("remember", 1);',
      'res.cookie("session", "dark");',
      'res.cookie("a", crypto.randomBytes(32).toString("hex"));',
      'res.cookie("b", jwt.sign({ sub: user.id }, key));',
      'res.cookie("c", req.user.id);',
      'res.cookie("d", String(account.id));',
      'res.cookie("e", someValue);',
      'res.cookie("f", someValue, { signed: true });',
    ].join("\n");
    assert.deepEqual(cookies({ "app.js": app }), [
      "a the cookie carries a credential: its value comes from crypto.randomBytes()",
      "b the cookie carries a credential: its value comes from jwt.sign()",
      "c the cookie carries a credential: its value comes from req.user",
      "d the cookie carries a credential: its value is the user id account.id",
      "f the cookie carries a credential: it is signed with a secret",
    ]);
  });

  it("JavaScript: a cookie of unknown value counts once any file of the package reads it into a lookup", () => {
    const set = { "package.json": "{}", "set.js": 'res.cookie("handle", makeHandle());\n' };
    assert.deepEqual(cookies(set), []);
    assert.deepEqual(
      cookies({
        ...set,
        "read.js": "const user = await db.findUserByHandle(req.cookies.handle);\n",
      }),
      [
        "handle the cookie carries a credential: the app reads it back and passes it to db.findUserByHandle()",
      ],
    );
    assert.deepEqual(
      cookies({ ...set, "read.js": "const h = req.cookies.handle;\nconsole.log(h);\n" }),
      [],
    );
  });

  it("Set-Cookie headers, Koa and Next cookie setters", () => {
    const app = [
      `res.setHeader("Set-Cookie", \`sid=${hole("crypto.randomUUID()")}; Secure; HttpOnly; SameSite=Lax\`);`,
      `res.setHeader("Set-Cookie", \`tok=${hole("crypto.randomUUID()")}; Path=/\`);`,
      'res.setHeader("Set-Cookie", "banner=closed; Path=/");',
      'ctx.cookies.set("k", nanoid(), { secure: true, sameSite: "lax" });',
      'ctx.cookies.set("j", nanoid(), { sameSite: "lax", httpOnly: false, secure: true });',
    ].join("\n");
    assert.deepEqual(brief({ "app.js": `// session cookie\n${app}` }), [
      "app.js:3 cookie-missing-httponly medium unknown",
      "app.js:3 cookie-missing-secure medium unknown",
      "app.js:3 cookie-samesite-missing medium unknown",
      "app.js:6 cookie-missing-httponly high unknown",
    ]);
    const next =
      'import { cookies } from "next/headers";\nexport async function POST() {\n  (await cookies()).set("s", crypto.randomUUID(), { httpOnly: true, sameSite: "lax" });\n  cookies().set("theme", "dark");\n}\n';
    assert.deepEqual(brief({ "route.ts": next }), [
      "route.ts:3 cookie-missing-secure medium unknown",
    ]);
  });

  it("Python set_cookie: by value, and by a lookup of the read-back cookie", () => {
    const views = [
      "import secrets",
      "def login(resp, user):",
      '    resp.set_cookie("theme", "dark")',
      '    resp.set_cookie("t", secrets.token_urlsafe(32), secure=True, samesite="Lax")',
      '    resp.set_cookie("u", str(current_user.id), secure=True, httponly=True, samesite="Lax")',
      '    resp.set_cookie("h", make_handle())',
    ].join("\n");
    assert.deepEqual(brief({ "views.py": views }), [
      "views.py:4 cookie-missing-httponly medium unknown",
    ]);
    const read =
      'def me(request):\n    return Session.query.filter_by(handle=request.cookies.get("h")).first()\n';
    assert.deepEqual(
      brief({ "views.py": views, "me.py": read }).filter((f) => f.startsWith("views.py:6")),
      [
        "views.py:6 cookie-missing-httponly medium unknown",
        "views.py:6 cookie-missing-secure medium unknown",
        "views.py:6 cookie-samesite-missing medium unknown",
      ],
    );
  });
});

describe("the report", () => {
  it("shows the environment and its reason in the terminal, JSON and SARIF", () => {
    const findings = lint({ "app.js": SESSION('process.env.NODE_ENV === "development"') });
    const report: Report = { target: ".", findings };
    const json = JSON.parse(formatJson(report)) as {
      findings: { environment: string; environmentReason: string }[];
    };
    assert.equal(json.findings[0]!.environment, "production");
    assert.match(json.findings[0]!.environmentReason, /false when NODE_ENV is production/);
    const sarif = JSON.parse(formatSarif(report, { name: "latchkey", version: "0" })) as {
      runs: { results: { properties: { environment: string; environmentReason: string } }[] }[];
    };
    assert.equal(sarif.runs[0]!.results[0]!.properties.environment, "production");
    const pretty = formatPretty(report, { color: false });
    assert.match(pretty, /env +production: process\.env\.NODE_ENV === "development" is false/);
  });
});
