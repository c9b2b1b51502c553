// Logs in with a real browser (`login.browser` in the login description): Chromium, driven by
// playwright-core (an optional peer: imported only when a description asks for a browser), opens
// the login page, fills the fields, clicks, and waits for the logged-in signal. The cookies it
// then holds for the target's site go into the jar, and every response it saw becomes the same
// kind of result the form-post login returns, so every active check and the report's request
// timeline work unchanged. The browser talks to the target's origin only, never downloads
// anything, and is closed (its profile deleted) whatever happens.
import { accessSync, constants, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page, Response } from "playwright-core";
import { CliError, isCliError } from "../errors.ts";
import type { ReportStep } from "../report/finding.ts";
import type { BrowserLoginSpec, BrowserSignal } from "./browser-description.ts";
import type { Fence } from "./browser-fence.ts";
import { startFence } from "./browser-fence.ts";
import type { CookieJar } from "./cookie-jar.ts";
import type { FetchedResponse } from "./fetch.ts";
import { ANALYSED_HTML_CHARS } from "./html-tags.ts";
import type { ValueSpec } from "./login-description.ts";
import { resolveValue } from "./login-description.ts";
import type { SecretValue } from "./secret-values.ts";
import { scrubSecrets } from "./secret-values.ts";
import { lifetimeSeconds, parseSetCookie, redact, redactSetCookie } from "./set-cookie.ts";

/** Where Debian and Ubuntu put Chromium; used when nothing names a browser. */
export const DEFAULT_BROWSER = "/usr/bin/chromium";
/** The environment variable that names the browser (below `--browser-path`, above the file). */
export const BROWSER_ENV = "LATCHKEY_AUDIT_BROWSER";
/** The user-data directories' prefix, under the system temp directory. */
export const PROFILE_PREFIX = "latchkey-audit-browser-";

// Headless, no sandbox (containers and CI runners rarely allow one), no GPU, and none of
// Chromium's own traffic (updates, sync, field trials): the audit talks to the target only.
const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
// A login page loads a handful of documents and API calls; past this many, stop keeping them.
const MAX_RESPONSES = 200;
const POLL_MS = 100;
const BODY_WAIT_MS = 10_000;

export interface BrowserLoginInput {
  target: URL;
  spec: BrowserLoginSpec;
  /** The login page (resolved on the target's origin). */
  url: URL;
  env: NodeJS.ProcessEnv;
  jar: CookieJar;
  check: string;
  record: boolean;
  note: (step: ReportStep) => void;
}

/** What the form-post login returns: the responses before the submit, and from it on. */
export interface BrowserLoginResult {
  page: FetchedResponse[];
  login: FetchedResponse[];
}

/**
 * The browser to launch: `--browser-path`, then `$LATCHKEY_AUDIT_BROWSER`, then the
 * description's `executablePath`, then /usr/bin/chromium. Throws a CliError naming the fix when
 * it is missing or not executable; nothing is ever downloaded.
 */
export function resolveBrowserPath(spec: BrowserLoginSpec, env: NodeJS.ProcessEnv): string {
  const named: [string | undefined, string][] = [
    [spec.runtime?.executablePath, "--browser-path"],
    [env[BROWSER_ENV] || undefined, `$${BROWSER_ENV}`],
    [spec.executablePath, "login.browser.executablePath"],
  ];
  for (const [path, from] of named) {
    if (path === undefined) continue;
    if (!isExecutable(path))
      throw new CliError(
        "active-check",
        `login.browser: no browser at ${path} (from ${from}); install Chromium (e.g. apt-get install chromium) and point ${from} at its executable`,
      );
    return path;
  }
  if (isExecutable(DEFAULT_BROWSER)) return DEFAULT_BROWSER;
  throw new CliError(
    "active-check",
    `login.browser: no browser found (${DEFAULT_BROWSER} does not exist); install Chromium (e.g. apt-get install chromium) or name its executable with --browser-path, $${BROWSER_ENV} or login.browser.executablePath. latchkey audit never downloads a browser`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** playwright-core's `chromium`, or a CliError saying how to install it. */
export async function loadChromium(): Promise<typeof import("playwright-core").chromium> {
  try {
    return (await import("playwright-core")).chromium;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(
      "active-check",
      `login.browser needs the playwright-core package, which ${code === "ERR_MODULE_NOT_FOUND" ? "is not installed" : "could not be loaded"}: run npm install --save-dev playwright-core (it drives the Chromium already on this machine; no browser is downloaded)`,
      { cause: error },
    );
  }
}

/** Logs in with a fresh browser, starting from the cookies in `jar`, and leaves the result in it. */
export async function browserLogIn(input: BrowserLoginInput): Promise<BrowserLoginResult> {
  const { spec, target } = input;
  const secrets = fieldSecrets(
    spec.fill.map((f) => f.value),
    input.env,
  );
  const values = spec.fill.map((f, i) =>
    resolveValue(f.value, `login.browser.fill[${i}].value`, input.env),
  );
  const executablePath = resolveBrowserPath(spec, input.env);
  const chromium = await loadChromium();
  const deadline = Date.now() + spec.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const profile = await mkdtemp(join(tmpdir(), PROFILE_PREFIX));
  let context: BrowserContext | undefined;
  let fence: Fence | undefined;
  let stage = "launch Chromium";
  try {
    fence = await startFence(target);
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      // Every request through the fence, loopback included (Chromium bypasses proxies for
      // loopback unless told not to).
      args: [...LAUNCH_ARGS, `--proxy-server=${fence.server}`, "--proxy-bypass-list=<-loopback>"],
      timeout: left(),
      ignoreHTTPSErrors: spec.runtime?.insecure ?? false,
      serviceWorkers: "block",
      acceptDownloads: false,
    });
    stage = "give the browser the jar's cookies";
    const session = new Session(context, target, spec.waitFor, fence);
    await session.start(input.jar);
    const page = context.pages()[0] ?? (await context.newPage());
    stage = `open ${path(input.url)}`;
    session.action(`browser: open ${path(input.url)}`, "(Chromium, headless)");
    await page.goto(input.url.href, { waitUntil: "load", timeout: left() });
    stage = "check the logged-in signal before the login";
    if (await signalSeen(page, spec.waitFor, target, session, true))
      throw new CliError(
        "active-check",
        `login.browser.waitFor (${describeSignal(spec.waitFor)}) is already there on the login page, before any login: name a URL, element or cookie only a logged-in user gets`,
      );
    for (const [i, field] of spec.fill.entries()) {
      stage = `fill ${field.label}`;
      await page.locator(`css=${field.selector}`).first().fill(values[i]!, { timeout: left() });
    }
    stage = `click ${spec.submit}`;
    session.action(
      `browser: fill ${spec.fill.map((f) => f.label).join(", ")}; click ${spec.submit}`,
      "(in the page)",
    );
    session.clicked = true;
    await page.locator(`css=${spec.submit}`).first().click({ timeout: left() });
    stage = `wait for ${describeSignal(spec.waitFor)}`;
    await waitForSignal(page, spec, target, session, deadline);
    session.action(`browser: wait for ${describeSignal(spec.waitFor)}`, "seen", "logged in");
    stage = "read the cookies";
    const cookies = (await context.cookies()).filter((c) => onSite(c.domain, target.hostname));
    const names = new Set(cookies.map((c) => c.name));
    for (const name of input.jar.names()) if (!names.has(name)) input.jar.delete(name);
    for (const c of cookies) input.jar.set(c.name, c.value);
    session.action(
      `browser: take the cookies of ${target.hostname}`,
      input.jar.redactedHeader() || "(none)",
    );
    const result = await session.finish(deadline);
    if (input.record) for (const step of result.steps) input.note({ ...step, check: input.check });
    return { page: result.page, login: result.login };
  } catch (error) {
    if (isCliError(error)) throw new CliError(error.code, scrubSecrets(error.message, secrets));
    const message = error instanceof Error ? error.message : String(error);
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    throw new CliError(
      "active-check",
      scrubSecrets(
        timedOut
          ? `login.browser: ${stage}: not done within login.browser.timeoutMs (${spec.timeoutMs} ms)`
          : `login.browser: ${stage}: ${firstLine(message)}`,
        secrets,
      ),
      { cause: error },
    );
  } finally {
    // Closing the context ends the browser process; the profile goes with it.
    await context?.close().catch(() => undefined);
    await fence?.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

interface Entry {
  afterClick: boolean;
  done: Promise<{ step?: ReportStep; response?: FetchedResponse } | undefined>;
}

/** One browser login's bookkeeping: the origin fence, the responses seen, the cookie signal. */
class Session {
  readonly #context: BrowserContext;
  readonly #target: URL;
  readonly #signal: BrowserSignal;
  readonly #entries: Entry[] = [];
  readonly #fence: Fence;
  clicked = false;
  /** A response after the click set the signal's cookie. */
  cookieSet = false;

  constructor(context: BrowserContext, target: URL, signal: BrowserSignal, fence: Fence) {
    this.#context = context;
    this.#target = target;
    this.#signal = signal;
    this.#fence = fence;
  }

  async start(jar: CookieJar): Promise<void> {
    const origin = this.#target.origin;
    this.#context.on("response", (response) => {
      if (this.#entries.length >= MAX_RESPONSES) return;
      this.#entries.push({ afterClick: this.clicked, done: this.#capture(response) });
    });
    const cookies = jar.names().map((name) => ({
      name,
      value: jar.get(name) ?? "",
      url: `${origin}/`,
    }));
    if (cookies.length > 0) await this.#context.addCookies(cookies);
  }

  action(sent: string, received: string, note?: string): void {
    const step: ReportStep = { check: "", sent, received, ...(note ? { note } : {}) };
    this.#entries.push({ afterClick: this.clicked, done: Promise.resolve({ step }) });
  }

  /** Everything seen, in order; responses still being read by the deadline are left out. */
  async finish(deadline: number) {
    const page: FetchedResponse[] = [];
    const login: FetchedResponse[] = [];
    const steps: ReportStep[] = [];
    for (const entry of this.#entries) {
      const got = await within(entry.done, deadline - Date.now());
      if (got?.step !== undefined) steps.push(got.step);
      if (got?.response !== undefined) (entry.afterClick ? login : page).push(got.response);
    }
    if (this.#fence.refused > 0)
      steps.push({
        check: "",
        sent: "browser: requests to other origins",
        received: `${this.#fence.refused} refused (the audit talks to ${this.#target.origin} only)`,
      });
    return { page, login, steps };
  }

  async #capture(response: Response) {
    try {
      // The fence's refusals come back as responses too; they are not the target's.
      if (new URL(response.url()).origin !== this.#target.origin) return undefined;
      const request = response.request();
      const headerList = await response.headersArray();
      const setCookies = headerList
        .filter((h) => h.name.toLowerCase() === "set-cookie")
        .flatMap((h) => h.value.split("\n"))
        .filter((h) => h !== "");
      if (
        this.clicked &&
        this.#signal.cookie !== undefined &&
        sets(setCookies, this.#signal.cookie)
      )
        this.cookieSet = true;
      // Documents and API calls are the login; scripts, styles and images only when they set
      // a cookie.
      const kind = request.resourceType();
      if (!["document", "fetch", "xhr"].includes(kind) && setCookies.length === 0) return undefined;
      const headers: Record<string, string> = {};
      for (const { name, value } of headerList) {
        const key = name.toLowerCase();
        if (key === "set-cookie") continue;
        headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
      }
      const status = response.status();
      // Only documents' bodies: they are what the passive checks read. A fetch() body the page
      // never reads is never finished in Chromium, and would hold the login up to its deadline.
      const body =
        kind !== "document" || (status >= 300 && status < 400)
          ? ""
          : (
              (await within(
                response.text().catch(() => ""),
                BODY_WAIT_MS,
              )) ?? ""
            ).slice(0, ANALYSED_HTML_CHARS);
      const sentHeaders = await request.allHeaders().catch(() => ({}) as Record<string, string>);
      const fetched: FetchedResponse = { url: response.url(), status, headers, setCookies, body };
      const step: ReportStep = {
        check: "",
        sent: describeSent(request.method(), response.url(), sentHeaders, request.postData()),
        received: describeReceived(fetched, this.#target),
      };
      return { step, response: fetched };
    } catch {
      // The page navigated away or closed before the response could be read.
      return undefined;
    }
  }
}

async function waitForSignal(
  page: Page,
  spec: BrowserLoginSpec,
  target: URL,
  session: Session,
  deadline: number,
): Promise<void> {
  const signal = spec.waitFor;
  try {
    if (signal.selector !== undefined) {
      await page
        .locator(`css=${signal.selector}`)
        .first()
        .waitFor({ state: "visible", timeout: Math.max(1, deadline - Date.now()) });
      return;
    }
    while (Date.now() < deadline) {
      if (await signalSeen(page, signal, target, session, false)) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (error) {
    if (!(error instanceof Error && error.name === "TimeoutError")) throw error;
  }
  throw new CliError(
    "active-check",
    `login.browser: the logged-in signal (${describeSignal(signal)}) did not appear within ${spec.timeoutMs} ms of clicking ${spec.submit}; the page is at ${path(new URL(page.url()))} (check the fields, the credentials, login.browser.submit and login.browser.waitFor)`,
  );
}

async function signalSeen(
  page: Page,
  signal: BrowserSignal,
  target: URL,
  session: Session,
  before: boolean,
): Promise<boolean> {
  if (signal.url !== undefined) {
    const want = new URL(signal.url, target);
    let now: URL;
    try {
      now = new URL(page.url());
    } catch {
      return false;
    }
    return (
      now.origin === want.origin &&
      now.pathname === want.pathname &&
      now.search === want.search &&
      // A URL's fragment (its `hash`), not a secret: compared as the plain string it is.
      (want.hash === "" || fragmentOf(now) === fragmentOf(want))
    );
  }
  if (signal.selector !== undefined)
    return page
      .locator(`css=${signal.selector}`)
      .first()
      .isVisible()
      .catch(() => false);
  // Before the click no cookie can have been set "by the login".
  return !before && session.cookieSet;
}

function sets(setCookies: readonly string[], name: string): boolean {
  return setCookies.some((header) => {
    const c = parseSetCookie(header);
    if (c?.name !== name || c.value === "") return false;
    const lifetime = lifetimeSeconds(c, Date.now());
    return lifetime === undefined || lifetime > 0;
  });
}

function describeSignal(signal: BrowserSignal): string {
  if (signal.url !== undefined) return `URL ${signal.url}`;
  if (signal.selector !== undefined) return `element ${signal.selector}`;
  return `cookie ${signal.cookie}`;
}

/** As the HTTP client's steps: method, path, cookies redacted, the body's field names only. */
function describeSent(
  method: string,
  href: string,
  headers: Record<string, string>,
  body: string | null,
): string {
  const parts = [`browser: ${method} ${path(new URL(href))}`];
  const cookies = (headers.cookie ?? "")
    .split(/;\s*/)
    .filter((c) => c !== "")
    .map((c) => {
      const eq = c.indexOf("=");
      return eq < 0 ? c : `${c.slice(0, eq)}=${redact(c.slice(eq + 1))}`;
    });
  parts.push(cookies.length === 0 ? "no cookies" : `cookie ${cookies.join("; ")}`);
  for (const name of ["origin", "sec-fetch-site", "content-type"])
    if (headers[name] !== undefined) parts.push(`${name}: ${headers[name].slice(0, 120)}`);
  if (body !== null && body !== "") parts.push(bodyFields(body, headers["content-type"] ?? ""));
  return parts.join(" · ");
}

function bodyFields(body: string, type: string): string {
  let names: string[] | undefined;
  if (type.includes("json")) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        names = Object.keys(parsed);
    } catch {
      names = undefined;
    }
  } else if (type.includes("application/x-www-form-urlencoded"))
    names = [...new URLSearchParams(body).keys()];
  if (names === undefined) return `body: ${body.length} bytes`;
  const shown = names.slice(0, 20).map((n) => n.slice(0, 40));
  return `${type.includes("json") ? "json" : "form"}: ${shown.join(", ") || "(empty)"}`;
}

function describeReceived(response: FetchedResponse, target: URL): string {
  const parts = [String(response.status)];
  const location = response.headers.location;
  if (location !== undefined) {
    try {
      const url = new URL(location, response.url);
      parts[0] += ` → ${url.origin === target.origin ? path(url) : location.slice(0, 120)}`;
    } catch {
      parts[0] += ` → ${location.slice(0, 120)}`;
    }
  }
  for (const header of response.setCookies) {
    const cookie = parseSetCookie(header);
    if (cookie !== undefined) parts.push(`Set-Cookie: ${redactSetCookie(cookie)}`);
  }
  return parts.join(" · ");
}

function fieldSecrets(values: readonly ValueSpec[], env: NodeJS.ProcessEnv): SecretValue[] {
  const out: SecretValue[] = [];
  for (const v of values) {
    if (v === null || typeof v !== "object") continue;
    const text = env[v.env];
    if (text !== undefined && text !== "") out.push({ name: v.env, value: text });
  }
  return out.sort((a, b) => b.value.length - a.value.length);
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return Promise.race([promise, Promise.resolve(undefined)]);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Host-only cookies carry the host; domain cookies a leading dot. */
function onSite(domain: string, host: string): boolean {
  const d = domain.replace(/^\./, "").toLowerCase();
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === d || h.endsWith(`.${d}`);
}

function path(url: URL): string {
  return `${url.pathname}${url.search}${url.hash}`.slice(0, 200);
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? "").slice(0, 300);
}

const fragmentOf = (url: URL): string => url.hash;
