import { sessionCsrfToken } from "../csrf/pre-session.ts";
import type { CsrfTokens } from "../csrf/tokens.ts";
import { COPIES_END, type CredentialChange } from "./credential-change.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { LatchkeyError } from "./errors.ts";
import type { KeepOnLogin } from "./login-carry-over.ts";
import { isReservedKey, refuseReservedKey } from "./reserved-keys.ts";
import type { RequestState } from "./state.ts";

/**
 * The shape of session data. Augment it to type `req.session` everywhere:
 *
 * @example
 * ```ts
 * declare module "latchkey" {
 *   interface SessionData { cart: string[]; theme: "light" | "dark" }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: declared empty so applications can augment it.
export interface SessionData {}

/**
 * @internal The engine's way back from a Session to its request state: the state, if `session`
 * is a Session driven by `lifecycle` (that engine's mode), else undefined.
 */
export let stateOfSession: <S extends RequestState>(
  session: object,
  lifecycle: SessionLifecycle<S>,
) => S | undefined;

/**
 * @internal What a Session asks of the engine; implemented once per mode (server store, sealed
 * cookie), each with its own kind of request state.
 */
export interface SessionLifecycle<S extends RequestState = RequestState> {
  login(state: S, userId: string, options: LoginOptions): Promise<CredentialChange>;
  logout(state: S): Promise<CredentialChange>;
  rotate(state: S): Promise<CredentialChange>;
  /** Login again as the same user: new token, fresh auth time, both timeouts restart. */
  reauthenticate(state: S): Promise<CredentialChange>;
  timeouts(state: S): { idle: number; absolute: number } | null;
  now(): number;
}

/**
 * Options for `session.login()`.
 *
 * @example
 * ```ts
 * await req.session.login(user.id, { persistent: form.rememberMe === "on", keep: ["cart"] });
 * ```
 */
export interface LoginOptions {
  /** "Remember me": the cookie outlives the browser session, up to the absolute timeout. */
  persistent?: boolean;
  /**
   * Which values of the session so far carry into the logged-in one, for this login: `"none"`,
   * `"all"` or a list of keys. Default: the `keepOnLogin` option (itself `"none"` by default).
   */
  keep?: KeepOnLogin;
}

/**
 * One request's session: `req.session` in every adapter.
 *
 * Values are JSON: `set` stores a copy of what JSON can represent; objects changed in place after
 * `get` are noticed and saved too. A request that changes nothing writes nothing and sends no cookie.
 *
 * @example
 * ```ts
 * app.post("/login", async (req, res) => {
 *   const user = await checkPassword(req.body.email, req.body.password);
 *   await req.session.login(user.id);
 *   req.session.set("cart", []);
 *   res.redirect("/");
 * });
 * ```
 */
export class Session<T extends object = SessionData> {
  readonly #state: RequestState;
  readonly #lifecycle: SessionLifecycle;
  readonly #csrf: CsrfTokens;

  /** @internal Created by the engine; applications receive it from an adapter. */
  constructor(state: RequestState, lifecycle: SessionLifecycle, csrf: CsrfTokens) {
    this.#state = state;
    this.#lifecycle = lifecycle;
    this.#csrf = csrf;
  }

  static {
    // A state only ever reaches the lifecycle that created it (checked here by identity), so it
    // is of that lifecycle's own kind.
    stateOfSession = <S extends RequestState>(session: object, lifecycle: SessionLifecycle<S>) =>
      #state in session && session.#lifecycle === lifecycle ? (session.#state as S) : undefined;
  }

  /** The value stored under `key`, or `undefined`. */
  get<K extends keyof T & string>(key: K): T[K] | undefined {
    if (isReservedKey(key)) return undefined;
    return this.#state.read(key) as T[K] | undefined;
  }

  /** Stores `value` (anything JSON can represent) under `key`; a key reserved by latchkey (`latchkey.dbsc`) throws `argument-invalid`. */
  set<K extends keyof T & string>(key: K, value: T[K]): void {
    this.#assertOpen();
    refuseReservedKey("set", key);
    const kind = typeof value;
    if (value === undefined || kind === "function" || kind === "symbol" || kind === "bigint") {
      throw new LatchkeyError(
        "session-value-invalid",
        `session.set(${JSON.stringify(key)}, …): the value must be JSON (got ${kind}); use session.delete() to remove a key.`,
      );
    }
    this.#state.write(key, value);
  }

  /** Removes `key`. */
  delete<K extends keyof T & string>(key: K): void {
    this.#assertOpen();
    refuseReservedKey("delete", key);
    this.#state.remove(key);
  }

  has<K extends keyof T & string>(key: K): boolean {
    return !isReservedKey(key) && this.#state.has(key);
  }

  /**
   * The keys that hold a value, after this request's changes.
   *
   * @example
   * ```ts
   * for (const key of req.session.keys()) console.log(key, req.session.get(key));
   * ```
   */
  // Plain strings: a Session<T> stays assignable to the Session<SessionData> adapters declare.
  keys(): string[] {
    const state = this.#state;
    const keys = new Set(Object.keys(state.values));
    for (const key of Object.keys(state.raw ?? {})) if (!state.deleted.has(key)) keys.add(key);
    return [...keys].filter((key) => !isReservedKey(key));
  }

  /** True when the request came without a valid session. */
  get isNew(): boolean {
    return this.#state.meta === null;
  }

  /** The logged-in user, or null. */
  get userId(): string | null {
    return this.#state.meta?.userId ?? null;
  }

  /** When the user last authenticated (ms since the epoch), or null. */
  get authTime(): number | null {
    return this.#state.meta?.authTime ?? null;
  }

  /** When the session began (ms since the epoch), or null for an unsaved one. */
  get createdAt(): number | null {
    return this.#state.meta?.createdAt ?? null;
  }

  /** When the session ends at the latest if there is no more activity (ms since the epoch), or null. */
  get expiresAt(): number | null {
    const t = this.#lifecycle.timeouts(this.#state);
    return t === null ? null : Math.min(t.idle, t.absolute);
  }

  /** When the session ends whatever the activity (ms since the epoch), or null. */
  get absoluteExpiresAt(): number | null {
    return this.#lifecycle.timeouts(this.#state)?.absolute ?? null;
  }

  /** "Remember me": when true the cookie carries Max-Age (up to the absolute timeout). */
  get persistent(): boolean {
    return this.#state.meta?.persistent ?? false;
  }

  set persistent(value: boolean) {
    this.#assertOpen();
    const meta = this.#state.meta;
    if (meta === null) {
      throw new LatchkeyError(
        "session-not-saved",
        "session.persistent can only be set on a saved session; pass { persistent: true } to login() instead.",
      );
    }
    this.#state.setPersistent(meta, value);
  }

  /** A reference to this session (a hash, never the token), as listed by `sessions.listSessions()`. */
  get ref(): string | null {
    return this.#state.ref;
  }

  /**
   * Authenticates the session as `userId`: a new token is issued, the old one is destroyed at
   * once (session fixation, ASVS 5.0 7.2.4), the auth time is recorded and the absolute timeout
   * starts again.
   *
   * Values already in the session (loaded, or set earlier in this request) are not carried into
   * the logged-in session unless named by `keepOnLogin` or `{ keep }`: whatever was written before
   * authentication may have been planted by someone else (login CSRF, a shared computer). Values
   * set after `login()` resolves belong to the logged-in session.
   *
   * Concurrency: the old token is destroyed by an atomic claim, so of several requests replacing
   * one session only one carries it on. A login is a fresh authentication proven by this request,
   * so it succeeds even when the old session was revoked or replaced while the request was in
   * flight; it then starts empty (the revoked session's values are not carried over). If a
   * concurrent periodic rotation replaced the old token first, the login replaces its successor
   * and carries over the kept keys of both requests' values. Rejects with `session-limit` under `maxSessionsPerUser`
   * with policy "refuse"; the limit holds across processes.
   *
   * Resolves to what became of the pre-login cookie (see `CredentialChange`): with sealed cookie
   * sessions and no revocation store, copies of it stay valid (as the session they were) until
   * they expire.
   */
  login(userId: string, options: LoginOptions = {}): Promise<CredentialChange> {
    this.#assertOpen();
    if (typeof userId !== "string" || userId.length === 0) {
      return Promise.reject(
        new LatchkeyError("argument-invalid", "session.login(userId) needs a non-empty string."),
      );
    }
    return this.#lifecycle.login(this.#state, userId, options);
  }

  /**
   * Ends the session: deleted from the store (sealed cookies: a revocation mark), cookie expired,
   * `Clear-Site-Data` sent. Resolves to what became of the cookie: with sealed cookie sessions and
   * no revocation store nothing on the server can end it, so copies taken earlier keep working
   * until they expire (`copiesRemainValid: true`).
   *
   * @example
   * ```ts
   * const { copiesRemainValid } = await req.session.logout();
   * ```
   */
  logout(): Promise<CredentialChange> {
    if (this.#state.ended) return Promise.resolve(COPIES_END);
    return this.#lifecycle.logout(this.#state);
  }

  /**
   * True when the user authenticated within `maxAge` (e.g. `"5m"`): use before sensitive changes
   * such as email or password (ASVS 5.0 7.5.1). False for anonymous sessions.
   */
  isFresh(maxAge: Duration): boolean {
    const authTime = this.#state.meta?.authTime ?? null;
    return authTime !== null && this.#lifecycle.now() - authTime <= parseDuration(maxAge, "maxAge");
  }

  /**
   * Records a successful step-up (the user re-entered their password): a new token (the old one is
   * destroyed), a fresh auth time, and both timeouts restart (NIST SP 800-63B §5.2). Rejects with
   * `not-authenticated` when nobody is logged in.
   *
   * Concurrency: a step-up continues the session, so it never revives one that was revoked
   * (logout, `revoke*`) while the request was in flight: it rejects with `session-revoked`, the
   * session becomes empty and the response clears the cookie. A concurrent `login()` or
   * `rotate()` that destroyed the old token first looks the same and is answered the same way.
   *
   * Resolves to what became of the previous cookie: copies of it stay valid only with sealed
   * cookie sessions and no revocation store (`copiesRemainValid: true`).
   */
  reauthenticate(): Promise<CredentialChange> {
    this.#assertOpen();
    if (this.#state.meta?.userId == null) {
      return Promise.reject(
        new LatchkeyError(
          "not-authenticated",
          "session.reauthenticate() needs a logged-in session.",
        ),
      );
    }
    return this.#lifecycle.reauthenticate(this.#state);
  }

  /**
   * @internal What CSRF tokens bind to: the session's stable id (changes at login and
   * reauthentication), or null before the session is saved.
   */
  get csrfBinding(): string | null {
    return this.#state.meta?.sid ?? null;
  }

  // --- CSRF (token logic in src/csrf/) ---

  /**
   * A CSRF token for a form field named `_csrf` or an `x-csrf-token` header; checked by
   * `csrfMiddleware`. Masked anew on every call (BREACH), so put a fresh one in each response.
   * Bound to this session (replaced at login and reauthentication); before a session exists it
   * binds to a pre-session cookie that `csrfMiddleware` sets, so login forms are protected too.
   *
   * @example
   * ```ts
   * res.send(`<form method="post"><input type="hidden" name="_csrf" value="${req.session.csrfToken()}">…`);
   * ```
   */
  csrfToken(): string {
    return sessionCsrfToken(this, this.#csrf);
  }

  // --- end CSRF ---

  /**
   * Issues a new token now and destroys the old one (e.g. after a privilege change).
   *
   * Concurrency: as `reauthenticate()`, a session revoked while the request was in flight is not
   * revived: `rotate()` rejects with `session-revoked`, the session becomes empty and the response
   * clears the cookie. If a concurrent periodic rotation replaced the token first, `rotate()`
   * replaces that successor instead, keeping both requests' values.
   *
   * The previous cookie and every copy of it stop working, except with sealed cookie sessions
   * and no revocation store: there the browser gets the new cookie, but copies of the old one
   * stay valid until they expire, and the result says so (`copiesRemainValid: true`).
   *
   * @example
   * ```ts
   * await req.session.rotate(); // after granting the user a new role
   * ```
   */
  rotate(): Promise<CredentialChange> {
    this.#assertOpen();
    return this.#lifecycle.rotate(this.#state);
  }

  #assertOpen(): void {
    if (this.#state.ended) {
      throw new LatchkeyError(
        "session-ended",
        "This session was logged out earlier in the request; changes would be lost. Redirect, then start a new session.",
      );
    }
  }
}
