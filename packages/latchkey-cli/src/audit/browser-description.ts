// The `login.browser` part of a login description: log in with a real browser (single-page
// apps whose login only works with JavaScript). Read and checked here, strictly: unknown keys
// and wrong types are errors naming the field. The description can only name CSS selectors,
// input names, values and a URL/selector/cookie to wait for — no script of its own.
import { fail, object, only, string } from "./description-fields.ts";
import type { ValueSpec } from "./login-description.ts";

/** One field to fill: where it is and what goes in (a literal or `{ "env": "NAME" }`). */
export interface BrowserField {
  /** The CSS selector used (an input name becomes `[name="…"]`). */
  selector: string;
  /** How the field appears in the report: `name=username` or the selector as written. */
  label: string;
  value: ValueSpec;
}

/** What says "logged in" in the browser; exactly one is set. */
export interface BrowserSignal {
  /** The page's URL is this one (path and query; with a `#…`, the fragment too). */
  url?: string;
  /** An element matching this CSS selector is visible. */
  selector?: string;
  /** A response after the click sets this cookie to a non-empty value. */
  cookie?: string;
}

export interface BrowserLoginSpec {
  fill: BrowserField[];
  /** CSS selector of the control clicked to submit (default `[type="submit"]`). */
  submit: string;
  waitFor: BrowserSignal;
  /** The whole browser login, launch to captured cookies, at most this long (ms). */
  timeoutMs: number;
  /** Chromium to drive, when neither `--browser-path` nor the environment names one. */
  executablePath?: string;
  /** Set by the command line (`--browser-path`, `--insecure`), never read from the file. */
  runtime?: { executablePath?: string; insecure?: boolean };
}

export const DEFAULT_SUBMIT = '[type="submit"]';
export const DEFAULT_BROWSER_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 300_000;
const MIN_TIMEOUT_MS = 1000;
const MAX_FIELDS = 20;
const MAX_SELECTOR = 1000;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters end a selector early or hide part of it in an error message.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Parses `login.browser`; `field` is its path for error messages. */
export function parseBrowserLogin(raw: unknown, field: string): BrowserLoginSpec {
  const r = object(raw, field);
  only(r, field, ["fill", "submit", "waitFor", "timeoutMs", "executablePath", "$comment"]);
  if (!Array.isArray(r.fill) || r.fill.length === 0)
    throw fail(`${field}.fill must be a non-empty array of fields to fill`);
  if (r.fill.length > MAX_FIELDS) throw fail(`${field}.fill has more than ${MAX_FIELDS} fields`);
  const spec: BrowserLoginSpec = {
    fill: r.fill.map((f, i) => fillField(f, `${field}.fill[${i}]`)),
    submit: r.submit === undefined ? DEFAULT_SUBMIT : selector(r.submit, `${field}.submit`),
    waitFor: signal(r.waitFor, `${field}.waitFor`),
    timeoutMs: DEFAULT_BROWSER_TIMEOUT_MS,
  };
  if (r.timeoutMs !== undefined) {
    const t = r.timeoutMs;
    if (typeof t !== "number" || !Number.isInteger(t) || t < MIN_TIMEOUT_MS || t > MAX_TIMEOUT_MS)
      throw fail(
        `${field}.timeoutMs must be a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}`,
      );
    spec.timeoutMs = t;
  }
  if (r.executablePath !== undefined) {
    const path = string(r.executablePath, `${field}.executablePath`);
    if (!path.startsWith("/") || CONTROL.test(path))
      throw fail(`${field}.executablePath must be an absolute path`);
    spec.executablePath = path;
  }
  return spec;
}

function fillField(raw: unknown, field: string): BrowserField {
  const r = object(raw, field);
  only(r, field, ["name", "selector", "value"]);
  if ((r.name === undefined) === (r.selector === undefined))
    throw fail(`${field} needs exactly one of "name" (the input's name) or "selector" (CSS)`);
  const value = valueSpec(r.value, `${field}.value`);
  if (r.name !== undefined) {
    const name = string(r.name, `${field}.name`);
    if (name.length > 200 || CONTROL.test(name)) throw fail(`${field}.name is not an input name`);
    // A CSS string: only the quote and the backslash need escaping.
    const quoted = name.replace(/["\\]/g, (c) => `\\${c}`);
    return { selector: `[name="${quoted}"]`, label: `name=${name}`, value };
  }
  const css = selector(r.selector, `${field}.selector`);
  return { selector: css, label: css, value };
}

function signal(raw: unknown, field: string): BrowserSignal {
  const r = object(raw, field);
  only(r, field, ["url", "selector", "cookie"]);
  const set = (["url", "selector", "cookie"] as const).filter((k) => r[k] !== undefined);
  if (set.length !== 1)
    throw fail(
      `${field} needs exactly one of "url", "selector" or "cookie" (the logged-in signal)`,
    );
  if (r.url !== undefined) {
    const url = string(r.url, `${field}.url`);
    if (url.length > 2000 || CONTROL.test(url)) throw fail(`${field}.url is not a URL`);
    return { url };
  }
  if (r.selector !== undefined) return { selector: selector(r.selector, `${field}.selector`) };
  const cookie = string(r.cookie, `${field}.cookie`);
  if (!COOKIE_NAME.test(cookie)) throw fail(`${field}.cookie is not a valid cookie name`);
  return { cookie };
}

function selector(raw: unknown, field: string): string {
  const s = string(raw, field);
  if (s.length > MAX_SELECTOR || CONTROL.test(s))
    throw fail(`${field} must be a CSS selector of at most ${MAX_SELECTOR} characters on one line`);
  return s;
}

function valueSpec(raw: unknown, field: string): ValueSpec {
  if (raw === undefined) throw fail(`${field} is missing`);
  // null fills the field with "" (as in a form body).
  if (raw === null || ["string", "number", "boolean"].includes(typeof raw)) return raw as ValueSpec;
  if (
    raw !== null &&
    typeof raw === "object" &&
    !Array.isArray(raw) &&
    Object.keys(raw).length === 1 &&
    typeof (raw as { env?: unknown }).env === "string" &&
    (raw as { env: string }).env !== ""
  )
    return { env: (raw as { env: string }).env };
  throw fail(`${field} must be a string, number, boolean, null or { "env": "NAME" }`);
}
