// The login description (`latchkey audit --login login.json`): how the active checks log in,
// tell logged-in from logged-out, log out, and (optionally) which state-changing request to
// probe for CSRF. Read and checked here, with errors that name the field; credentials come from
// environment variables named in the file and are never printed.

import { CliError } from "../errors.ts";
import type { BrowserLoginSpec } from "./browser-description.ts";
import { parseBrowserLogin } from "./browser-description.ts";
import { fail, object, only, string } from "./description-fields.ts";

/** A literal, or `{ "env": "NAME" }`: the value of an environment variable (for credentials). */
export type ValueSpec = string | number | boolean | null | { env: string };

/** Where an anti-CSRF token comes from, and how it is sent back. */
export interface TokenSpec {
  /** Page fetched (GET) for the token. Default for `login`: the login URL. */
  page?: string;
  /** Take the `value` of `<input name="…">` (or `content` of `<meta name="…">`) on the page. */
  input?: string;
  /** Or: a regular expression whose first group is the token (searched in the page body). */
  regex?: string;
  /** Or: the value of this cookie (double-submit schemes such as Django's `csrftoken`). */
  cookie?: string;
  /** Send it as this form or JSON field (default: the `input` name). */
  field?: string;
  /** Or as this request header, e.g. `X-CSRFToken`. */
  header?: string;
}

export interface RequestSpec {
  /** Relative to the target, or absolute on the target's origin. */
  url: string;
  method: string;
  form?: Record<string, ValueSpec>;
  json?: Record<string, ValueSpec>;
  headers?: Record<string, ValueSpec>;
  csrf?: TokenSpec;
  /** `login` only: log in with a real browser at `url` (method is then GET, no body). */
  browser?: BrowserLoginSpec;
}

export interface LoggedInSpec {
  url: string;
  /** Status that means logged in (default: any 2xx). */
  status?: number;
  /** Text the body contains when logged in. */
  text?: string;
}

export interface CsrfProbeSpec extends RequestSpec {
  /** What success looks like (default: a status below 400). */
  success?: { status?: number; text?: string };
}

export interface LoginDescription {
  login: RequestSpec;
  loggedIn: LoggedInSpec;
  logout: RequestSpec;
  csrfProbe?: CsrfProbeSpec;
  /** The session cookie's name; found by elimination when absent. */
  sessionCookie?: string;
  /** A page that issues a fresh session to a visitor without cookies (entropy samples). */
  freshSession?: { url: string };
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses and checks a login description. Throws a `CliError` with code "input" naming the field.
 *
 * @example parseLoginDescription(readFileSync("login.json", "utf8"))
 */
export function parseLoginDescription(text: string): LoginDescription {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      "input",
      `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const top = object(raw, "the login description");
  only(top, "the login description", [
    "login",
    "loggedIn",
    "logout",
    "csrfProbe",
    "sessionCookie",
    "freshSession",
    "$comment",
    // The schema's URL (schemas/login-description.schema.json), for editor completion.
    "$schema",
  ]);
  const description: LoginDescription = {
    login: loginRequest(top.login),
    loggedIn: loggedIn(top.loggedIn),
    logout: request(top.logout, "logout", "POST", false),
  };
  if (top.csrfProbe !== undefined) {
    const probe = object(top.csrfProbe, "csrfProbe");
    const { success, ...rest } = probe;
    const spec: CsrfProbeSpec = request(rest, "csrfProbe", "POST", false);
    if (spec.method === "GET") throw fail("csrfProbe.method must be a state-changing method");
    if (spec.form === undefined && spec.json === undefined)
      throw fail('csrfProbe needs a "form" or "json" body');
    if (success !== undefined) {
      const s = object(success, "csrfProbe.success");
      only(s, "csrfProbe.success", ["status", "text"]);
      spec.success = {
        ...(s.status !== undefined ? { status: status(s.status, "csrfProbe.success.status") } : {}),
        ...(s.text !== undefined ? { text: string(s.text, "csrfProbe.success.text") } : {}),
      };
    }
    description.csrfProbe = spec;
  }
  if (top.sessionCookie !== undefined) {
    const name = string(top.sessionCookie, "sessionCookie");
    if (!HEADER_NAME.test(name)) throw fail("sessionCookie is not a valid cookie name");
    description.sessionCookie = name;
  }
  if (top.freshSession !== undefined) {
    const fresh = object(top.freshSession, "freshSession");
    only(fresh, "freshSession", ["url"]);
    description.freshSession = { url: string(fresh.url, "freshSession.url") };
  }
  return description;
}

/** Every URL the description names, for the same-origin check. */
export function urlsOf(d: LoginDescription): { field: string; url: string }[] {
  const out = [
    { field: "login.url", url: d.login.url },
    { field: "loggedIn.url", url: d.loggedIn.url },
    { field: "logout.url", url: d.logout.url },
  ];
  const pages: [string, RequestSpec | undefined][] = [
    ["login", d.login],
    ["logout", d.logout],
    ["csrfProbe", d.csrfProbe],
  ];
  for (const [name, spec] of pages) {
    if (spec?.csrf?.page !== undefined)
      out.push({ field: `${name}.csrf.page`, url: spec.csrf.page });
  }
  if (d.csrfProbe !== undefined) out.push({ field: "csrfProbe.url", url: d.csrfProbe.url });
  if (d.freshSession !== undefined)
    out.push({ field: "freshSession.url", url: d.freshSession.url });
  const signal = d.login.browser?.waitFor.url;
  if (signal !== undefined) out.push({ field: "login.browser.waitFor.url", url: signal });
  return out;
}

/**
 * Resolves every URL against the target and refuses any that leaves the target's origin: the
 * active checks talk to nothing else.
 */
export function checkSameOrigin(d: LoginDescription, target: URL): void {
  for (const { field, url } of urlsOf(d)) {
    let resolved: URL;
    try {
      resolved = new URL(url, target);
    } catch {
      throw fail(`${field} is not a URL: ${JSON.stringify(url)}`);
    }
    if (resolved.origin !== target.origin)
      throw fail(`${field} (${resolved.origin}) is not on the target's origin ${target.origin}`);
  }
}

/**
 * Resolves `{ "env": "NAME" }` values. Throws when a named variable is unset, before any request.
 * Returns every resolved secret, so the caller can make sure none is ever printed.
 */
export function resolveValue(value: ValueSpec, field: string, env: NodeJS.ProcessEnv): string {
  if (value !== null && typeof value === "object") {
    const v = env[value.env];
    if (v === undefined)
      throw fail(`${field} reads the environment variable ${value.env}, which is not set`);
    return v;
  }
  return value === null ? "" : String(value);
}

/** Checks that every environment variable the description names is set. */
export function checkEnvironment(d: LoginDescription, env: NodeJS.ProcessEnv): void {
  const specs: [string, RequestSpec | undefined][] = [
    ["login", d.login],
    ["logout", d.logout],
    ["csrfProbe", d.csrfProbe],
  ];
  for (const [name, spec] of specs) {
    for (const part of ["form", "json", "headers"] as const) {
      for (const [key, value] of Object.entries(spec?.[part] ?? {}))
        resolveValue(value, `${name}.${part}.${key}`, env);
    }
  }
  for (const [i, f] of (d.login.browser?.fill ?? []).entries())
    resolveValue(f.value, `login.browser.fill[${i}].value`, env);
}

// A browser login has only the page to open and what to do there: method, body, headers and
// token are the page's own business.
function loginRequest(raw: unknown): RequestSpec {
  const r = object(raw, "login");
  if (r.browser === undefined) return request(r, "login", "POST", true);
  for (const key of Object.keys(r))
    if (!["url", "browser", "$comment"].includes(key))
      throw fail(
        `login: unknown field "${key}" for a browser login (expected url, browser: the browser fills the page's own form)`,
      );
  return {
    url: string(r.url, "login.url"),
    method: "GET",
    browser: parseBrowserLogin(r.browser, "login.browser"),
  };
}

function request(raw: unknown, field: string, defaultMethod: string, isLogin: boolean) {
  const r = object(raw, field);
  only(r, field, ["url", "method", "form", "json", "headers", "csrf", "$comment"]);
  const method = (r.method === undefined ? defaultMethod : string(r.method, `${field}.method`))
    .toUpperCase()
    .trim();
  if (!METHODS.has(method))
    throw fail(`${field}.method must be one of ${[...METHODS].join(", ")}; got ${method}`);
  const spec: RequestSpec = { url: string(r.url, `${field}.url`), method };
  if (r.form !== undefined && r.json !== undefined)
    throw fail(`${field} has both "form" and "json"; choose one`);
  if (r.form !== undefined) spec.form = values(r.form, `${field}.form`);
  if (r.json !== undefined) spec.json = values(r.json, `${field}.json`);
  if (r.headers !== undefined) {
    spec.headers = values(r.headers, `${field}.headers`);
    for (const name of Object.keys(spec.headers))
      if (!HEADER_NAME.test(name)) throw fail(`${field}.headers: invalid header name ${name}`);
  }
  if ((spec.form !== undefined || spec.json !== undefined) && method === "GET")
    throw fail(`${field}: a GET request cannot carry a form or JSON body`);
  if (r.csrf !== undefined) spec.csrf = token(r.csrf, `${field}.csrf`, isLogin, spec);
  return spec;
}

function token(raw: unknown, field: string, isLogin: boolean, spec: RequestSpec): TokenSpec {
  const t = object(raw, field);
  only(t, field, ["page", "input", "regex", "cookie", "field", "header"]);
  const out: TokenSpec = {};
  for (const key of ["page", "input", "regex", "cookie", "field", "header"] as const)
    if (t[key] !== undefined) out[key] = string(t[key], `${field}.${key}`);
  const sources = [out.input, out.regex, out.cookie].filter((s) => s !== undefined);
  if (sources.length !== 1)
    throw fail(`${field} needs exactly one of "input", "regex" or "cookie" (where the token is)`);
  if (out.regex !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(out.regex);
    } catch (error) {
      throw fail(`${field}.regex: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (new RegExp(`${re.source}|`).exec("")!.length < 2)
      throw fail(`${field}.regex needs a capture group around the token`);
  }
  if (out.field === undefined && out.header === undefined) {
    if (out.input === undefined)
      throw fail(`${field} needs "field" or "header" (how the token is sent back)`);
    out.field = out.input;
  }
  if (out.header !== undefined && !HEADER_NAME.test(out.header))
    throw fail(`${field}.header is not a valid header name`);
  if (out.field !== undefined && spec.form === undefined && spec.json === undefined)
    throw fail(`${field}.field needs a "form" or "json" body to put the token in`);
  // Fetching the request's own URL with GET is only safe for the login page.
  if (out.page === undefined && out.cookie === undefined && !isLogin)
    throw fail(`${field}.page is needed: the page (GET) that shows the token`);
  return out;
}

function loggedIn(raw: unknown): LoggedInSpec {
  const r = object(raw, "loggedIn");
  only(r, "loggedIn", ["url", "status", "text", "$comment"]);
  const spec: LoggedInSpec = { url: string(r.url, "loggedIn.url") };
  if (r.status !== undefined) spec.status = status(r.status, "loggedIn.status");
  if (r.text !== undefined) spec.text = string(r.text, "loggedIn.text");
  return spec;
}

function values(raw: unknown, field: string): Record<string, ValueSpec> {
  const r = object(raw, field);
  const out: Record<string, ValueSpec> = {};
  for (const [key, v] of Object.entries(r)) {
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) out[key] = v as ValueSpec;
    else if (
      typeof v === "object" &&
      !Array.isArray(v) &&
      Object.keys(v).length === 1 &&
      typeof (v as { env?: unknown }).env === "string"
    )
      out[key] = { env: (v as { env: string }).env };
    else throw fail(`${field}.${key} must be a string, number, boolean, null or { "env": "NAME" }`);
  }
  return out;
}

function status(raw: unknown, field: string): number {
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 100 || raw > 599)
    throw fail(`${field} must be an HTTP status code (100–599)`);
  return raw;
}
