// Browser logins (`"login": { "browser": … }` in the login description) against a single-page
// app whose login only works with JavaScript: the form-post description cannot log in, Chromium
// can, and the active checks then tell the secure variant of the app from the careless one. Also:
// strict validation, a missing browser or playwright-core, a signal that never comes (the browser
// is closed, no process left), the fence that keeps the browser on the target's origin, and the
// password never printed.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { startFence } from "../../packages/latchkey-cli/src/audit/browser-fence.ts";
import { PROFILE_PREFIX } from "../../packages/latchkey-cli/src/audit/browser-login.ts";
import {
  checkEnvironment,
  checkSameOrigin,
  parseLoginDescription,
} from "../../packages/latchkey-cli/src/audit/login-description.ts";
import { isCliError } from "../../packages/latchkey-cli/src/errors.ts";
import { type SpaApp, startSpaLogin } from "../fixtures/audit/apps/spa-login.ts";
import { CHROMIUM, chromiumAvailable } from "../helpers/browser.ts";
import { skipOrFail } from "../helpers/service.ts";
import { type CliRun, type JsonFinding, runCli, summary } from "./harness.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/audit/active/${name}`, import.meta.url));
const BROWSER_DESCRIPTION = JSON.parse(readFileSync(fixture("spa-browser.json"), "utf8"));
const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;
const work = mkdtempSync(join(tmpdir(), "latchkey-browser-login-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface ActiveReport {
  findings: JsonFinding[];
  steps: { check: string; sent: string; received: string; note?: string }[];
}

/** The spa-browser.json description with `browser` fields replaced, written to a file. */
function variant(name: string, browser: Record<string, unknown>): string {
  const d = structuredClone(BROWSER_DESCRIPTION);
  Object.assign(d.login.browser, browser);
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(d));
  return file;
}

/** Runs `latchkey audit --login` with its own TMPDIR (where the browser profile goes). */
async function audit(url: string, file: string, ...extra: string[]) {
  const tmp = mkdtempSync(join(work, "tmp-"));
  const run = await runCli(
    ["audit", url, "--login", file, "--samples", "30", "--rate", "200", ...extra],
    { env: { AUDIT_PASSWORD: PASSWORD, TMPDIR: tmp } },
  );
  assertNoPassword(run);
  assertBrowserGone(tmp);
  return run;
}

function assertNoPassword(run: CliRun): void {
  for (const [name, text] of [
    ["stdout", run.stdout],
    ["stderr", run.stderr],
  ] as const) {
    assert.ok(!text.includes(PASSWORD), `${name} shows the password`);
    assert.ok(!text.includes(encodeURIComponent(PASSWORD)), `${name} shows the password, encoded`);
  }
}

/** No Chromium profile left in `tmp`, and no process still running with one of them. */
function assertBrowserGone(tmp: string): void {
  assert.deepEqual(
    readdirSync(tmp).filter((f) => f.startsWith(PROFILE_PREFIX)),
    [],
    "the browser profile was not deleted",
  );
  const alive: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // gone while we looked
    }
    if (cmdline.includes(tmp)) alive.push(`${pid}: ${cmdline.replaceAll("\0", " ").slice(0, 120)}`);
  }
  assert.deepEqual(alive, [], "a browser process outlived the audit");
}

function report(run: CliRun): ActiveReport {
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as ActiveReport;
  // Never a whole cookie value (64 hex characters here), only the redacted form.
  assert.doesNotMatch(run.stdout, /[0-9a-f]{40,}/, "the report shows a whole session id");
  return parsed;
}

const ids = (r: ActiveReport) => summary(r.findings);
// What the active checks found (exact), apart from the passive findings, which other checks
// may add to.
const ACTIVE = new Set([
  "session-fixation",
  "session-id-adopted",
  "logout-not-invalidated",
  "logout-cookie-not-cleared",
  "csrf-accepted",
  "session-id-low-entropy",
  "session-idle-timeout-long",
]);
const active = (r: ActiveReport) => summary(r.findings.filter((f) => ACTIVE.has(f.id)));
/** The passive checks judged the session cookie the browser's JSON login set. */
function assertCookieAudited(r: ActiveReport): void {
  for (const id of ["cookie-missing-secure sid", "cookie-prefix-missing sid"])
    assert.ok(
      ids(r).some((f) => f.endsWith(` ${id}`)),
      `${id} missing: ${ids(r).join(", ")}`,
    );
}
const browserSteps = (r: ActiveReport, check: string) =>
  r.steps.filter((s) => s.check === check && s.sent.startsWith("browser:"));

function needsChromium(t: TestContext): boolean {
  if (chromiumAvailable()) return true;
  skipOrFail(t, `Chromium not found at ${CHROMIUM}`);
  return false;
}

describe("login.browser: the description", () => {
  const base = () => structuredClone(BROWSER_DESCRIPTION);
  const parseError = (d: unknown): string => {
    try {
      parseLoginDescription(JSON.stringify(d));
    } catch (error) {
      assert.ok(isCliError(error, "input"), String(error));
      return error.message;
    }
    assert.fail("accepted");
  };

  it("reads fields by name or CSS selector, the signal, the timeout and the defaults", () => {
    const d = parseLoginDescription(readFileSync(fixture("spa-browser.json"), "utf8"));
    assert.equal(d.login.method, "GET");
    assert.deepEqual(d.login.browser?.fill, [
      { selector: '[name="username"]', label: "name=username", value: "alice" },
      { selector: "#pass", label: "#pass", value: { env: "AUDIT_PASSWORD" } },
    ]);
    assert.deepEqual(d.login.browser?.waitFor, { selector: "#welcome" });
    const minimal = base();
    minimal.login.browser = {
      fill: [{ name: 'we"ird\\name', value: 1 }],
      waitFor: { cookie: "sid" },
    };
    const m = parseLoginDescription(JSON.stringify(minimal)).login.browser!;
    assert.equal(m.submit, '[type="submit"]');
    assert.equal(m.timeoutMs, 30_000);
    // The quote and the backslash cannot end the attribute selector early.
    assert.equal(m.fill[0]!.selector, '[name="we\\"ird\\\\name"]');
  });

  it("refuses unknown keys and wrong types, naming the field", () => {
    const cases: [(d: ReturnType<typeof base>) => void, RegExp][] = [
      [(d) => (d.login.method = "POST"), /^login: unknown field "method" for a browser login/],
      [(d) => (d.login.form = {}), /^login: unknown field "form" for a browser login/],
      [(d) => (d.login.browser.script = "alert(1)"), /^login\.browser: unknown field "script"/],
      [(d) => (d.login.browser.fill = []), /^login\.browser\.fill must be a non-empty array/],
      [(d) => (d.login.browser.fill = "x"), /^login\.browser\.fill must be a non-empty array/],
      [
        (d) => (d.login.browser.fill[1].name = "pw"),
        /^login\.browser\.fill\[1\] needs exactly one of "name"/,
      ],
      [
        (d) => (d.login.browser.fill[0].value = { env: "A", extra: 1 }),
        /^login\.browser\.fill\[0\]\.value must be a string, number, boolean, null or \{ "env": "NAME" \}/,
      ],
      [(d) => delete d.login.browser.fill[0].value, /^login\.browser\.fill\[0\]\.value is missing/],
      [
        (d) => (d.login.browser.fill[0].onFill = "x"),
        /^login\.browser\.fill\[0\]: unknown field "onFill"/,
      ],
      [(d) => (d.login.browser.submit = 3), /^login\.browser\.submit must be a non-empty string/],
      [
        (d) => (d.login.browser.submit = "a\nb"),
        /^login\.browser\.submit must be a CSS selector of at most 1000 characters on one line/,
      ],
      [
        (d) => (d.login.browser.waitFor = { url: "/home", selector: "#x" }),
        /^login\.browser\.waitFor needs exactly one of "url", "selector" or "cookie"/,
      ],
      [(d) => (d.login.browser.waitFor = {}), /^login\.browser\.waitFor needs exactly one of/],
      [
        (d) => (d.login.browser.waitFor = { function: "() => true" }),
        /^login\.browser\.waitFor: unknown field "function"/,
      ],
      [
        (d) => (d.login.browser.waitFor = { cookie: "a b" }),
        /^login\.browser\.waitFor\.cookie is not a valid cookie name/,
      ],
      [(d) => delete d.login.browser.waitFor, /^login\.browser\.waitFor is missing/],
      [
        (d) => (d.login.browser.timeoutMs = 10),
        /^login\.browser\.timeoutMs must be a whole number of milliseconds from 1000 to 300000/,
      ],
      [(d) => (d.login.browser.timeoutMs = "30s"), /^login\.browser\.timeoutMs must be a whole/],
      [
        (d) => (d.login.browser.executablePath = "chromium"),
        /^login\.browser\.executablePath must be an absolute path/,
      ],
      [(d) => (d.login.browser = []), /^login\.browser must be an object/],
    ];
    for (const [change, expected] of cases) {
      const d = base();
      change(d);
      assert.match(parseError(d), expected);
    }
  });

  it("a waitFor URL off the target's origin, and unset environment variables, are refused", () => {
    const d = base();
    d.login.browser.waitFor = { url: "https://elsewhere.example/home" };
    const parsed = parseLoginDescription(JSON.stringify(d));
    assert.throws(
      () => checkSameOrigin(parsed, new URL("http://127.0.0.1:8080/")),
      /^CliError: login\.browser\.waitFor\.url \(https:\/\/elsewhere\.example\) is not on the target's origin http:\/\/127\.0\.0\.1:8080$/,
    );
    assert.throws(
      () =>
        checkEnvironment(parseLoginDescription(JSON.stringify(base())), {} as NodeJS.ProcessEnv),
      /login\.browser\.fill\[1\]\.value reads the environment variable AUDIT_PASSWORD, which is not set/,
    );
  });
});

describe("login.browser: the fence (the proxy Chromium must use)", () => {
  /** Sends raw `request` to the fence, returns the first line of the answer. */
  function ask(server: string, request: string): Promise<string> {
    const { port } = new URL(server);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n")) {
          socket.destroy();
          resolve(text.split("\r\n")[0]!);
        }
      });
      socket.on("error", reject);
      socket.on("end", () => resolve(text.split("\r\n")[0]!));
    });
  }

  it("forwards requests and tunnels to the target's host and port only", async () => {
    const seen: string[] = [];
    const target = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers["proxy-connection"] ?? "-"}`);
      res.writeHead(201, { "set-cookie": ["a=1", "b=2"] }).end("made");
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const port = (target.address() as AddressInfo).port;
    const fence = await startFence(new URL(`http://127.0.0.1:${port}/app/`));
    try {
      const get = (url: string) =>
        ask(fence.server, `GET ${url} HTTP/1.1\r\nhost: x\r\nproxy-connection: keep-alive\r\n\r\n`);
      assert.equal(await get(`http://127.0.0.1:${port}/login?x=1`), "HTTP/1.1 201 Created");
      assert.deepEqual(seen, ["GET /login?x=1 -"], "forwarded without the proxy's own headers");
      assert.equal(await get(`http://127.0.0.2:${port}/`), "HTTP/1.1 403 Forbidden");
      assert.equal(await get(`http://localhost:${port}/`), "HTTP/1.1 403 Forbidden");
      assert.equal(await get(`https://127.0.0.1:${port}/`), "HTTP/1.1 403 Forbidden");
      assert.equal(await get("/relative"), "HTTP/1.1 403 Forbidden");
      const tunnel = (to: string) =>
        ask(fence.server, `CONNECT ${to} HTTP/1.1\r\nhost: ${to}\r\n\r\n`);
      assert.equal(await tunnel(`127.0.0.1:${port}`), "HTTP/1.1 200 Connection Established");
      assert.equal(await tunnel(`127.0.0.1:${port + 1}`), "HTTP/1.1 403 Forbidden");
      assert.equal(await tunnel(`example.com:443`), "HTTP/1.1 403 Forbidden");
      assert.equal(fence.refused, 6);
      assert.equal(seen.length, 1, "nothing refused reached the target");
    } finally {
      await fence.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

describe("login.browser: a single-page app that logs in with fetch() and JSON", () => {
  let secure: SpaApp;
  let careless: SpaApp;
  before(async () => {
    secure = await startSpaLogin({ password: PASSWORD, secure: true });
    careless = await startSpaLogin({ password: PASSWORD, secure: false });
  });
  after(async () => {
    await secure.close();
    await careless.close();
  });

  it("the form-post description cannot log in: the server answers only the script's JSON", async () => {
    const run = await audit(secure.url, fixture("spa-form.json"), "--json");
    assert.equal(run.status, 2);
    assert.match(run.stderr, /the login did not succeed: POST \/login answered 200/);
    assert.equal(secure.hits.get("POST /api/login"), undefined);
  });

  it("Chromium logs in; the secure app passes fixation and logout, its cookie is audited", async (t) => {
    if (!needsChromium(t)) return;
    const html = join(work, "secure.html");
    const run = await audit(
      secure.url,
      fixture("spa-browser.json"),
      "--json",
      "--html",
      html,
      "--fail-on",
      "high",
    );
    const r = report(run);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(active(r), []);
    assertCookieAudited(r);
    // The login the browser made: the JSON request and its Set-Cookie, in the timeline.
    const login = browserSteps(r, "login");
    const post = login.find((s) => s.sent.startsWith("browser: POST /api/login"));
    assert.ok(post, JSON.stringify(login));
    assert.match(post.sent, /content-type: application\/json · json: username, password$/);
    assert.match(
      post.received,
      /^200 · Set-Cookie: sid=[0-9a-f]{4}…\(64 chars\); Path=\/; HttpOnly/,
    );
    assert.ok(
      login.some((s) => s.sent === "browser: wait for element #welcome" && s.note === "logged in"),
    );
    // The id changed at login and the old one is dead; after logout the copy is refused.
    assert.ok(
      r.steps.some((s) => s.check === "session-fixation" && s.received.startsWith("changed: ")),
    );
    const replay = r.steps.filter((s) => s.check === "logout-not-invalidated");
    assert.deepEqual(
      replay.map((s) => s.note),
      ["not logged in", "not logged in"],
    );
    // The adopted-id check logged in again, in a fresh browser, with a planted id.
    assert.ok(
      browserSteps(r, "session-id-adopted").some((s) =>
        s.sent.startsWith("browser: POST /api/login"),
      ),
    );
    assert.ok((secure.hits.get("POST /api/login") ?? 0) >= 2);
    const page = readFileSync(html, "utf8");
    assert.ok(!page.includes(PASSWORD), "the HTML report shows the password");
    assert.ok(
      page.includes("browser: POST /api/login"),
      "the HTML timeline has the browser's requests",
    );
  });

  it("the careless app: fixation and a session alive after logout (cookie signal)", async (t) => {
    if (!needsChromium(t)) return;
    const run = await audit(
      careless.url,
      variant("cookie-signal", { waitFor: { cookie: "sid" } }),
      "--json",
    );
    const r = report(run);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(active(r), ["high logout-not-invalidated sid", "high session-fixation sid"]);
    assertCookieAudited(r);
    const fixation = r.findings.find((f) => f.id === "session-fixation")!;
    assert.match(fixation.evidence, /is the same value after it/);
    assert.ok(
      browserSteps(r, "login").some(
        (s) => s.sent === "browser: wait for cookie sid" && s.note === "logged in",
      ),
    );
  });

  it("the browser stays on the target: foreign requests and redirects are refused (URL signal)", async (t) => {
    if (!needsChromium(t)) return;
    const foreignHits: string[] = [];
    const foreign = createServer((req, res) => {
      foreignHits.push(`${req.method} ${req.url}`);
      res.end("ok");
    });
    // Another loopback address: another origin, reachable if the browser were let through.
    await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.2", resolve));
    const port = (foreign.address() as AddressInfo).port;
    const app = await startSpaLogin({
      password: PASSWORD,
      secure: true,
      foreign: `http://127.0.0.2:${port}/`,
    });
    try {
      const run = await audit(
        app.url,
        variant("url-signal", { waitFor: { url: "/home" } }),
        "--json",
      );
      const r = report(run);
      assert.deepEqual(active(r), []);
      assert.ok((app.hits.get("GET /tracker") ?? 0) > 0, "the page did not reach for the redirect");
      assert.deepEqual(foreignHits, [], "the browser reached another origin");
      const refused = browserSteps(r, "login").find(
        (s) => s.sent === "browser: requests to other origins",
      );
      assert.match(
        refused?.received ?? "",
        /^\d+ refused \(the audit talks to http:\/\/127\.0\.0\.1:\d+ only\)$/,
      );
      assert.ok(browserSteps(r, "login").some((s) => s.sent === "browser: wait for URL /home"));
    } finally {
      await app.close();
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it("an https target (self-signed, --insecure): the browser reaches it through the fence's tunnel", async (t) => {
    if (!needsChromium(t)) return;
    const dir = mkdtempSync(join(work, "tls-"));
    const made = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    if (made.status !== 0)
      return skipOrFail(t, `openssl could not make a certificate: ${made.stderr}`);
    const app = await startSpaLogin({
      password: PASSWORD,
      secure: true,
      tls: {
        key: readFileSync(join(dir, "key.pem"), "utf8"),
        cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      },
    });
    try {
      const run = await audit(app.url, fixture("spa-browser.json"), "--json", "--insecure");
      const r = report(run);
      // Over https the cookie's missing Secure flag is a real (high) finding; the session
      // checks still pass.
      assert.ok(ids(r).includes("high cookie-missing-secure sid"), ids(r).join("\n"));
      assert.deepEqual(active(r), []);
      const post = browserSteps(r, "login").find((s) =>
        s.sent.startsWith("browser: POST /api/login"),
      );
      assert.match(post?.received ?? "", /^200 · Set-Cookie: sid=[0-9a-f]{4}…\(64 chars\)/);
      assert.ok(
        r.steps.some((s) => s.check === "session-fixation" && s.received.startsWith("changed: ")),
      );
    } finally {
      await app.close();
    }
  });

  it("a signal that never appears: a clear error, exit 2, the browser closed", async (t) => {
    if (!needsChromium(t)) return;
    const file = variant("never", { waitFor: { selector: "#never" }, timeoutMs: 20_000 });
    const run = await audit(secure.url, file, "--json");
    assert.equal(run.status, 2, run.stderr);
    assert.match(
      run.stderr,
      /^latchkey audit: --login: login\.browser: the logged-in signal \(element #never\) did not appear within 20000 ms of clicking #login-form button\[type=submit\]; the page is at \/home \(check the fields/m,
    );
    assert.equal(run.stdout, "");
  });

  it("a signal already there before the login is refused (it would prove nothing)", async (t) => {
    if (!needsChromium(t)) return;
    const run = await audit(secure.url, variant("early", { waitFor: { selector: "#login-form" } }));
    assert.equal(run.status, 2, run.stderr);
    assert.match(
      run.stderr,
      /login\.browser\.waitFor \(element #login-form\) is already there on the login page/,
    );
  });

  it("no browser: exit 2 naming the fix, before any request", async () => {
    const before = secure.hits.get("GET /") ?? 0;
    const missing = join(work, "no-such-chromium");
    const flag = await audit(secure.url, fixture("spa-browser.json"), "--browser-path", missing);
    assert.equal(flag.status, 2);
    assert.match(
      flag.stderr,
      new RegExp(
        `login\\.browser: no browser at ${missing} \\(from --browser-path\\); install Chromium`,
      ),
    );
    const env = await runCli(["audit", secure.url, "--login", fixture("spa-browser.json")], {
      env: { AUDIT_PASSWORD: PASSWORD, LATCHKEY_AUDIT_BROWSER: missing },
    });
    assert.equal(env.status, 2);
    assert.match(env.stderr, /no browser at .* \(from \$LATCHKEY_AUDIT_BROWSER\)/);
    const file = variant("exe", { executablePath: missing });
    const own = await audit(secure.url, file);
    assert.match(own.stderr, /no browser at .* \(from login\.browser\.executablePath\)/);
    assert.equal(secure.hits.get("GET /") ?? 0, before, "the audit sent requests first");
    const stray = await runCli(
      ["audit", secure.url, "--login", fixture("spa-form.json"), "--browser-path", missing],
      {
        env: { AUDIT_PASSWORD: PASSWORD },
      },
    );
    assert.equal(stray.status, 2);
    assert.match(
      stray.stderr,
      /--browser-path needs a login description with "login": \{ "browser": … \}/,
    );
    const alone = await runCli(["audit", secure.url, "--browser-path", missing]);
    assert.equal(alone.status, 2);
    assert.match(alone.stderr, /--browser-path needs --login/);
  });

  it("no playwright-core: exit 2 saying what to install", async (t) => {
    if (!needsChromium(t)) return;
    const hide = fileURLToPath(new URL("../fixtures/audit/hide-playwright.mjs", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--import",
        hide,
        "packages/latchkey-cli/src/cli.ts",
        "audit",
        secure.url,
        "--login",
        fixture("spa-browser.json"),
      ],
      {
        env: { ...process.env, AUDIT_PASSWORD: PASSWORD, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const status = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(status, 2, stderr);
    assert.match(
      stderr,
      /login\.browser needs the playwright-core package, which is not installed: run npm install --save-dev playwright-core/,
    );
    assert.ok(!stderr.includes(PASSWORD));
  });
});
