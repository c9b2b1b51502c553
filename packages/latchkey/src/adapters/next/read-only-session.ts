import type { Duration } from "../../core/duration.ts";
import { LatchkeyError } from "../../core/errors.ts";
import type { Session, SessionData } from "../../core/session.ts";

// Server Components may not set cookies (Next refuses once rendering streams), so a change made
// while rendering could never be saved. The view they get has no way to make one: not a type
// that hides the setters, but an object without them, so a cast cannot reach the session.

/**
 * The session as Server Components and Proxy see it: every reader of `Session`, no writer.
 *
 * @example
 * ```tsx
 * const session = await getSession();
 * return session.userId === null ? <SignIn /> : <p>Signed in as {session.userId}</p>;
 * ```
 */
export interface SessionView<T extends object = SessionData> {
  get<K extends keyof T & string>(key: K): T[K] | undefined;
  has<K extends keyof T & string>(key: K): boolean;
  keys(): (keyof T & string)[];
  readonly isNew: boolean;
  readonly userId: string | null;
  readonly authTime: number | null;
  readonly createdAt: number | null;
  readonly expiresAt: number | null;
  readonly absoluteExpiresAt: number | null;
  readonly persistent: boolean;
  /** The reference `sessions.listSessions()` marks as current, or null before the first save. */
  readonly ref: string | null;
  isFresh(maxAge: Duration): boolean;
  /**
   * A CSRF token for a form that posts to a `route()` handler (field `_csrf`). Needs a saved
   * session: a token for a visitor without one would need a pre-session cookie, which a Server
   * Component cannot set (forms for them post to Server Actions, which need no token).
   */
  csrfToken(): string;
}

/** A `SessionView` over `session`. */
export function readOnlySession<T extends object>(session: Session<T>): SessionView<T> {
  const view: SessionView<T> = {
    get: (key) => session.get(key),
    has: (key) => session.has(key),
    keys: () => session.keys() as (keyof T & string)[],
    isFresh: (maxAge: Duration) => session.isFresh(maxAge),
    csrfToken: () => {
      if (session.csrfBinding === null) {
        throw new LatchkeyError(
          "session-not-saved",
          "csrfToken() in a Server Component needs a saved session: post a visitor's form to a Server Action instead.",
        );
      }
      return session.csrfToken();
    },
    get isNew() {
      return session.isNew;
    },
    get userId() {
      return session.userId;
    },
    get authTime() {
      return session.authTime;
    },
    get createdAt() {
      return session.createdAt;
    },
    get expiresAt() {
      return session.expiresAt;
    },
    get absoluteExpiresAt() {
      return session.absoluteExpiresAt;
    },
    get persistent() {
      return session.persistent;
    },
    get ref() {
      return session.ref;
    },
  };
  return Object.freeze(view);
}
