// Real apps started by the tests; each must yield exactly its expected findings.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { startExpressDefault } from "../fixtures/audit/apps/express-default.ts";
import { startLatchkeyApp } from "../fixtures/audit/apps/latchkey-app.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import { type JsonFinding, type RunningApp, runCli, startPythonApp, summary } from "./harness.ts";

async function auditJson(url: string, ...extra: string[]) {
  const run = await runCli(["audit", url, "--json", ...extra]);
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as {
    target: string;
    findings: JsonFinding[];
    skipped?: { check: string; cookie?: string; reason: string }[];
  };
  return { run, report };
}

async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
const redisKeys = (prefix: string) => withRedis((redis) => redis.keys(`${prefix}*`));
const deleteRedisKeys = (prefix: string) =>
  withRedis(async (redis) => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

function assertRedacted(findings: readonly JsonFinding[], secrets: readonly string[]) {
  for (const f of findings)
    for (const s of secrets) assert.ok(!f.evidence.includes(s), `${f.id} evidence leaks a secret`);
}

describe("audit: Flask with default config", () => {
  const python = ensurePython({ flask: "flask" });
  let app: RunningApp | undefined;
  before(async () => {
    if (python.ok) app = await startPythonApp("flask_default.py");
  });
  after(() => app?.stop());

  it("finds the weak secret, readable session data and the missing attributes", async (t) => {
    if (!python.ok || app === undefined)
      return skipOrFail(t, `python3/Flask not reachable: ${python.ok ? "" : python.reason}`);
    const { run, report } = await auditJson(app.url);
    assert.equal(run.status, 1);
    assert.deepEqual(summary(report.findings), [
      "critical session-secret-weak session",
      "info cookie-missing-secure session",
      "info hsts-missing",
      "info https-redirect-missing",
      "low cookie-prefix-missing session",
      "low csp-missing",
      "medium cache-control-missing session",
      "medium cookie-samesite-missing session",
      "medium session-data-readable session",
    ]);
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    assert.match(byId.get("session-data-readable")!.evidence, /"visits", "user_id", "username"/);
    assert.match(byId.get("cookie-samesite-missing")!.fix, /SESSION_COOKIE_SAMESITE = 'Lax'/);
    assert.match(byId.get("session-secret-weak")!.fix, /SECRET_KEY/);
    // Flask's cookie IS the session: the secret that signs it is the session.
    assert.match(
      byId.get("session-secret-weak")!.severityReason ?? "",
      /^signed client-side data \(flask\): the secret IS the session/,
    );
    assert.match(
      byId.get("session-data-readable")!.severityReason ?? "",
      /^signed client-side data \(flask\): signing protects integrity, not confidentiality/,
    );
    for (const f of report.findings) assert.ok(f.severityReason, `${f.id} explains its severity`);
    // A passive run says what it did not test.
    assert.ok(report.skipped?.some((s) => s.check === "active checks"));
  });
});

describe("audit: Flask hardened (Secure, SameSite=Lax, Flask-Session on Redis)", () => {
  const python = ensurePython({ flask: "flask", flask_session: "flask-session", redis: "redis" });
  let app: RunningApp | undefined;
  let failure = "";
  const prefix = `latchkey-test:audit:${randomBytes(4).toString("hex")}:`;
  before(async () => {
    if (!python.ok) return;
    try {
      app = await startPythonApp("flask_hardened.py", {
        SECRET_KEY: randomBytes(32).toString("hex"),
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        SESSION_KEY_PREFIX: prefix,
      });
    } catch (error) {
      failure = String(error);
    }
  });
  after(async () => {
    await app?.stop();
    if (app !== undefined) await deleteRedisKeys(prefix);
  });

  it("leaves only development-transport notes", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask-Session not reachable: ${python.reason}`);
    if (app === undefined)
      return skipOrFail(t, `Flask-Session app did not start (Redis?): ${failure}`);
    const { run, report } = await auditJson(app.url);
    assert.equal(run.status, 0);
    assert.deepEqual(summary(report.findings), [
      "info hsts-missing",
      "info https-redirect-missing",
    ]);
    // The sessions really live in Redis, under the app's own prefix.
    assert.ok((await redisKeys(prefix)).length > 0, "no Flask-Session keys in Redis");
  });
});

describe("audit: Django default settings", () => {
  const python = ensurePython({ django: "django" });
  let app: RunningApp | undefined;
  before(async () => {
    if (python.ok) app = await startPythonApp("django_default.py");
  });
  after(() => app?.stop());

  it("reports the startproject defaults", async (t) => {
    if (!python.ok || app === undefined)
      return skipOrFail(t, `python3/Django not reachable: ${python.ok ? "" : python.reason}`);
    const { run, report } = await auditJson(app.url);
    assert.equal(run.status, 0);
    assert.deepEqual(summary(report.findings), [
      "info cookie-missing-secure csrftoken",
      "info cookie-missing-secure sessionid",
      "info hsts-missing",
      "info https-redirect-missing",
      "low cookie-lifetime-long sessionid",
      "low cookie-name-fingerprint sessionid",
      "low cookie-prefix-missing sessionid",
      "low csp-missing",
      "medium cache-control-missing sessionid",
    ]);
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    assert.match(byId.get("cookie-lifetime-long")!.evidence, /lifetime 14 days/);
    assert.match(byId.get("cookie-lifetime-long")!.fix, /SESSION_COOKIE_AGE/);
    assert.match(byId.get("cache-control-missing")!.fix, /never_cache/);
  });
});

describe("audit: express-session defaults", () => {
  let app: Awaited<ReturnType<typeof startExpressDefault>>;
  before(async () => {
    app = await startExpressDefault();
  });
  after(() => app.close());

  it("cracks 'keyboard cat' and flags the default cookie", async () => {
    const { run, report } = await auditJson(app.url);
    // The secret signs only the id of a server-side session: medium, below --fail-on high.
    assert.equal(run.status, 0);
    assert.deepEqual(summary(report.findings), [
      "info cookie-missing-secure connect.sid",
      "info hsts-missing",
      "info https-redirect-missing",
      "low cookie-name-fingerprint connect.sid",
      "low cookie-prefix-missing connect.sid",
      "low csp-missing",
      "medium cache-control-missing connect.sid",
      "medium cookie-samesite-missing connect.sid",
      "medium session-secret-weak connect.sid",
    ]);
    const weak = report.findings.find((f) => f.id === "session-secret-weak")!;
    assert.match(weak.severityReason ?? "", /^an id into server-side state \(express-session/);
    assert.match(weak.severityReason ?? "", /only signs the id/);
    assertRedacted(report.findings, ["keyboard cat"]);
    const fixes = report.findings.map((f) => f.fix).join("\n");
    assert.match(fixes, /session\(\{ cookie: \{ sameSite: 'lax' \} \}\)/);
  });
});

describe("audit: an app using latchkey", () => {
  let app: Awaited<ReturnType<typeof startLatchkeyApp>>;
  before(async () => {
    app = await startLatchkeyApp();
  });
  after(() => app.close());

  it("has no finding of medium or higher", async () => {
    const setCookie = (await fetch(app.url)).headers.getSetCookie();
    assert.match(
      setCookie.join("\n"),
      /^__Host-session=/,
      "the app must really set latchkey's cookie",
    );
    const { run, report } = await auditJson(app.url, "--fail-on", "medium");
    assert.equal(run.status, 0);
    assert.deepEqual(summary(report.findings), [
      "info hsts-missing",
      "info https-redirect-missing",
    ]);
  });
});
