import type { Session, SessionData } from "../../core/session.ts";
import type { CookieView } from "./cookie-view.ts";

// express-session puts the data and the session's methods on one object (`req.session.views`,
// `req.session.save()`). latchkey keeps them apart: this Proxy shows the real Session's values as
// properties and adds express-session's methods on top, so nothing is mixed into the data. Every
// read and write goes through `Session.get`/`set`/`delete`, so change-set writes (no lost updates),
// JSON checks and `session-ended` hold as they do for `req.session.get()`.

type Values = Record<string, unknown>;

/** The express-session members the facade adds; a data key of the same name cannot be stored. */
export interface ExpressSessionMembers {
  /**
   * A stable, non-secret id: the session's reference (`sessions.revoke(id)` accepts it);
   * undefined until the session is first saved.
   */
  readonly id: string | undefined;
  /** What the session's cookie looks like; read-only (timeouts are set in `createSessions()`). */
  readonly cookie: CookieView;
  /** Empties the data; the new token is issued once the user is known (save, end of response). */
  regenerate(callback: (error?: unknown) => void): this;
  save(callback?: (error?: unknown) => void): this;
  /** Logs the session out: its entry and cookie are gone. */
  destroy(callback?: (error?: unknown) => void): this;
  /** Reads the stored values again, dropping this request's changes. */
  reload(callback: (error?: unknown) => void): this;
  /** Does nothing: latchkey refreshes the idle clock itself. */
  touch(): this;
}

/**
 * `req.session` under `expressSessionCompat()`: the session's values as optional properties
 * (`req.session.views = 1`, `delete req.session.cart`), typed by `T` (default: the `SessionData`
 * interface, which the application augments), next to express-session's methods. A data key
 * named like a member (`id`, `cookie`, `save`, …) cannot be stored, so it is not typed either.
 *
 * @example
 * ```ts
 * declare module "latchkey" {
 *   interface SessionData { views: number }
 * }
 * declare module "latchkey/express" {
 *   interface ExpressRequestTypes { compat: "express-session" }
 * }
 * app.get("/", (req, res) => {
 *   req.session.views = (req.session.views ?? 0) + 1;
 *   req.session.save(() => res.send(`${req.session.views} views`));
 * });
 * ```
 */
export type ExpressSessionCompat<T extends object = SessionData> = ExpressSessionMembers &
  Partial<Omit<T, keyof ExpressSessionMembers>>;

/** The facade as latchkey's own code handles it: any key, any value. */
export type AnyExpressSession = ExpressSessionCompat<Record<string, unknown>>;

const behind = new WeakMap<object, Session<object>>();

/**
 * The latchkey `Session` behind `req.session`: the session itself when it is not a compat facade.
 * Use it for latchkey's own API under `expressSessionCompat()` (`csrfToken()`, `isFresh()`, …).
 *
 * @example
 * ```ts
 * res.send(`<input type="hidden" name="_csrf" value="${latchkeySession(req.session).csrfToken()}">`);
 * ```
 */
export function latchkeySession<T extends object = Values>(session: object): Session<T> {
  return (behind.get(session) ?? session) as Session<T>;
}

/** What the facade's methods do; each returns the facade itself to the caller. */
export type FacadeActions = {
  [K in "regenerate" | "save" | "destroy" | "reload" | "touch"]: (
    ...args: Parameters<ExpressSessionMembers[K]>
  ) => void;
} & { readonly cookie: CookieView };

/** A Proxy over `session` that answers `members` by name and everything else from the data. */
export function sessionFacade(session: Session<object>, members: FacadeActions): AnyExpressSession {
  const data = session as Session<Values>;
  const own = (key: string | symbol): key is keyof ExpressSessionMembers =>
    typeof key === "string" && (key === "id" || Object.hasOwn(members, key));
  let facade: AnyExpressSession;
  const method = (key: keyof ExpressSessionMembers): unknown => {
    if (key === "id") return session.ref ?? undefined;
    if (key === "cookie") return members.cookie;
    const fn = members[key] as (...args: unknown[]) => void;
    // Chainable like express-session's: `req.session.touch().save()`.
    return (...args: unknown[]) => {
      fn(...args);
      return facade;
    };
  };

  facade = new Proxy(Object.create(null) as AnyExpressSession, {
    get: (_target, key) => {
      if (own(key)) return method(key);
      return typeof key === "string" ? data.get(key) : undefined;
    },
    // A reserved name or a symbol answers false: a TypeError in strict code, as for a read-only
    // property, rather than a write that silently goes nowhere.
    set: (_target, key, value) => {
      if (own(key) || typeof key !== "string") return false;
      // express-session stores JSON, which drops undefined: the key is gone.
      if (value === undefined) data.delete(key);
      else data.set(key, value);
      return true;
    },
    deleteProperty: (_target, key) => {
      if (own(key) || typeof key !== "string") return false;
      data.delete(key);
      return true;
    },
    has: (_target, key) => own(key) || (typeof key === "string" && data.has(key)),
    ownKeys: () => data.keys(),
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === "string" && !own(key) && data.has(key)
        ? { value: data.get(key), writable: true, enumerable: true, configurable: true }
        : undefined,
    defineProperty: () => false,
  });
  behind.set(facade, session);
  return facade;
}
