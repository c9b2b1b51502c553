import type { DeviceBoundOptions } from "../dbsc/options.ts";
import type { Store } from "../stores/types.ts";
import type { Duration } from "./duration.ts";
import type { SessionEvent } from "./events.ts";
import type { KeepOnLogin } from "./login-carry-over.ts";
import type { TimeoutPreset } from "./presets.ts";
import type { TelemetryOptions } from "./telemetry.ts";

/** The marker `cookieStore()` returns: sessions sealed into the cookie itself, no server storage. */
export interface CookieStore {
  readonly kind: "cookie";
  /** A server store that keeps revocation marks, so sealed sessions can be revoked (one lookup per request). */
  readonly revocation?: Store | undefined;
}

export type SameSite = "lax" | "strict" | "none";

export interface CookieOptions {
  /** Default `"__Host-session"`: host-only, `Secure`, `Path=/` enforced by the browser. */
  name?: string;
  /** Default `true`, also on http://localhost (browsers accept Secure cookies there). */
  secure?: boolean;
  /** Default `"lax"`. `"none"` requires `secure`. */
  sameSite?: SameSite;
  /** Default `"/"`. */
  path?: string;
  /** Default: none (host-only). Setting one shares the cookie with every subdomain. */
  domain?: string;
  /** CHIPS partitioned cookie; requires `secure`. Default `false`. */
  partitioned?: boolean;
}

export interface SessionsOptions {
  /**
   * At least one secret of ≥ 32 bytes. The first seals and signs; the others only open and
   * verify, so a secret can be rotated without logging anybody out.
   */
  secrets: string | readonly string[];
  /** Where sessions live. Default: `memoryStore()` outside production; required in production. */
  store?: Store | CookieStore;
  /** A timeout preset (default `"nist-aal2"`: 24 h absolute, 1 h idle); the two options below override it. */
  preset?: TimeoutPreset;
  /** Inactivity limit: the session ends when no request touched it for this long. */
  idleTimeout?: Duration;
  /** Lifetime limit from login (or creation), whatever the activity. At most 400 days. */
  absoluteTimeout?: Duration;
  /**
   * How stale the recorded last-activity time may get before a request writes it again.
   * Default: a tenth of the idle timeout, at most one minute. Requests in between write nothing.
   */
  touchInterval?: Duration;
  /** Periodic token rotation. Default: off. */
  rotateEvery?: Duration;
  /** How long a periodically rotated token keeps working, for requests already in flight. Default 30 s. */
  rotationGrace?: Duration;
  cookie?: CookieOptions;
  /**
   * At most this many live sessions per user (ASVS 5.0 7.1.2). At login beyond it, `"evict-oldest"`
   * (default) ends the user's oldest session; `"refuse"` makes `login()` reject with `session-limit`.
   * Server stores only.
   */
  maxSessionsPerUser?: number | { limit: number; policy?: "evict-oldest" | "refuse" };
  /**
   * Which values set before `login()` reach the logged-in session. Default `"none"`: it starts
   * empty, because anything written before authentication may have been planted by someone else
   * (login CSRF, a shared computer) and would then be read as the user's own. Name the keys that
   * should survive (a cart, a return URL), or `"all"` to carry everything as latchkey 0.1 did.
   * `login(userId, { keep })` overrides it for one call; `reauthenticate()` always keeps everything.
   *
   * @example
   * ```ts
   * createSessions({ secrets, store, keepOnLogin: ["cart"] });
   * ```
   */
  keepOnLogin?: KeepOnLogin;
  /**
   * What a User-Agent change on an existing session does: `"event"` (default) reports a
   * `user-agent-changed` event, `"end"` also ends the session, `"off"` does nothing. A weak signal
   * (browsers update themselves), never a substitute for the token.
   */
  userAgentBinding?: "off" | "event" | "end";
  /**
   * `Clear-Site-Data` on logout. Default `['"cookies"']`; `false` sends none. Note that browsers
   * clear cookies for the whole registrable domain (`example.com` and its subdomains).
   */
  clearSiteData?: false | readonly string[];
  /**
   * `Cache-Control` on every response to an authenticated session, also those that set no cookie.
   * Default `"no-store"`: a logged-in page is one user's data, and a shared cache or the browser's
   * back/forward cache must not keep it for the next person at that screen or behind that proxy
   * (ASVS 5.0 14.3.2). An app-set value that already keeps shared caches out (`no-store`, or
   * `private` without a field list) is left alone; any other value is replaced. `false` adds
   * nothing. Responses that set the session cookie carry `no-store` whatever this says.
   *
   * @example
   * ```ts
   * createSessions({ secrets, authenticatedCacheControl: false }); // the app sets its own
   * ```
   */
  authenticatedCacheControl?: "no-store" | false;
  /**
   * Device Bound Session Credentials (DBSC): after login the response offers the browser to bind
   * the session to a key kept in its secure hardware; the session middleware then serves the
   * registration and refresh endpoints, and a bound session is refused without its short-lived
   * bound cookie, so a copied session cookie stops working on another machine within minutes.
   * Browsers without DBSC keep the ordinary behaviour. Sealed cookies need a revocation store
   * (it keeps the one-time challenges). See docs/dbsc.md.
   *
   * @example
   * ```ts
   * createSessions({ secrets, store, deviceBound: { boundCookieLifetime: "5m" } });
   * ```
   */
  deviceBound?: DeviceBoundOptions;
  /** Security events: created, login, rotated, expired, destroyed, tampered, unknown-id, … */
  onEvent?: (event: SessionEvent) => void;
  /**
   * Where latchkey writes operational log lines: today, store failures (which operation, and a
   * cause code such as `ECONNREFUSED`; never a token, ref, user id, value or error message), at
   * most one line per operation every 30 s, each counting the failures it stands for. Default
   * `console.error`; `false` logs nothing (failures still reach `onEvent`).
   *
   * @example
   * ```ts
   * createSessions({ secrets, store, log: (line) => logger.error(line) });
   * ```
   */
  log?: false | ((line: string) => void);
  /**
   * OpenTelemetry metrics: event and CSRF refusal counters and a store latency histogram, created
   * on the meter you pass (latchkey never loads `@opentelemetry/api` itself). Default: none, and
   * then no metric code runs per request.
   *
   * @example
   * ```ts
   * import { metrics } from "@opentelemetry/api";
   * createSessions({ secrets, store, telemetry: { meter: metrics.getMeter("latchkey") } });
   * ```
   */
  telemetry?: TelemetryOptions;
  /** Production rules apply (e.g. `secure: false` is refused). Default: `NODE_ENV === "production"`. */
  production?: boolean;
  /** The clock, in milliseconds since the epoch. For tests. */
  now?: () => number;
}
