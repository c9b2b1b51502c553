import type { SerializeOptions } from "cookie";
import { LatchkeyError } from "../../core/errors.ts";
import type { Session } from "../../core/session.ts";

// express-session apps read `req.session.cookie` (e.g. to show when a session ends). latchkey
// decides the cookie's attributes once, at startup, and its lifetime from server-side timeouts,
// so the view is read-only: a write would change nothing the browser receives.

/** A read-only `req.session.cookie`, as express-session's `Cookie` shows it. */
export interface CookieView {
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: SerializeOptions["sameSite"];
  readonly path: string;
  readonly domain: string | undefined;
  /** Milliseconds left for a persistent ("remember me") cookie; null for a browser-session cookie. */
  readonly maxAge: number | null;
  /** When a persistent cookie expires; null for a browser-session cookie. */
  readonly expires: Date | null;
}

export function cookieView(
  session: Session<object>,
  attributes: Readonly<SerializeOptions>,
): CookieView {
  const expiresAt = () => (session.persistent ? session.absoluteExpiresAt : null);
  const readOnly = (name: string) => () => {
    throw new LatchkeyError(
      "argument-invalid",
      `req.session.cookie.${name} is read-only with latchkey: timeouts are set in createSessions() ` +
        "(idleTimeout, absoluteTimeout); for a cookie that outlives the browser, log in with " +
        "latchkeySession(req.session).login(userId, { persistent: true }).",
    );
  };
  return Object.freeze({
    httpOnly: attributes.httpOnly === true,
    secure: attributes.secure === true,
    sameSite: attributes.sameSite,
    path: attributes.path ?? "/",
    domain: attributes.domain,
    get maxAge() {
      const at = expiresAt();
      return at === null ? null : Math.max(0, at - Date.now());
    },
    set maxAge(_value: number | null) {
      readOnly("maxAge")();
    },
    get expires() {
      const at = expiresAt();
      return at === null ? null : new Date(at);
    },
    set expires(_value: Date | null) {
      readOnly("expires")();
    },
  });
}
