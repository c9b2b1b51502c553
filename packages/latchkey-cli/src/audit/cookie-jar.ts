// The auditor's cookie jar: it behaves like a browser that keeps the cookies it was given, so
// the crawl and the active checks see the site as a visitor would. Values are kept as sent and
// never printed (use `redactedCookieHeader`). Domain/Path scoping is not modelled: every request
// goes to the one target origin.
import { lifetimeSeconds, parseSetCookie, redact } from "./set-cookie.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class CookieJar {
  readonly #cookies = new Map<string, string>();

  constructor(entries: Iterable<[string, string]> = []) {
    for (const [name, value] of entries) this.set(name, value);
  }

  /** Applies a response's Set-Cookie headers: stores new values, drops expired ones. */
  update(setCookies: readonly string[], now = Date.now()): void {
    for (const header of setCookies) {
      const cookie = parseSetCookie(header);
      if (cookie === undefined) continue;
      const lifetime = lifetimeSeconds(cookie, now);
      if (lifetime !== undefined && lifetime <= 0) this.#cookies.delete(cookie.name);
      else this.set(cookie.name, cookie.value);
    }
  }

  /** Ignores names and values a browser would not send back (hostile headers are data). */
  set(name: string, value: string): void {
    if (TOKEN.test(name) && !/[;\r\n]/.test(value)) this.#cookies.set(name, value);
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  names(): string[] {
    return [...this.#cookies.keys()];
  }

  clone(): CookieJar {
    return new CookieJar(this.#cookies);
  }

  /** The Cookie request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** The Cookie header for a report: names with redacted values. */
  redactedHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${redact(v)}`).join("; ");
  }
}
