import { parseSetCookie, type Reply } from "./http.ts";

/**
 * All cookies of one client, as a browser keeps them (names and values; attributes are not
 * enforced). For scenarios with more than one cookie, e.g. the session and the CSRF pre-session.
 */
export class CookieBrowser {
  readonly cookies = new Map<string, string>();

  /** The Cookie header to send, or undefined when there is none. */
  get header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Applies a response's Set-Cookie lines (a new value, or removal); returns the reply. */
  take<R extends Pick<Reply, "setCookies">>(reply: R): R {
    for (const line of reply.setCookies) {
      const { name, value, attributes } = parseSetCookie(line);
      if (value === "" || attributes.get("max-age") === "0") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return reply;
  }
}
