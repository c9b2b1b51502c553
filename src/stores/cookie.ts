import type { CookieStore } from "../core/options.ts";

/**
 * Stateless sessions: the whole session is sealed into the cookie with AES-256-GCM under a key
 * derived from the first configured secret. Nothing is stored on the server.
 *
 * Trade-offs: the session must fit a 4096-byte cookie (a larger one fails with a clear error), and
 * a copied cookie stays valid until its idle or absolute timeout, because there is no server
 * record to delete. Prefer a server store when you need to end sessions remotely.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { cookieStore } from "latchkey/stores/cookie";
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!], store: cookieStore() });
 * ```
 */
export function cookieStore(): CookieStore {
  return { kind: "cookie" };
}
