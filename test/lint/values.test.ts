// How the two front ends read values (table-driven), the helpers that decide what is a test or a
// development configuration, and robustness: hostile or broken source never throws.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { lintScript } from "../../packages/latchkey-cli/src/lint/js/analyze.ts";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";
import { lintDjango } from "../../packages/latchkey-cli/src/lint/python/django.ts";
import { lintFlask } from "../../packages/latchkey-cli/src/lint/python/flask.ts";
import { readModule } from "../../packages/latchkey-cli/src/lint/python/module.ts";
import { environmentOf, isTestPath } from "../../packages/latchkey-cli/src/lint/source.ts";
import { collectSuppressions } from "../../packages/latchkey-cli/src/lint/suppress.ts";
import { parseDurationText, redactSecret } from "../../packages/latchkey-cli/src/lint/value.ts";

function pythonSetting(source: string, key = "X") {
  const module = readModule(source, "settings.py");
  const stmt = module.statements.find((s) => s.kind === "set" && s.key === key);
  assert.ok(stmt && stmt.kind === "set", `no ${key} in ${source}`);
  return stmt.setting.value;
}

describe("Python values", () => {
  const cases: Array<[string, unknown]> = [
    ["X = True", { kind: "bool", value: true }],
    ["X = None", { kind: "null" }],
    ["X = 60 * 60 * 24", { kind: "number", value: 86400 }],
    ["X = 1_209_600", { kind: "number", value: 1209600 }],
    ["X = 'Lax'", { kind: "string", value: "Lax" }],
    ['X = "a" "b"', { kind: "string", value: "ab" }],
    ["X = r'\\n'", { kind: "string", value: "\\n" }],
    ["X = timedelta(days=1, hours=2)", { kind: "duration", seconds: 93600 }],
    ["X = datetime.timedelta(7)", { kind: "duration", seconds: 604800 }],
    ["X = timedelta(minutes=30) * 2", { kind: "duration", seconds: 3600 }],
    ['X = os.environ["SECRET"]', { kind: "env", name: "SECRET" }],
    [
      'X = os.getenv("SECRET", "dev")',
      { kind: "env", name: "SECRET", fallback: { kind: "string", value: "dev" } },
    ],
    [
      'X = os.environ.get("S") or "dev"',
      { kind: "env", name: "S", fallback: { kind: "string", value: "dev" } },
    ],
    [
      'X = env("S", default="x")',
      { kind: "env", name: "S", fallback: { kind: "string", value: "x" } },
    ],
    ['X = config("S", cast=bool)', { kind: "env", name: "S" }],
    ["X = not DEBUG", { kind: "depends", on: "not DEBUG" }],
    ["DEBUG = False\nX = not DEBUG", { kind: "bool", value: true }],
    ["A = 3600\nX = A * 2", { kind: "number", value: 7200 }],
    ["X = some_function()", { kind: "unknown" }],
    ["if DEBUG:\n    X = False", { kind: "depends", on: "if DEBUG" }],
  ];
  for (const [source, expected] of cases) {
    it(source.replaceAll("\n", " ⏎ "), () => assert.deepEqual(pythonSetting(source), expected));
  }

  it("reads dict literals with their key positions", () => {
    const value = pythonSetting('X = {"SESSION_COOKIE_SECURE": False, **other}');
    assert.equal(value.kind, "object");
    if (value.kind !== "object") return;
    assert.equal(value.open, true);
    assert.deepEqual(value.entries.get("SESSION_COOKIE_SECURE")?.value, {
      kind: "bool",
      value: false,
    });
    assert.deepEqual(value.entries.get("SESSION_COOKIE_SECURE")?.at.line, 1);
  });
});

describe("JavaScript values, seen through findings", () => {
  const findingsOf = (source: string) =>
    lintScript(`import session from "express-session";\n${source}`, "app.ts").findings.map(
      (f) => `${f.id} ${f.severity}`,
    );
  const secure = (expr: string) =>
    findingsOf(
      `app.use(session({ store, name: "x", secret: process.env.S, cookie: { sameSite: "lax", maxAge: 1000, secure: ${expr} } }));`,
    );

  const table: Array<[string, string[]]> = [
    ["false", ["cookie-missing-secure high"]],
    ["true", []],
    ['"auto"', []],
    ['process.env.NODE_ENV === "production"', ["cookie-missing-secure info"]],
    ['app.get("env") === "production"', ["cookie-missing-secure info"]],
    ["!isDev", ["cookie-missing-secure info"]],
    ["0", ["cookie-missing-secure high"]],
    ["someHelper()", []],
  ];
  for (const [expr, expected] of table)
    it(`secure: ${expr}`, () => assert.deepEqual(secure(expr), expected));

  it("sameSite: invalid, None with and without Secure", () => {
    const sameSite = (cookie: string) =>
      findingsOf(
        `app.use(session({ store, name: "x", secret: process.env.S, cookie: { maxAge: 1000, ${cookie} } }));`,
      );
    assert.deepEqual(sameSite('secure: true, sameSite: "bogus"'), [
      "cookie-samesite-invalid medium",
    ]);
    assert.deepEqual(sameSite('secure: true, sameSite: "None"'), ["cookie-samesite-none low"]);
    assert.deepEqual(sameSite('secure: false, sameSite: "none"').sort(), [
      "cookie-missing-secure high",
      "cookie-samesite-none-insecure high",
    ]);
    assert.deepEqual(sameSite("secure: true, sameSite: true"), []);
    assert.deepEqual(sameSite("secure: true, sameSite: false"), ["cookie-samesite-missing medium"]);
  });

  it("follows constants, spreads and ms() durations", () => {
    const found = findingsOf(
      'import ms from "ms";\nconst base = { secure: false };\nconst cookie = { ...base, sameSite: "lax", maxAge: ms("30d") };\napp.use(session({ store, name: "x", secret: process.env.S, cookie }));',
    );
    assert.deepEqual(found.sort(), ["cookie-lifetime-long medium", "cookie-missing-secure high"]);
  });

  it("recognises CommonJS and TypeScript import forms", () => {
    const secure = "{ secret: process.env.S, cookie: { secure: false } }";
    for (const source of [
      `app.use(require("express-session")(${secure}));`,
      `import session = require("express-session");\napp.use(session(${secure}));`,
      `const { default: session } = await import("express-session");\napp.use(session(${secure}));`,
      `import * as session from "express-session";\napp.use(session(${secure}));`,
    ]) {
      const ids = lintScript(source, "app.ts").findings.map((f) => f.id);
      assert.ok(ids.includes("cookie-missing-secure"), source);
    }
  });

  it("does not call options missing when an unknown spread may provide them", () => {
    assert.deepEqual(findingsOf("app.use(session({ ...shared, secret: process.env.S }));"), []);
  });

  it("reports a secret's literal fallback, not an environment read", () => {
    assert.deepEqual(
      findingsOf('app.use(session({ ...shared, secret: process.env.S || "keyboard cat" }));'),
      ["session-secret-weak high"],
    );
    assert.deepEqual(findingsOf("app.use(session({ ...shared, secret: process.env.S }));"), []);
  });
});

describe("helpers", () => {
  it("recognises test files by path below the scanned root", () => {
    for (const path of [
      "tests/test_app.py",
      "src/__tests__/a.js",
      "a.test.ts",
      "b.spec.mjs",
      "conftest.py",
      "app/tests.py",
      "x_test.py",
    ]) {
      assert.ok(isTestPath(path), path);
    }
    for (const path of [
      "app.py",
      "src/session.ts",
      "contest.py",
      "latest/app.js",
      "testimonials.py",
    ]) {
      assert.ok(!isTestPath(path), path);
    }
  });

  it("classifies environments by module or class name", () => {
    assert.equal(environmentOf("DevelopmentConfig"), "development");
    assert.equal(environmentOf("TestingConfig"), "development");
    assert.equal(environmentOf("local"), "development");
    assert.equal(environmentOf("ProductionConfig"), "production");
    assert.equal(environmentOf("staging"), "production");
    assert.equal(environmentOf("Config"), "unknown");
    assert.equal(environmentOf("settings"), "unknown");
    assert.equal(environmentOf("devices"), "unknown");
  });

  it("parses suppression directives that name rules", () => {
    const s = collectSuppressions([
      {
        text: "// latchkey: ignore cookie-missing-secure, session-store-memory",
        line: 3,
        endLine: 3,
        standalone: true,
      },
      { text: "# latchkey: ignore", line: 7, endLine: 7, standalone: false },
      { text: "# latchkey:ignore csrf-disabled", line: 9, endLine: 9, standalone: false },
    ]);
    assert.deepEqual([...(s.get(4) ?? [])].sort(), [
      "cookie-missing-secure",
      "session-store-memory",
    ]);
    assert.equal(s.get(7), undefined);
    assert.deepEqual([...(s.get(9) ?? [])], ["csrf-disabled"]);
    assert.equal(s.get(10), undefined, "a trailing comment does not reach the next line");
  });

  it("parses durations and redacts secrets", () => {
    assert.equal(parseDurationText("24h"), 86400);
    assert.equal(parseDurationText("2 weeks"), 1209600);
    assert.equal(parseDurationText("1500"), 1.5);
    assert.equal(parseDurationText("soon"), undefined);
    assert.equal(redactSecret("keyboard cat"), '"keyb…" (12 chars)');
    assert.equal(redactSecret("key1"), '"k…" (4 chars)');
    assert.equal(redactSecret("ab"), '"…" (2 chars)');
  });
});

describe("hostile input never throws", () => {
  const jsTokens = fc.constantFrom(
    "session(",
    "createSessions(",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "secure",
    "cookie",
    "false",
    "process.env.X",
    "...",
    '"keyboard cat"',
    `\`${"$"}{a}\``,
    "=",
    ".",
    "sess",
    "if (x)",
    "/*",
    "//",
    "\n",
    "import session from 'express-session';",
    "res.cookie('sid',",
  );
  const pyTokens = fc.constantFrom(
    "SECRET_KEY",
    "SESSION_COOKIE_SECURE",
    "MIDDLEWARE",
    " = ",
    "False",
    "None",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "timedelta(",
    "os.environ.get(",
    "'x'",
    '"""',
    "\n",
    "    ",
    "class C(Config):",
    "@csrf_exempt",
    "from .base import *",
    "app.config.update(",
    "if DEBUG:",
    "#",
  );

  it("JavaScript/TypeScript", () => {
    fc.assert(
      fc.property(fc.array(jsTokens, { maxLength: 60 }), fc.string(), (tokens, noise) => {
        const result = lintScript(tokens.join(" ") + noise, "x.ts");
        assert.ok(Array.isArray(result.findings));
      }),
      { numRuns: 300 },
    );
  });

  // A hang guard, not a speed measurement (bench/lint-speed.ts measures speed): pathological
  // nesting must be refused, not parsed for minutes.
  it("deeply nested or absurdly chained files are skipped without a crash", {
    timeout: 60_000,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-deep-"));
    try {
      writeFileSync(
        join(dir, "a.js"),
        `session({ cookie: ${"[".repeat(50_000)}${"]".repeat(50_000)} });`,
      );
      writeFileSync(
        join(dir, "b.py"),
        `SESSION_COOKIE_SECURE = ${"(".repeat(30_000)}1${")".repeat(30_000)}\n`,
      );
      writeFileSync(join(dir, "c.py"), `SESSION_COOKIE_SECURE = ${"a.".repeat(20_000)}b\n`);
      const result = lintPaths([dir], dir);
      assert.deepEqual(result.unparsable.sort(), ["a.js", "b.py"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Python", () => {
    fc.assert(
      fc.property(fc.array(pyTokens, { maxLength: 60 }), fc.string(), (tokens, noise) => {
        const module = readModule(tokens.join("") + noise, "settings.py");
        lintFlask(module, false);
        lintDjango([{ module, path: "/p/settings.py" }]);
      }),
      { numRuns: 300 },
    );
  });
});
