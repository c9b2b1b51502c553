// Carries out what the login description says: fetch a token, log in, ask "am I logged in?",
// log out, send the CSRF probe (with variations). Each call takes the cookie jar to use, so the
// checks can replay old cookies, drop one, or plant an invented one.
import { randomBytes } from "node:crypto";
import { CliError } from "../errors.ts";
import type { ActiveClient, ActiveRequest } from "./active-client.ts";
import { browserLogIn } from "./browser-login.ts";
import type { CookieJar } from "./cookie-jar.ts";
import type { FetchedResponse } from "./fetch.ts";
import { decodeAttribute, startTags } from "./html-tags.ts";
import type { LoginDescription, RequestSpec, TokenSpec, ValueSpec } from "./login-description.ts";
import { resolveValue } from "./login-description.ts";

export interface Flow {
  client: ActiveClient;
  description: LoginDescription;
  env: NodeJS.ProcessEnv;
  target: URL;
}

/** How a request differs from what the site's own page would send (the CSRF probe's variants). */
export interface Variation {
  /** Leave the anti-CSRF token out. */
  omitToken?: boolean;
  /** Send as a cross-site request: a foreign Origin and `Sec-Fetch-Site: cross-site`. */
  foreignOrigin?: string;
  /** Re-encode the body as `text/plain` (what a cross-site `<form enctype="text/plain">` sends). */
  textPlain?: boolean;
}

/** A random, unresolvable origin: the "attacker's site" of the CSRF probe. */
export function foreignOrigin(): string {
  return `https://${randomBytes(6).toString("hex")}.latchkey-audit.invalid`;
}

export function url(flow: Flow, href: string): URL {
  const resolved = flow.client.resolve(href);
  if (resolved === undefined)
    throw new CliError("active-check", `${href} is not on the target's origin`);
  return resolved;
}

/**
 * Logs in with `jar`: fetches the login page first (as a browser does, picking up its cookies
 * and token), then sends the login request, following redirects. A `login.browser` description
 * logs in with Chromium instead (browser-login.ts), with the same result.
 */
export async function logIn(
  flow: Flow,
  check: string,
  jar: CookieJar,
  options: { record?: boolean; follow?: boolean } = {},
): Promise<{ page: FetchedResponse[]; login: FetchedResponse[] }> {
  const spec = flow.description.login;
  if (spec.browser !== undefined)
    return browserLogIn({
      target: flow.target,
      spec: spec.browser,
      url: url(flow, spec.url),
      env: flow.env,
      jar,
      check,
      record: options.record ?? true,
      note: (step) => flow.client.note(step.check, step.sent, step.received, step.note),
    });
  let page: FetchedResponse[] = [];
  let token: string | undefined;
  if (spec.method !== "GET") {
    page = await flow.client.send(
      check,
      { url: url(flow, spec.csrf?.page ?? spec.url), method: "GET" },
      jar,
      { follow: true, ...options },
    );
    if (spec.csrf !== undefined) token = tokenFrom(spec.csrf, page.at(-1), jar, "login");
  }
  const login = await flow.client.send(check, build(flow, spec, token, {}), jar, {
    follow: true,
    ...options,
  });
  return { page, login };
}

/** Sends a request of the description (logout, the CSRF probe), fetching its token first. */
export async function sendSpec(
  flow: Flow,
  check: string,
  spec: RequestSpec,
  jar: CookieJar,
  variation: Variation = {},
  token?: string,
  options: { follow?: boolean } = {},
): Promise<FetchedResponse[]> {
  return flow.client.send(check, build(flow, spec, token, variation), jar, options);
}

/** Fetches the token a request needs (its `csrf.page`, or the jar for a cookie token). */
export async function fetchToken(
  flow: Flow,
  check: string,
  name: string,
  spec: RequestSpec,
  jar: CookieJar,
): Promise<string | undefined> {
  if (spec.csrf === undefined) return undefined;
  let page: FetchedResponse | undefined;
  if (spec.csrf.page !== undefined) {
    const chain = await flow.client.send(
      check,
      { url: url(flow, spec.csrf.page), method: "GET" },
      jar,
      { follow: true },
    );
    page = chain.at(-1);
  }
  return tokenFrom(spec.csrf, page, jar, name);
}

/** Asks the loggedIn URL (redirects not followed) whether `jar` is logged in. The jar is not changed. */
export async function isLoggedIn(
  flow: Flow,
  check: string,
  jar: CookieJar,
  options: { record?: boolean } = {},
): Promise<boolean> {
  const spec = flow.description.loggedIn;
  const [response] = await flow.client.send(
    check,
    { url: url(flow, spec.url), method: "GET" },
    jar,
    { updateJar: false, ...options },
  );
  const ok = response !== undefined && loggedInBy(response, spec);
  const last = flow.client.steps.at(-1);
  if ((options.record ?? true) && last !== undefined)
    last.note = ok ? "logged in" : "not logged in";
  return ok;
}

function loggedInBy(response: FetchedResponse, spec: LoginDescription["loggedIn"]): boolean {
  const statusOk =
    spec.status !== undefined
      ? response.status === spec.status
      : response.status >= 200 && response.status < 300;
  return statusOk && (spec.text === undefined || response.body.includes(spec.text));
}

/** True when the CSRF probe's response means the request was carried out. */
export function probeSucceeded(response: FetchedResponse, flow: Flow): boolean {
  const success = flow.description.csrfProbe?.success;
  const statusOk =
    success?.status !== undefined ? response.status === success.status : response.status < 400;
  return statusOk && (success?.text === undefined || response.body.includes(success.text));
}

function tokenFrom(
  spec: TokenSpec,
  page: FetchedResponse | undefined,
  jar: CookieJar,
  name: string,
): string {
  let token: string | undefined;
  if (spec.cookie !== undefined) token = jar.get(spec.cookie);
  else if (page !== undefined && spec.input !== undefined)
    token = inputValue(page.body, spec.input);
  else if (page !== undefined && spec.regex !== undefined)
    token = new RegExp(spec.regex).exec(page.body)?.[1];
  if (token === undefined || token === "") {
    const where =
      spec.cookie !== undefined
        ? `no cookie "${spec.cookie}" in the jar`
        : `not found on ${page?.url ?? "the page"} (status ${page?.status ?? "?"})`;
    throw new CliError("active-check", `${name}.csrf: the token was ${where}`);
  }
  return token;
}

/** `value` of `<input name="…">`, or `content` of `<meta name="…">`, in an HTML page. */
export function inputValue(html: string, name: string): string | undefined {
  // The tag scanner, not a regular expression: the page is the audited site's and may be hostile.
  for (const tag of startTags(html, { names: FIELD_TAGS })) {
    if (tag.attributes.get("name") !== name) continue;
    const value = tag.attributes.get(tag.name === "meta" ? "content" : "value");
    if (value !== undefined) return decodeAttribute(value);
  }
  return undefined;
}

const FIELD_TAGS: ReadonlySet<string> = new Set(["input", "meta"]);

function build(
  flow: Flow,
  spec: RequestSpec,
  token: string | undefined,
  variation: Variation,
): ActiveRequest {
  const target = flow.target;
  const resolve = (v: ValueSpec, key: string) => resolveValue(v, key, flow.env);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.headers ?? {}))
    headers[key] = resolve(value, `headers.${key}`);
  const fields: Record<string, string | number | boolean | null> = {};
  const body = spec.form ?? spec.json;
  for (const [key, value] of Object.entries(body ?? {})) {
    // JSON keeps its literal types; { env } values and form fields are strings.
    const literal = spec.json !== undefined && (value === null || typeof value !== "object");
    fields[key] = literal ? value : resolve(value, key);
  }
  const sendToken = token !== undefined && !variation.omitToken && spec.csrf !== undefined;
  if (sendToken && spec.csrf?.field !== undefined) fields[spec.csrf.field] = token;
  if (sendToken && spec.csrf?.header !== undefined) headers[spec.csrf.header] = token;

  if (spec.method !== "GET") {
    // What a browser adds to a form post from the site's own page (or the attacker's).
    const origin = variation.foreignOrigin ?? target.origin;
    headers.origin = origin;
    headers.referer = `${origin}/`;
    headers["sec-fetch-site"] =
      variation.foreignOrigin !== undefined ? "cross-site" : "same-origin";
  }
  const names = Object.keys(fields);
  let text: string | undefined;
  if (body !== undefined) {
    if (variation.textPlain) {
      headers["content-type"] = "text/plain";
      text =
        spec.json !== undefined
          ? JSON.stringify(fields)
          : names.map((k) => `${k}=${fields[k] ?? ""}\r\n`).join("");
    } else if (spec.json !== undefined) {
      headers["content-type"] = "application/json";
      text = JSON.stringify(fields);
    } else {
      headers["content-type"] = "application/x-www-form-urlencoded";
      text = new URLSearchParams(
        names.map((k): [string, string] => [k, String(fields[k] ?? "")]),
      ).toString();
    }
  }
  const kind = spec.json !== undefined ? "json" : "form";
  return {
    url: url(flow, spec.url),
    method: spec.method,
    headers,
    ...(text !== undefined ? { body: text } : {}),
    ...(body !== undefined
      ? {
          bodySummary: `${variation.textPlain ? "text/plain " : ""}${kind}: ${names.join(", ") || "(empty)"}`,
        }
      : {}),
  };
}
