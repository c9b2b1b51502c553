// Active checks (`latchkey audit --login`) against real apps started by the tests; each must
// yield exactly its expected findings (passive ones included: the login exchange is audited too).
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { startExpressLogin } from "../fixtures/audit/apps/express-login.ts";
import { startIronSessionLogin } from "../fixtures/audit/apps/iron-session-login.ts";
import { startLatchkeyLogin } from "../fixtures/audit/apps/latchkey-login.ts";
import { startNaiveApp } from "../fixtures/audit/apps/naive-sessions.ts";
import { ensurePython } from "../helpers/python.ts";
import { sarifErrors } from "../helpers/sarif.ts";
import { skipOrFail } from "../helpers/service.ts";
import { type JsonFinding, type RunningApp, runCli, startPythonApp, summary } from "./harness.ts";

const loginFile = (name: string) =>
  fileURLToPath(new URL(`../fixtures/audit/active/${name}`, import.meta.url));

interface ActiveReport {
  target: string;
  findings: JsonFinding[];
  skipped: { check: string; cookie?: string; reason: string }[];
  steps: { check: string; sent: string; received: string; note?: string }[];
}

const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;

/** `latchkey audit --login` with small, fast sample counts; the password comes from the env. */
async function activeAudit(url: string, file: string, ...extra: string[]) {
  const run = await runCli(
    [
      "audit",
      url,
      "--json",
      "--login",
      loginFile(file),
      "--samples",
      "30",
      "--rate",
      "200",
      ...extra,
    ],
    { env: { AUDIT_PASSWORD: PASSWORD } },
  );
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as ActiveReport;
  // Never the password, never a whole cookie value or token (long runs of token characters).
  assert.ok(!run.stdout.includes(PASSWORD), "the report leaks the password");
  assert.doesNotMatch(run.stdout, /[A-Za-z0-9_\-%.]{40,}/, "the report leaks a long token");
  assert.ok(report.steps.length > 0, "the report shows the steps");
  return { run, report };
}

const byId = (report: ActiveReport) => new Map(report.findings.map((f) => [f.id, f]));
const DEV_NOTES = ["info hsts-missing", "info https-redirect-missing"];

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
/** Why Redis cannot be used, or undefined when it answers. */
const redisDown = () =>
  withRedis((redis) => redis.ping()).then(
    () => undefined,
    (error: unknown) => String(error),
  );
const deleteRedisKeys = (prefix: string) =>
  withRedis(async (redis) => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

describe("active audit: hand-rolled sessions with every mistake", () => {
  let app: Awaited<ReturnType<typeof startNaiveApp>>;
  before(async () => {
    app = await startNaiveApp(PASSWORD);
  });
  after(() => app.close());

  it("finds fixation, adoption, logout replay, CSRF, a counter id and a long idle session", async () => {
    const { run, report } = await activeAudit(app.url, "simple-form.json", "--idle-probe", "1s");
    assert.equal(run.status, 1);
    assert.deepEqual(summary(report.findings), [
      "high csrf-accepted",
      "high logout-not-invalidated sid",
      "high session-fixation sid",
      "high session-id-adopted sid",
      "high session-id-low-entropy sid",
      "info cookie-missing-secure sid",
      "info dbsc-not-offered sid",
      ...DEV_NOTES,
      "low cookie-prefix-missing sid",
      "low csp-missing",
      "low logout-cookie-not-cleared sid",
      "medium cache-control-missing sid",
      "medium cookie-samesite-missing sid",
      "medium session-idle-timeout-long sid",
    ]);
    const f = byId(report);
    assert.match(f.get("session-id-low-entropy")!.evidence, /below 64 \(NIST/);
    assert.match(f.get("session-id-low-entropy")!.evidence, /shared prefix sid-/);
    assert.match(f.get("csrf-accepted")!.evidence, /foreign Origin, no token/);
    assert.match(f.get("csrf-accepted")!.evidence, /text\/plain/);
    assert.match(f.get("session-idle-timeout-long")!.evidence, /unused for 1 s/);
  });

  it("--sarif: the active findings as valid SARIF 2.1.0 results", async () => {
    const run = await runCli(
      [
        "audit",
        app.url,
        "--sarif",
        "--login",
        loginFile("simple-form.json"),
        "--samples",
        "30",
        "--rate",
        "200",
      ],
      { env: { AUDIT_PASSWORD: PASSWORD } },
    );
    assert.equal(run.status, 1, run.stderr);
    const log = JSON.parse(run.stdout);
    assert.deepEqual(sarifErrors(log), []);
    const rules = log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const id of [
      "session-fixation",
      "session-id-adopted",
      "csrf-accepted",
      "session-id-low-entropy",
    ])
      assert.ok(rules.includes(id), id);
  });
});

describe("active audit: a bit test failure is re-run on a fresh batch", () => {
  // 128-bit random hex ids, but every 30th has seven zero digits in a row (28 zero bits): any 30
  // consecutive ids hold one, so each batch of 30 fails FIPS 140-2's long run test while the
  // per-position entropy still reads 128 bits.
  const everyThirtieth = (index: number) => {
    const id = randomBytes(16).toString("hex");
    return index % 30 === 29 ? `${id.slice(0, 10)}0000000${id.slice(17)}` : id;
  };

  it("a failure the fresh batch repeats is reported, with both runs in the steps", async () => {
    const app = await startNaiveApp(PASSWORD, { newId: everyThirtieth });
    try {
      const { report } = await activeAudit(app.url, "simple-form.json");
      const finding = byId(report).get("session-id-low-entropy");
      assert.equal(finding?.severity, "medium");
      assert.match(
        finding?.evidence ?? "",
        // The long run fails on every batch by construction; another test may fail beside it by
        // chance (each is set at about 4 σ), so the fresh batch's list only has to include it.
        /FIPS 140-2 long run .* failed; and again on a fresh batch: (?:[a-z]+, )*long run/,
      );
      assert.match(finding?.evidence ?? "", /≈ 128 bits/);
      const entropySteps = report.steps.filter((s) => s.check === "session-id-low-entropy");
      assert.equal(entropySteps.filter((s) => /^\d+ requests: /.test(s.sent)).length, 2);
      const again = entropySteps.find((s) => s.sent === "bit tests again, on a fresh batch");
      assert.match(again?.received ?? "", /^failed: 30 samples, 30 distinct; .*long run FAIL/);
    } finally {
      await app.close();
    }
  });

  it("random ids give no finding", async () => {
    const app = await startNaiveApp(PASSWORD, { newId: () => randomBytes(16).toString("hex") });
    try {
      const { report } = await activeAudit(app.url, "simple-form.json");
      assert.equal(byId(report).get("session-id-low-entropy"), undefined);
      const entropySteps = report.steps.filter((s) => s.check === "session-id-low-entropy");
      assert.match(entropySteps.find((s) => s.sent === "estimate")?.received ?? "", /≈ 128 bits/);
    } finally {
      await app.close();
    }
  });
});

describe("active audit: express-session", () => {
  const secret = randomBytes(32).toString("hex");
  const passive = [
    "info cookie-missing-secure connect.sid",
    "info dbsc-not-offered connect.sid",
    ...DEV_NOTES,
    "low cookie-name-fingerprint connect.sid",
    "low cookie-prefix-missing connect.sid",
    "low csp-missing",
    "medium cache-control-missing connect.sid",
    "medium cookie-samesite-missing connect.sid",
  ];

  it("without regenerate(): fixation, a cookie left behind, no CSRF protection", async () => {
    const app = await startExpressLogin({ regenerate: false, password: PASSWORD, secret });
    try {
      const { report } = await activeAudit(app.url, "simple-form.json");
      assert.deepEqual(
        summary(report.findings),
        [
          ...passive,
          "high csrf-accepted",
          "high session-fixation connect.sid",
          "low logout-cookie-not-cleared connect.sid",
        ].sort(),
      );
      const f = byId(report);
      assert.match(f.get("session-fixation")!.fix, /req\.session\.regenerate\(\)/);
      assert.match(f.get("csrf-accepted")!.fix, /csrfMiddleware/);
      // express-session ids: the "s:" prefix and the signature are not counted as entropy.
      const estimate = report.steps.find((s) => s.sent === "estimate")!;
      assert.match(estimate.received, /32 varying base64url positions ≈ 192 bits/);
    } finally {
      await app.close();
    }
  });

  it("Passport-style logout with the README's 'keyboard cat': a signed id, a replaced cookie", async () => {
    const app = await startExpressLogin({
      regenerate: true,
      logout: "passport",
      password: PASSWORD,
      secret: "keyboard cat",
    });
    try {
      const { run, report } = await activeAudit(app.url, "simple-form.json");
      // Logout destroys the old session and hands out a fresh anonymous id: nothing of the old
      // session is left, so no logout-cookie-not-cleared. The weak secret signs only the id.
      assert.deepEqual(
        summary(report.findings),
        [...passive, "high csrf-accepted", "medium session-secret-weak connect.sid"].sort(),
      );
      assert.equal(run.status, 1);
      const weak = byId(report).get("session-secret-weak")!;
      assert.match(weak.severityReason ?? "", /^an id into server-side state \(express-session/);
      assert.match(weak.severityReason ?? "", /taking over a session still needs a live random id/);
      const replaced = report.steps.find((s) => s.check === "logout-cookie-not-cleared");
      assert.match(replaced?.received ?? "", /^replaced: /);
      assert.match(replaced?.note ?? "", /old one no longer logs in/);
      // An id into server-side state: the id checks apply, and ran.
      assert.ok(!report.skipped.some((s) => s.check === "session-id-low-entropy"));
      assert.ok(!report.skipped.some((s) => s.check === "session-id-adopted"));
      assert.ok(report.steps.some((s) => s.check === "session-id-adopted"));
    } finally {
      await app.close();
    }
  });

  it("with regenerate() and destroy(): only the missing CSRF protection", async () => {
    const app = await startExpressLogin({ regenerate: true, password: PASSWORD, secret });
    try {
      const { report } = await activeAudit(app.url, "simple-form.json");
      assert.deepEqual(summary(report.findings), [...passive, "high csrf-accepted"].sort());
    } finally {
      await app.close();
    }
  });
});

describe("active audit: an app using latchkey (sessions + csrfMiddleware)", () => {
  it("has no active finding; an idle session expires", async () => {
    const app = await startLatchkeyLogin({ password: PASSWORD, idleTimeout: "2s" });
    try {
      const { run, report } = await activeAudit(app.url, "latchkey.json", "--idle-probe", "3s");
      assert.equal(run.status, 0);
      assert.deepEqual(summary(report.findings), [
        "info dbsc-not-offered __Host-session",
        ...DEV_NOTES,
      ]);
      const notes = report.steps.map((s) => `${s.check}: ${s.note ?? ""}`);
      assert.ok(notes.includes("csrf-accepted: foreign Origin, no token: refused"));
      assert.ok(notes.includes("idle-probe: not logged in"));
      assert.ok(notes.includes("logout-not-invalidated: not logged in"));
    } finally {
      await app.close();
    }
  });

  it("a JSON endpoint with a header token: cross-site and text/plain refused, no finding", async () => {
    const app = await startLatchkeyLogin({ password: PASSWORD });
    try {
      const { run, report } = await activeAudit(app.url, "latchkey-json.json");
      assert.equal(run.status, 0);
      assert.deepEqual(summary(report.findings), [
        "info dbsc-not-offered __Host-session",
        ...DEV_NOTES,
      ]);
      const notes = report.steps.filter((s) => s.check === "csrf-accepted").map((s) => s.note);
      assert.ok(notes.includes("text/plain from a foreign Origin, no token: refused"));
      assert.ok(
        notes.some((n) => n?.startsWith("same Origin, no token: ACCEPTED (a JSON request")),
      );
    } finally {
      await app.close();
    }
  });
});

describe("active audit: iron-session (sealed cookie sessions)", () => {
  it("names the seal, skips the entropy verdict and reports that logout cannot revoke a copy", async () => {
    const app = await startIronSessionLogin({
      password: PASSWORD,
      sealPassword: randomBytes(32).toString("base64url"),
    });
    try {
      const { run, report } = await activeAudit(app.url, "simple-form.json");
      assert.equal(run.status, 1);
      // iron-session's defaults: Secure, HttpOnly, SameSite=Lax, a 14-day Max-Age.
      assert.deepEqual(summary(report.findings), [
        "high csrf-accepted",
        "high logout-not-invalidated app_session",
        "info dbsc-not-offered app_session",
        ...DEV_NOTES,
        "low cookie-lifetime-long app_session",
        "low cookie-prefix-missing app_session",
        "low csp-missing",
        "medium cache-control-missing app_session",
      ]);
      const logout = byId(report).get("logout-not-invalidated")!;
      assert.match(logout.evidence, /client-side iron-session \(Fe26\.2 iron seal\)/);
      assert.match(logout.evidence, /by design/);
      assert.match(
        logout.severityReason ?? "",
        /^sealed client-side data \(iron-session.*\): the session lives in the cookie/,
      );
      const entropy = report.steps.find((s) => s.check === "session-id-low-entropy")!;
      assert.equal(entropy.received, "skipped");
      assert.match(entropy.note ?? "", /iron-session .* \(encrypted data, not a random id\)/);
      // Sealed data carries no id: entropy and adoption do not apply, and the report says why;
      // nothing can be read or cracked either.
      const skips = report.skipped
        .filter((s) => s.cookie === "app_session")
        .map((s) => s.check)
        .sort();
      assert.deepEqual(skips, [
        "session-data-readable",
        "session-id-adopted",
        "session-id-low-entropy",
        "session-secret-weak",
      ]);
      const adoption = report.skipped.find((s) => s.check === "session-id-adopted")!;
      assert.match(adoption.reason, /^sealed client-side data .*no id to plant/);
    } finally {
      await app.close();
    }
  });
});

describe("active audit: Flask-Login (login_user() keeps the session id)", () => {
  const python = ensurePython({
    flask: "flask",
    flask_login: "flask-login",
    flask_wtf: "flask-wtf",
    flask_session: "flask-session",
    redis: "redis",
  });
  const passive = [
    "info cookie-missing-secure session",
    "info dbsc-not-offered session",
    ...DEV_NOTES,
    "low cookie-prefix-missing session",
    "low csp-missing",
    "medium cache-control-missing session",
    "medium cookie-samesite-missing session",
  ];

  it("with Flask's cookie session: logout cannot revoke a copied cookie", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask-Login not reachable: ${python.reason}`);
    const app = await startPythonApp("flask_login_app.py", {
      SECRET_KEY: randomBytes(32).toString("hex"),
      ALICE_PASSWORD: PASSWORD,
    });
    try {
      const { report } = await activeAudit(app.url, "flask-login.json");
      assert.deepEqual(
        summary(report.findings),
        [
          ...passive,
          "high logout-not-invalidated session",
          "low logout-cookie-not-cleared session",
          "medium session-data-readable session",
        ].sort(),
      );
      const f = byId(report).get("logout-not-invalidated")!;
      assert.match(f.evidence, /by design/);
      assert.match(f.fix, /Flask-Session/);
      assert.match(f.severityReason ?? "", /^signed client-side data \(flask\)/);
      // Logout replaced the cookie, but the old value still logs in: something of it survives.
      assert.match(
        byId(report).get("logout-cookie-not-cleared")!.evidence,
        /replaced session with a new value, but the session it held was not ended/,
      );
      const skipped = report.steps.find((s) => s.check === "session-id-low-entropy")!;
      assert.match(skipped.note ?? "", /client-side session/);
    } finally {
      await app.stop();
    }
  });

  it("with remember=True: two cookies log in on their own, and the remember cookie survives logout", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask-Login not reachable: ${python.reason}`);
    const app = await startPythonApp("flask_login_app.py", {
      SECRET_KEY: randomBytes(32).toString("hex"),
      ALICE_PASSWORD: PASSWORD,
      REMEMBER: "1",
    });
    try {
      const { report } = await activeAudit(app.url, "flask-login.json");
      // Flask-Login expires the browser's remember_token at logout (so no
      // logout-cookie-not-cleared for it), yet a copy taken before logout logs in again.
      const remember = [
        "info cookie-missing-secure remember_token",
        "low cookie-lifetime-long remember_token",
        "low cookie-prefix-missing remember_token",
        "medium cache-control-missing remember_token",
        "medium cookie-samesite-missing remember_token",
      ];
      assert.deepEqual(
        summary(report.findings),
        [
          ...passive,
          ...remember,
          "high logout-not-invalidated remember_token",
          "high logout-not-invalidated session",
          "low logout-cookie-not-cleared session",
          "medium session-data-readable session",
        ].sort(),
      );
      const logout = report.findings.filter((f) => f.id === "logout-not-invalidated");
      const rememberFinding = logout.find((f) => f.cookie === "remember_token")!;
      assert.match(
        rememberFinding.evidence,
        /remember_token cookie captured before logout .*sent alone/,
      );
      assert.match(rememberFinding.evidence, /Flask-Login's remember cookie/);
      // Its fix is Flask-Login's, not the session cookie's: a per-login get_id() token and the
      // REMEMBER_COOKIE_* settings.
      assert.match(rememberFinding.fix, /get_id\(\) return a per-login token/);
      assert.match(rememberFinding.fix, /REMEMBER_COOKIE_DURATION/);
      assert.match(rememberFinding.fix, /REMEMBER_COOKIE_SECURE = True, REMEMBER_COOKIE_HTTPONLY/);
      assert.match(rememberFinding.fix, /REMEMBER_COOKIE_SAMESITE = 'Lax'/);
      assert.match(
        rememberFinding.severityReason ?? "",
        /^signed client-side data \(Flask-Login remember cookie\)/,
      );
      const insecure = report.findings.find(
        (f) => f.id === "cookie-missing-secure" && f.cookie === "remember_token",
      ) as JsonFinding & { title: string };
      assert.equal(insecure.title, "Remember-me cookie sent without Secure");
      assert.equal(insecure.fix, "Set REMEMBER_COOKIE_SECURE = True.");
      assert.match(logout.find((f) => f.cookie === "session")!.evidence, /by design/);
      const found = report.steps.find(
        (s) => s.check === "session-cookie" && s.note?.includes("2 cookies"),
      );
      assert.match(found?.received ?? "", /logged in on its own: session, remember_token/);
      // Each authenticating cookie is checked for fixation; remember_token has no pre-login value.
      assert.ok(
        report.steps.some(
          (s) => s.check === "session-fixation" && s.received === "no remember_token before login",
        ),
      );
    } finally {
      await app.stop();
    }
  });

  it("with Flask-Session on Redis: the pre-login id is kept (fixation)", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask-Session not reachable: ${python.reason}`);
    const down = await redisDown();
    if (down !== undefined) return skipOrFail(t, `Redis not reachable: ${down}`);
    const prefix = `latchkey-test:audit-active:${randomBytes(4).toString("hex")}:`;
    let app: RunningApp;
    try {
      app = await startPythonApp("flask_login_app.py", {
        SECRET_KEY: randomBytes(32).toString("hex"),
        ALICE_PASSWORD: PASSWORD,
        SESSION_BACKEND: "redis",
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        SESSION_KEY_PREFIX: prefix,
      });
    } catch (error) {
      return skipOrFail(t, `Flask-Login app on Redis did not start: ${String(error)}`);
    }
    try {
      const { report } = await activeAudit(app.url, "flask-login.json");
      assert.deepEqual(
        summary(report.findings),
        [
          ...passive,
          "high session-fixation session",
          "low cookie-lifetime-long session",
          "low logout-cookie-not-cleared session",
        ].sort(),
      );
      assert.match(byId(report).get("session-fixation")!.fix, /session_interface\.regenerate/);
    } finally {
      await app.stop();
      await deleteRedisKeys(prefix);
    }
  });
});

describe("active audit: Flask tutorial app (GET /login, session.clear() at logout)", () => {
  const python = ensurePython({ flask: "flask" });
  it("clearing the session expires the cookie, yet a copy still works", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const app = await startPythonApp("flask_default.py");
    try {
      const { report } = await activeAudit(app.url, "flask-default.json");
      assert.deepEqual(summary(report.findings), [
        "critical session-secret-weak session",
        "high logout-not-invalidated session",
        "info cookie-missing-secure session",
        "info dbsc-not-offered session",
        ...DEV_NOTES,
        "low cookie-prefix-missing session",
        "low csp-missing",
        "medium cache-control-missing session",
        "medium cookie-samesite-missing session",
        "medium session-data-readable session",
      ]);
      assert.match(byId(report).get("logout-not-invalidated")!.evidence, /by design/);
    } finally {
      await app.stop();
    }
  });
});

describe("active audit: Flask-Session that rotates at login and clears at logout", () => {
  const python = ensurePython({
    flask: "flask",
    flask_wtf: "flask-wtf",
    flask_session: "flask-session",
    redis: "redis",
  });
  it("has no active finding", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask-Session not reachable: ${python.reason}`);
    const down = await redisDown();
    if (down !== undefined) return skipOrFail(t, `Redis not reachable: ${down}`);
    const prefix = `latchkey-test:audit-active:${randomBytes(4).toString("hex")}:`;
    let app: RunningApp;
    try {
      app = await startPythonApp("flask_session_app.py", {
        SECRET_KEY: randomBytes(32).toString("hex"),
        ALICE_PASSWORD: PASSWORD,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        SESSION_KEY_PREFIX: prefix,
      });
    } catch (error) {
      return skipOrFail(t, `Flask-Session app did not start (Redis?): ${String(error)}`);
    }
    try {
      const { run, report } = await activeAudit(app.url, "flask-login.json");
      assert.equal(run.status, 0);
      assert.deepEqual(summary(report.findings), [
        "info dbsc-not-offered __Host-session",
        ...DEV_NOTES,
      ]);
      const fixation = report.steps.find(
        (s) => s.check === "session-fixation" && s.received.startsWith("changed"),
      );
      assert.ok(fixation, "the id changed at login");
    } finally {
      await app.stop();
      await deleteRedisKeys(prefix);
    }
  });
});

describe("active audit: Django (auth.login rotates, logout flushes, CSRF middleware)", () => {
  const python = ensurePython({ django: "django" });
  it("has no active finding", async (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Django not reachable: ${python.reason}`);
    const app = await startPythonApp("django_auth.py", { ALICE_PASSWORD: PASSWORD });
    try {
      const { run, report } = await activeAudit(app.url, "django.json");
      assert.equal(run.status, 0);
      assert.deepEqual(summary(report.findings), [
        "info cookie-missing-secure csrftoken",
        "info cookie-missing-secure sessionid",
        "info dbsc-not-offered sessionid",
        ...DEV_NOTES,
        "low cookie-lifetime-long sessionid",
        "low cookie-name-fingerprint sessionid",
        "low cookie-prefix-missing sessionid",
        "low csp-missing",
        "medium cache-control-missing sessionid",
      ]);
      // A pre-login session (from freshSession) was replaced at login and no longer works.
      const i = report.steps.findIndex(
        (s) => s.check === "session-fixation" && s.received.startsWith("changed"),
      );
      assert.ok(i >= 0, "the id changed at login");
      assert.equal(report.steps[i + 1]?.note, "not logged in");
    } finally {
      await app.stop();
    }
  });
});
