import { type SerializeOptions, serialize } from "cookie";
import { cookieNamedTwice, isCanonicalCookieValue, rawCookieValue } from "../core/cookies.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { TamperReason } from "../core/events.ts";
import { randomBytesPooled } from "../crypto/random.ts";
import type { CsrfTokens } from "./tokens.ts";

// Login CSRF (OWASP CSRF cheat sheet, "Login CSRF"): a login form is rendered before any session
// exists, so its token binds to a random pre-session value kept in its own small cookie. Once the
// user logs in, tokens bind to the session's id instead and the pre-session token stops working.
// The cookie is set only when a page actually asks for a token before a session exists.

export const PRE_SESSION_COOKIE = "__Host-csrf";
const VALUE = /^[A-Za-z0-9_-]{43}$/;

/** What a token binds to. Prefixes keep a pre-session value from ever equalling a session id. */
const sessionBinding = (sid: string) => `sid:${sid}`;
const preSessionBinding = (value: string) => `pre:${value}`;

export interface PreSessionCookie {
  readonly name: string;
  readonly attributes: Readonly<SerializeOptions>;
}

export function resolvePreSessionCookie(
  options: { name?: string; secure?: boolean } = {},
): PreSessionCookie {
  const name = options.name ?? PRE_SESSION_COOKIE;
  const secure = options.secure ?? true;
  if (name.toLowerCase().startsWith("__host-") && !secure) {
    throw new LatchkeyError(
      "cookie-prefix-invalid",
      `The pre-session CSRF cookie "${name}" needs Secure (browsers drop "__Host-" cookies without it); ` +
        'choose another name, e.g. preSessionCookie: { name: "csrf", secure: false }, for plain-http development.',
    );
  }
  const attributes: SerializeOptions = { path: "/", httpOnly: true, secure, sameSite: "lax" };
  serialize(name, "x", attributes); // an invalid name fails at startup, not per request
  return { name, attributes };
}

/** The session facts a token binds to (`Session` provides them). */
export interface BindableSession {
  readonly csrfBinding: string | null;
  readonly userId: string | null;
}

/** One request's CSRF state, attached to its session by the CSRF middleware. */
export interface CsrfRequestContext {
  readonly cookie: PreSessionCookie;
  /**
   * Why the request's cookie of this name was refused, or null: more than one of them
   * (`ambiguous-cookie`), or a value not spelled as latchkey writes it (`non-canonical`).
   */
  readonly refused: Extract<TamperReason, "ambiguous-cookie" | "non-canonical"> | null;
  /** A well-formed pre-session value the request carried, or null. */
  readonly presented: string | null;
  /** A value issued during this request: the response must set it (see `setCookie`). */
  issued: string | null;
  /** Called once when a value is issued, with the Set-Cookie line; adapters that add headers later leave it null. */
  onIssue: ((setCookie: string) => void) | null;
}

const contexts = new WeakMap<object, CsrfRequestContext>();

export function attachCsrfContext(
  session: object,
  cookie: PreSessionCookie,
  cookieHeader: string | null | undefined,
  onIssue: CsrfRequestContext["onIssue"] = null,
): CsrfRequestContext {
  const { value, refused } = readPreSessionCookie(cookie.name, cookieHeader);
  const context: CsrfRequestContext = {
    cookie,
    refused,
    presented: value !== undefined && VALUE.test(value) ? value : null,
    issued: null,
    onIssue,
  };
  contexts.set(session, context);
  return context;
}

const NO_COOKIE = Object.freeze({ value: undefined, refused: null });

function readPreSessionCookie(
  name: string,
  header: string | null | undefined,
): { value: string | undefined; refused: CsrfRequestContext["refused"] } {
  if (!header?.includes(name)) return NO_COOKIE;
  // Two cookies of this name: one was planted (a sibling subdomain, a plain-http page), and
  // neither can be trusted to be this browser's own.
  if (cookieNamedTwice(header, name)) return { value: undefined, refused: "ambiguous-cookie" };
  const value = rawCookieValue(header, name);
  // Read as the header spells it: a %-encoded or quoted copy of a value is not the value.
  if (value !== undefined && !isCanonicalCookieValue(value)) {
    return { value: undefined, refused: "non-canonical" };
  }
  return { value, refused: null };
}

/** The Set-Cookie line for a value issued in this request, or null. */
export function preSessionSetCookie(context: CsrfRequestContext): string | null {
  return context.issued === null
    ? null
    : serialize(context.cookie.name, context.issued, context.cookie.attributes);
}

/**
 * A fresh masked token for `session` (what `session.csrfToken()` returns): bound to the session's
 * id once it is saved, else to this browser's pre-session value (issued now if it has none).
 */
export function sessionCsrfToken(session: BindableSession, tokens: CsrfTokens): string {
  const sid = session.csrfBinding;
  if (sid !== null) return tokens.issue(sessionBinding(sid));
  const context = contexts.get(session);
  if (context === undefined) {
    throw new LatchkeyError(
      "config-invalid",
      "session.csrfToken() was called before a session exists and without csrfMiddleware: add " +
        "csrfMiddleware(sessions) so a pre-session token (login forms) can be issued.",
    );
  }
  return tokens.issue(preSessionBinding(preSessionValue(context)));
}

/** True when `token` is valid for this request: for the session's id, or (before login) for the pre-session value. */
export function requestTokenMatches(
  session: BindableSession,
  context: CsrfRequestContext | undefined,
  tokens: CsrfTokens,
  token: string,
): boolean {
  const sid = session.csrfBinding;
  if (sid !== null && tokens.verify(sessionBinding(sid), token)) return true;
  // A pre-session token is only for anonymous visitors: logging in replaces it.
  const presented = context?.presented ?? null;
  return (
    presented !== null &&
    session.userId === null &&
    tokens.verify(preSessionBinding(presented), token)
  );
}

export function csrfContextOf(session: object): CsrfRequestContext | undefined {
  return contexts.get(session);
}

function preSessionValue(context: CsrfRequestContext): string {
  if (context.presented !== null) return context.presented;
  if (context.issued === null) {
    context.issued = randomBytesPooled(32).toString("base64url");
    context.onIssue?.(preSessionSetCookie(context) as string);
  }
  return context.issued;
}
