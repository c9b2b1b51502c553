// The only way the active checks send requests. It refuses any URL off the target's origin,
// spaces requests to the configured rate, stops at a hard request budget, and records every
// exchange for the report — redacted: cookie values and tokens cut to 4 characters and a
// length, request bodies reduced to their field names.

import { CliError } from "../errors.ts";
import type { ReportStep } from "../report/finding.ts";
import type { CookieJar } from "./cookie-jar.ts";
import type { FetchedResponse, FetchOptions } from "./fetch.ts";
import { fetchOnce } from "./fetch.ts";
import { parseSetCookie, redactSetCookie } from "./set-cookie.ts";

export interface ActiveRequest {
  url: URL;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** How the body appears in the report, e.g. "form: username, password, csrf_token". */
  bodySummary?: string;
}

export interface ClientLimits {
  /** Requests per second, at most. */
  rate: number;
  /** Requests in total, at most; the audit stops with an error beyond it. */
  budget: number;
  /** Called before each request (a progress line on a terminal). */
  onRequest?: (sent: number, check: string) => void;
}

export class ActiveClient {
  readonly steps: ReportStep[] = [];
  readonly #target: URL;
  readonly #fetch: FetchOptions;
  readonly #limits: ClientLimits;
  #sent = 0;
  #next = 0;

  constructor(target: URL, fetchOptions: FetchOptions, limits: ClientLimits) {
    this.#target = target;
    this.#fetch = fetchOptions;
    this.#limits = limits;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Resolves a URL from the login description; undefined if it leaves the target's origin. */
  resolve(href: string, base: URL = this.#target): URL | undefined {
    try {
      const url = new URL(href, base);
      url.hash = "";
      return url.origin === this.#target.origin ? url : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Sends one request with the jar's cookies and applies the response's Set-Cookie to it.
   * With `follow`, same-origin redirects are followed (GET, at most 5); a redirect elsewhere
   * ends the chain. Returns every response, last one last.
   */
  async send(
    check: string,
    request: ActiveRequest,
    jar: CookieJar,
    options: { follow?: boolean; record?: boolean; updateJar?: boolean } = {},
  ): Promise<FetchedResponse[]> {
    const chain: FetchedResponse[] = [];
    let current: ActiveRequest = request;
    for (let hop = 0; hop <= 5; hop++) {
      const response = await this.#one(check, current, jar, options.record ?? true);
      if (options.updateJar ?? true) jar.update(response.setCookies);
      chain.push(response);
      const location = response.headers.location;
      if (!options.follow || response.status < 300 || response.status >= 400 || !location) break;
      const next = this.resolve(location, current.url);
      if (next === undefined) break;
      current = { url: next, method: "GET" };
    }
    return chain;
  }

  /** Adds a step that is not one request (a summary of many, or a conclusion). */
  note(check: string, sent: string, received: string, note?: string): void {
    this.steps.push({ check, sent, received, ...(note !== undefined ? { note } : {}) });
  }

  async #one(
    check: string,
    request: ActiveRequest,
    jar: CookieJar,
    record: boolean,
  ): Promise<FetchedResponse> {
    if (request.url.origin !== this.#target.origin)
      throw new CliError(
        "active-check",
        `refusing to send a request off the target: ${request.url.origin}`,
      );
    if (this.#sent >= this.#limits.budget)
      throw new CliError("active-check", `request budget of ${this.#limits.budget} exhausted`);
    const wait = this.#next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#next = Math.max(this.#next, Date.now()) + 1000 / this.#limits.rate;
    this.#sent++;
    this.#limits.onRequest?.(this.#sent, check);
    const cookie = jar.header();
    const response = await fetchOnce(request.url, {
      ...this.#fetch,
      method: request.method,
      headers: { ...request.headers, ...(cookie !== undefined ? { cookie } : {}) },
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    if (record)
      this.steps.push({
        check,
        sent: describeSent(request, jar),
        received: describeReceived(response, this.#target),
      });
    return response;
  }
}

function describeSent(request: ActiveRequest, jar: CookieJar): string {
  const parts = [`${request.method} ${request.url.pathname}${request.url.search}`];
  const cookies = jar.redactedHeader();
  parts.push(cookies === "" ? "no cookies" : `cookie ${cookies}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const lower = name.toLowerCase();
    if (["origin", "referer", "sec-fetch-site", "content-type"].includes(lower))
      parts.push(`${name}: ${value}`);
    // Only the length: a header may carry a credential from the environment, and even its
    // first characters are too much of it.
    else if (lower !== "accept") parts.push(`${name}: (${value.length} chars)`);
  }
  if (request.bodySummary !== undefined) parts.push(request.bodySummary);
  return parts.join(" · ");
}

function describeReceived(response: FetchedResponse, target: URL): string {
  const parts = [String(response.status)];
  const location = response.headers.location;
  if (location !== undefined) {
    let shown = location.slice(0, 120);
    try {
      const url = new URL(location, response.url);
      if (url.origin === target.origin) shown = `${url.pathname}${url.search}`.slice(0, 120);
    } catch {
      // shown as sent
    }
    parts[0] += ` → ${shown}`;
  }
  for (const header of response.setCookies) {
    const cookie = parseSetCookie(header);
    if (cookie !== undefined) parts.push(`Set-Cookie: ${redactSetCookie(cookie)}`);
  }
  const clear = response.headers["clear-site-data"];
  if (clear !== undefined) parts.push(`Clear-Site-Data: ${clear.slice(0, 80)}`);
  return parts.join(" · ");
}
