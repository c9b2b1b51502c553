// The JSON Schemas latchkey-cli publishes (packages/latchkey-cli/schemas): real reports from real
// runs (audit against the Flask tutorial app and the hand-rolled sessions app, passive, active
// and with a baseline; lint on the fixture tree) validate against them with Ajv (2020-12, strict,
// formats), and so does every login description in the docs and fixtures; broken reports and
// descriptions are refused, by the schema and (for descriptions) by the parser alike.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseLoginDescription } from "../../packages/latchkey-cli/src/audit/login-description.ts";
import { CliError } from "../../packages/latchkey-cli/src/errors.ts";
import { findingIdsOf } from "../../packages/latchkey-cli/src/findings/catalogue.ts";
import { startNaiveApp } from "../fixtures/audit/apps/naive-sessions.ts";
import {
  auditReportErrors,
  lintReportErrors,
  loginDescriptionErrors,
  readSchema,
} from "../helpers/report-schemas.ts";
import { type RunningApp, runCli, startPythonApp } from "./harness.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const auditErrors = auditReportErrors;
const lintErrors = lintReportErrors;
const loginErrors = loginDescriptionErrors;

const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;
const activeLogin = join(repo, "test/fixtures/audit/active/simple-form.json");

describe("the schemas themselves", () => {
  it("are strict 2020-12 schemas with an $id under the published package", () => {
    for (const name of ["audit-report", "lint-report", "login-description"]) {
      const schema = readSchema(name);
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(schema.$id, `https://unpkg.com/latchkey-cli/schemas/${name}.schema.json`);
    }
  });

  it("resolve through the package's exports (latchkey-cli/schemas/…)", () => {
    const require = createRequire(join(repo, "package.json"));
    const path = require.resolve("latchkey-cli/schemas/audit-report.schema.json");
    assert.equal(JSON.parse(readFileSync(path, "utf8")).$id, readSchema("audit-report").$id);
  });

  it("list exactly the finding ids each command reports (kept in step with the catalogue)", () => {
    const ids = (name: string) => readSchema(name).$defs.finding.properties.id.enum;
    assert.deepEqual(ids("audit-report"), findingIdsOf("audit").sort());
    assert.deepEqual(ids("lint-report"), findingIdsOf("lint").sort());
  });
});

describe("real audit reports validate", () => {
  let flask: RunningApp;
  let naive: Awaited<ReturnType<typeof startNaiveApp>>;
  const dir = mkdtempSync(join(tmpdir(), "latchkey-schemas-"));
  before(async () => {
    flask = await startPythonApp("flask_default.py");
    naive = await startNaiveApp(PASSWORD);
  });
  after(async () => {
    await flask.stop();
    await naive.close();
  });

  const audit = async (...args: string[]) => {
    const run = await runCli(["audit", ...args, "--json"], {
      env: { AUDIT_PASSWORD: PASSWORD },
    });
    assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };

  it("a passive audit of the Flask tutorial app", async () => {
    const report = await audit(flask.url);
    assert.deepEqual(auditErrors(report), []);
    assert.equal(report.framework, "Flask");
    assert.ok(report.findings.length > 0);
  });

  it("an active audit (--login) with its steps, and one compared with a baseline", async () => {
    const active = await audit(
      naive.url,
      "--login",
      activeLogin,
      "--samples",
      "20",
      "--rate",
      "200",
    );
    assert.deepEqual(auditErrors(active), []);
    assert.ok(active.steps.length > 0);
    // A baseline with one finding this run will not see: the report then has all three states.
    const gone = { id: "cookie-missing-secure", cookie: "old", url: `${naive.url}gone` };
    const baseline = join(dir, "baseline.json");
    writeFileSync(baseline, JSON.stringify({ findings: [active.findings[0], gone] }));
    const compared = await audit(
      naive.url,
      "--login",
      activeLogin,
      "--samples",
      "20",
      "--rate",
      "200",
      "--baseline",
      baseline,
    );
    assert.deepEqual(auditErrors(compared), []);
    assert.equal(compared.fixed.length, 1);
    assert.deepEqual(
      compared.fixed.map((f: { cookie: string }) => f.cookie),
      ["old"],
    );
    assert.equal(compared.baseline.unchanged, 1);
    assert.equal(compared.baseline.new, compared.findings.length - 1);
  });

  it("a broken report is refused (the validator is not vacuous)", async () => {
    const report = await audit(flask.url);
    const broken: [string, (r: Record<string, unknown>) => void][] = [
      ["no counts", (r) => delete r.counts],
      ["an unknown severity", (r) => ((r.findings as { severity: string }[])[0]!.severity = "bad")],
      ["an id no command reports", (r) => ((r.findings as { id: string }[])[0]!.id = "made-up")],
      ["a key the schema does not know", (r) => (r.extra = 1)],
      ["a start that is not a date", (r) => (r.startedAt = "yesterday")],
      [
        "a fingerprint of another shape",
        (r) => ((r.findings as { fingerprint: string }[])[0]!.fingerprint = "x"),
      ],
      ["a lint report's files", (r) => (r.files = { scanned: 1, parsed: 1, unparsable: 0 })],
    ];
    for (const [why, mutate] of broken) {
      const copy = structuredClone(report);
      mutate(copy);
      assert.notDeepEqual(auditErrors(copy), [], why);
    }
  });
});

describe("real lint reports validate", () => {
  it("lint --json on the fixture tree", async () => {
    const run = await runCli(["lint", "test/fixtures/lint", "--json"]);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(lintErrors(report), []);
    assert.ok(report.files.scanned > 10 && report.files.parsed <= report.files.scanned);
    // An audit report is not a lint report.
    const broken = structuredClone(report);
    broken.findings[0].location = undefined;
    delete broken.findings[0].location;
    assert.notDeepEqual(lintErrors(broken), []);
  });
});

describe("login descriptions", () => {
  // Every description the repository shows or tests with: fixtures, the demo, docs examples.
  const fixtures = readdirSync(join(repo, "test/fixtures/audit/active"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({
      where: `test/fixtures/audit/active/${f}`,
      text: readFileSync(join(repo, "test/fixtures/audit/active", f), "utf8"),
    }));
  const demo = {
    where: "examples/demo/audit-login.json",
    text: readFileSync(join(repo, "examples/demo/audit-login.json"), "utf8"),
  };
  const docs = ["docs/audit.md", "docs/ci.md"].flatMap((file) =>
    [...readFileSync(join(repo, file), "utf8").matchAll(/```json\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((text) => /"loggedIn"/.test(text))
      .map((text, i) => ({ where: `${file} example ${i + 1}`, text })),
  );

  it("every example in docs and fixtures is valid for the schema and for the parser", () => {
    assert.ok(docs.length >= 4, "docs/audit.md and docs/ci.md show login descriptions");
    assert.ok(docs.some((d) => d.where.startsWith("docs/ci.md") && d.text.includes('"$schema"')));
    for (const { where, text } of [...fixtures, demo, ...docs]) {
      const description = JSON.parse(text);
      assert.deepEqual(loginErrors(description), [], where);
      parseLoginDescription(text);
    }
  });

  it("a $schema key is welcome in both (editor completion)", () => {
    const description = {
      $schema: "https://unpkg.com/latchkey-cli/schemas/login-description.schema.json",
      ...JSON.parse(demo.text),
    };
    assert.deepEqual(loginErrors(description), []);
    parseLoginDescription(JSON.stringify(description));
  });

  it("what the parser refuses, the schema refuses too", () => {
    const base = {
      login: { url: "/login", form: { username: "alice", password: { env: "PW" } } },
      loggedIn: { url: "/account" },
      logout: { url: "/logout" },
    };
    const invalid: [string, unknown][] = [
      ["no logout", { login: base.login, loggedIn: base.loggedIn }],
      ["an unknown top-level key", { ...base, extra: true }],
      ["form and json together", { ...base, login: { ...base.login, json: { a: 1 } } }],
      ["an unknown method", { ...base, logout: { url: "/logout", method: "TRACE" } }],
      ["a status out of range", { ...base, loggedIn: { url: "/account", status: 99 } }],
      [
        "an env value with a second key",
        { ...base, login: { url: "/login", form: { p: { env: "A", x: 1 } } } },
      ],
      [
        "a CSRF token with two sources",
        { ...base, login: { ...base.login, csrf: { input: "t", cookie: "c" } } },
      ],
      [
        "a CSRF probe sent with GET",
        { ...base, csrfProbe: { url: "/x", method: "get", form: { a: 1 } } },
      ],
      ["a CSRF probe without a body", { ...base, csrfProbe: { url: "/x" } }],
      ["a session cookie name with a space", { ...base, sessionCookie: "my sid" }],
      [
        "a browser login with a method",
        {
          ...base,
          login: {
            url: "/login",
            method: "POST",
            browser: { fill: [{ name: "u", value: "a" }], waitFor: { url: "/account" } },
          },
        },
      ],
      [
        "a browser login with nothing to fill",
        { ...base, login: { url: "/login", browser: { fill: [], waitFor: { url: "/account" } } } },
      ],
      [
        "a browser signal with two answers",
        {
          ...base,
          login: {
            url: "/login",
            browser: { fill: [{ name: "u", value: "a" }], waitFor: { url: "/a", cookie: "sid" } },
          },
        },
      ],
      [
        "a browser field with both name and selector",
        {
          ...base,
          login: {
            url: "/login",
            browser: { fill: [{ name: "u", selector: "#u", value: "a" }], waitFor: { url: "/a" } },
          },
        },
      ],
    ];
    assert.deepEqual(loginErrors(base), []);
    parseLoginDescription(JSON.stringify(base));
    for (const [why, description] of invalid) {
      assert.notDeepEqual(loginErrors(description), [], `schema accepts ${why}`);
      assert.throws(() => parseLoginDescription(JSON.stringify(description)), CliError, why);
    }
  });
});
