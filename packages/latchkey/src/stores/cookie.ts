import type { CookieStore } from "../core/options.ts";
import type { Store } from "./types.ts";

/**
 * Stateless sessions: the whole session is sealed into the cookie with AES-256-GCM under a key
 * derived from the first configured secret. Nothing is stored on the server.
 *
 * Trade-offs: the session must fit a 4096-byte cookie (a larger one fails with a clear error), and
 * without `revocation` a copied cookie stays valid until its idle or absolute timeout, because
 * there is no server record to delete. With `revocation` (any server store, e.g. redisStore()),
 * logout, login and the revoke* methods leave marks that every request checks in one lookup.
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { cookieStore } from "latchkey/stores/cookie";
 * const sessions = createSessions({ secrets: [process.env.SESSION_SECRET!], store: cookieStore() });
 * ```
 */
export function cookieStore(options: { revocation?: Store } = {}): CookieStore {
  return { kind: "cookie", revocation: options.revocation };
}
