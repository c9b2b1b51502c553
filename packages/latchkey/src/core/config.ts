import { type SerializeOptions, serialize } from "cookie";
import { deriveKeyRing, type KeyRing } from "../crypto/keys.ts";
import { memoryStore } from "../stores/memory.ts";
import type { Store } from "../stores/types.ts";
import { parseDuration } from "./duration.ts";
import { type EventSink, eventSink } from "./emit.ts";
import { LatchkeyError } from "./errors.ts";
import { type KeptKeys, NOTHING_KEPT, resolveKeepOnLogin } from "./login-carry-over.ts";
import { type Observability, resolveObservability } from "./observability.ts";
import type { CookieStore, SameSite, SessionsOptions } from "./options.ts";
import { DEFAULT_PRESET, TIMEOUT_PRESETS } from "./presets.ts";
import { secretWeakness } from "./secret-strength.ts";
import { countedEvents } from "./telemetry.ts";
import { isWellKnownSecret } from "./weak-secrets.ts";

/** Options after defaults and validation: resolved once, read on every request. */
export interface ResolvedConfig {
  readonly store: Store | CookieStore;
  readonly keys: KeyRing;
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly touchMs: number;
  /** 0 when periodic rotation is off. */
  readonly rotateMs: number;
  readonly graceMs: number;
  readonly cookieName: string;
  /** Attributes for every Set-Cookie of the session cookie (value and lifetime are added per response). */
  readonly cookieAttributes: Readonly<SerializeOptions>;
  /** `cookieAttributes` as Set-Cookie text ("; Path=/; HttpOnly; …"), serialized once at startup. */
  readonly cookieAttributeText: string;
  /** `Clear-Site-Data` header value for logout, or null. */
  readonly clearSiteData: string | null;
  /** `Cache-Control` for responses to an authenticated session that set no cookie, or null. */
  readonly authenticatedCacheControl: "no-store" | null;
  /** null: no limit. */
  readonly maxSessions: {
    readonly limit: number;
    readonly policy: "evict-oldest" | "refuse";
  } | null;
  readonly userAgentBinding: "off" | "event" | "end";
  /** What `login()` carries over from the session it replaces, unless the call says otherwise. */
  readonly keepOnLogin: KeptKeys;
  readonly emit: EventSink;
  /** Store failure log and metrics (the `log` and `telemetry` options). */
  readonly observability: Observability;
  readonly now: () => number;
}

const DEFAULT_COOKIE_NAME = "__Host-session";
const MIN_SECRET_BYTES = 32;
const GENERATE_SECRET = "`node -e \"console.log(crypto.randomBytes(32).toString('base64url'))\"`";
// RFC 6265bis §5.5: user agents cap cookie lifetimes at 400 days.
const MAX_LIFETIME_MS = 400 * 86_400_000;
const MAX_TOUCH_MS = 60_000;
const DEFAULT_GRACE_MS = 30_000;
const SEALED_COPIES_WARNING =
  "latchkey: sealed cookie sessions without a revocation store cannot be ended on the server. " +
  "logout(), login() and rotate() replace the cookie in the browser, but copies of a sealed cookie " +
  "stay valid until they expire (idle or absolute timeout), and the revoke* methods are refused. " +
  "Add one: cookieStore({ revocation: redisStore({ url }) }) (or postgresStore, sqliteStore).";
// RFC 9110 token: the characters a cookie name may contain (RFC 6265 §4.1.1).
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAME_SITE: readonly SameSite[] = ["lax", "strict", "none"];

export function resolveConfig(options: SessionsOptions): ResolvedConfig {
  if (options === null || typeof options !== "object") {
    throw new LatchkeyError("config-invalid", "createSessions() needs an options object.");
  }
  const production = options.production ?? process.env.NODE_ENV === "production";
  const keys = deriveKeyRing(checkSecrets(options.secrets));
  const timeouts = resolveTimeouts(options);
  const cookie = resolveCookie(options, production);
  const store = resolveStore(options.store, production);
  if (production && store.kind === "cookie" && store.revocation === undefined) {
    process.emitWarning(SEALED_COPIES_WARNING, { code: "LATCHKEY_SEALED_NO_REVOCATION" });
  }
  if (options.maxSessionsPerUser !== undefined && store.kind === "cookie") {
    throw new LatchkeyError(
      "config-invalid",
      "maxSessionsPerUser needs a server store (sealed cookie sessions cannot be counted); use sqliteStore(), redisStore() or postgresStore().",
    );
  }
  const now = options.now ?? Date.now;
  const observability = resolveObservability(options, now);
  return {
    store,
    keys,
    ...timeouts,
    cookieName: cookie.name,
    cookieAttributes: cookie.attributes,
    cookieAttributeText: cookie.attributeText,
    clearSiteData: resolveClearSiteData(options.clearSiteData),
    authenticatedCacheControl: resolveAuthenticatedCacheControl(options.authenticatedCacheControl),
    maxSessions: resolveMaxSessions(options.maxSessionsPerUser),
    userAgentBinding: resolveUserAgentBinding(options.userAgentBinding),
    keepOnLogin:
      options.keepOnLogin === undefined
        ? NOTHING_KEPT
        : resolveKeepOnLogin(options.keepOnLogin, "config-invalid", "keepOnLogin"),
    emit: countedEvents(eventSink(options.onEvent), observability.metrics),
    observability,
    now,
  };
}

function checkSecrets(secrets: SessionsOptions["secrets"]): string[] {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new LatchkeyError(
      "secret-missing",
      "createSessions() needs `secrets`: at least one random string of 32 bytes or more, e.g. from " +
        `${GENERATE_SECRET}, kept out of source control.`,
    );
  }
  const seen = new Set<string>();
  list.forEach((secret: unknown, index) => {
    const where = list.length === 1 ? "The secret" : `secrets[${index}]`;
    // Never echo a secret back: messages name its position only.
    if (typeof secret !== "string") {
      throw new LatchkeyError("secret-missing", `${where} is not a string.`);
    }
    if (isWellKnownSecret(secret)) {
      throw new LatchkeyError(
        "secret-weak",
        `${where} is a well-known example or default value, so anyone can forge sessions with it. ` +
          `Generate a random one with ${GENERATE_SECRET} and load it from the environment.`,
      );
    }
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
      throw new LatchkeyError(
        "secret-too-short",
        `${where} is ${Buffer.byteLength(secret)} bytes; use at least ${MIN_SECRET_BYTES} random bytes ` +
          "(e.g. crypto.randomBytes(32).toString('base64url')).",
      );
    }
    // Length alone is not strength: "abcdefgh" four times is 32 bytes and guessable.
    const weakness = secretWeakness(secret);
    if (weakness !== null) {
      throw new LatchkeyError(
        "secret-weak",
        `${where} ${weakness}, so it can be guessed and sessions forged with it. ` +
          `Generate a random one with ${GENERATE_SECRET} and load it from the environment.`,
      );
    }
    if (seen.has(secret)) {
      throw new LatchkeyError(
        "config-invalid",
        `${where} repeats an earlier secret; list each secret once.`,
      );
    }
    seen.add(secret);
  });
  return list as string[];
}

function resolveTimeouts(options: SessionsOptions) {
  const presetName = options.preset ?? DEFAULT_PRESET;
  const preset = TIMEOUT_PRESETS[presetName];
  if (preset === undefined) {
    throw new LatchkeyError(
      "preset-unknown",
      `Unknown preset ${JSON.stringify(presetName)}; use one of ${Object.keys(TIMEOUT_PRESETS).join(", ")}.`,
    );
  }
  const absoluteMs = parseDuration(
    options.absoluteTimeout ?? preset.absoluteTimeout,
    "absoluteTimeout",
  );
  const idleMs = parseDuration(options.idleTimeout ?? preset.idleTimeout, "idleTimeout");
  if (idleMs > absoluteMs) {
    throw new LatchkeyError(
      "timeout-order",
      "idleTimeout is longer than absoluteTimeout, so it could never apply; make idleTimeout shorter " +
        "or absoluteTimeout longer.",
    );
  }
  if (absoluteMs > MAX_LIFETIME_MS) {
    throw new LatchkeyError(
      "lifetime-too-long",
      "absoluteTimeout is over 400 days; browsers cap cookies at 400 days (RFC 6265bis §5.5) and a " +
        "session that long is not a session. Use at most 400 days (NIST AAL1 suggests 30).",
    );
  }
  const touchMs =
    options.touchInterval === undefined
      ? Math.max(1, Math.min(MAX_TOUCH_MS, Math.floor(idleMs / 10)))
      : parseDuration(options.touchInterval, "touchInterval");
  if (touchMs >= idleMs) {
    throw new LatchkeyError(
      "timeout-order",
      "touchInterval must be shorter than idleTimeout, or active users would be logged out; leave it unset.",
    );
  }
  const rotateMs =
    options.rotateEvery === undefined ? 0 : parseDuration(options.rotateEvery, "rotateEvery");
  // A grace window as long as the rotation period would let a token outlive the next rotation
  // too, so a token two rotations old could still reach the session. Unset, it fits the period.
  const graceMs =
    options.rotationGrace === undefined
      ? rotateMs === 0
        ? DEFAULT_GRACE_MS
        : Math.min(DEFAULT_GRACE_MS, Math.floor(rotateMs / 2))
      : parseDuration(options.rotationGrace, "rotationGrace");
  if (rotateMs > 0 && graceMs >= rotateMs) {
    throw new LatchkeyError(
      "timeout-order",
      "rotationGrace must be shorter than rotateEvery, or a token would still be accepted after the " +
        "next rotation; make rotationGrace a few seconds (it only covers requests in flight) or leave it unset.",
    );
  }
  return { absoluteMs, idleMs, touchMs, rotateMs, graceMs };
}

function resolveCookie(options: SessionsOptions, production: boolean) {
  const cookie = options.cookie ?? {};
  const name = cookie.name ?? DEFAULT_COOKIE_NAME;
  const secure = cookie.secure ?? true;
  const sameSite = cookie.sameSite ?? "lax";
  const path = cookie.path ?? "/";
  const domain = cookie.domain;

  if (typeof name !== "string" || !COOKIE_NAME.test(name)) {
    throw new LatchkeyError(
      "cookie-name-invalid",
      "cookie.name must be a non-empty token (letters, digits and !#$%&'*+-.^_`|~, no spaces, " +
        "'=', ';' or quotes), e.g. \"__Host-session\".",
    );
  }
  if (!SAME_SITE.includes(sameSite)) {
    throw new LatchkeyError("config-invalid", 'cookie.sameSite must be "lax", "strict" or "none".');
  }
  if (sameSite === "none" && !secure) {
    throw new LatchkeyError(
      "samesite-none-insecure",
      'cookie.sameSite "none" needs cookie.secure: true; browsers reject SameSite=None cookies ' +
        'without Secure. Keep secure: true, or use sameSite "lax".',
    );
  }
  if (!secure && production) {
    throw new LatchkeyError(
      "secure-disabled-in-production",
      "cookie.secure is false in production, so the session cookie would travel over plain HTTP. " +
        "Remove `secure: false` (browsers accept Secure cookies on http://localhost in development).",
    );
  }
  if (typeof path !== "string" || !path.startsWith("/") || /[;\s]/.test(path)) {
    throw new LatchkeyError(
      "config-invalid",
      'cookie.path must start with "/" and contain no ";" or spaces.',
    );
  }
  if (domain !== undefined && (typeof domain !== "string" || !/^\.?[a-z0-9.-]+$/i.test(domain))) {
    throw new LatchkeyError(
      "config-invalid",
      "cookie.domain must be a host name such as example.com.",
    );
  }
  if (cookie.partitioned && !secure) {
    throw new LatchkeyError("config-invalid", "cookie.partitioned needs cookie.secure: true.");
  }
  checkPrefix(name, { secure, path, domain });

  const attributes: SerializeOptions = { path, httpOnly: true, secure, sameSite };
  if (domain !== undefined) attributes.domain = domain;
  if (cookie.partitioned) attributes.partitioned = true;
  // Serialized once, now: an attribute the cookie library refuses fails at startup, and each
  // response only puts its value (and Max-Age) in front of this text.
  const attributeText = serialize(name, "", attributes).slice(name.length + 1);
  return { name, attributes, attributeText };
}

// Cookie prefixes are matched case-insensitively (RFC 6265bis §4.1.3).
function checkPrefix(
  name: string,
  c: { secure: boolean; path: string; domain: string | undefined },
): void {
  const lower = name.toLowerCase();
  if (lower.startsWith("__host-")) {
    if (!c.secure || c.domain !== undefined || c.path !== "/") {
      throw new LatchkeyError(
        "cookie-prefix-invalid",
        `A "__Host-" cookie must be Secure, have Path=/ and no Domain, or browsers drop it. ` +
          "Remove cookie.domain / cookie.path / secure: false, or choose a name without the prefix " +
          '(e.g. "__Secure-session" to share with subdomains).',
      );
    }
  } else if (lower.startsWith("__secure-") && !c.secure) {
    throw new LatchkeyError(
      "cookie-prefix-invalid",
      'A "__Secure-" cookie must be Secure, or browsers drop it. Remove `secure: false`.',
    );
  }
}

function resolveStore(store: SessionsOptions["store"], production: boolean): Store | CookieStore {
  if (store === undefined) {
    if (production) {
      throw new LatchkeyError(
        "config-invalid",
        "createSessions() needs a `store` in production: the default memory store keeps sessions in " +
          "one process and loses them on restart. Use sqliteStore(), redisStore(), postgresStore() or cookieStore().",
      );
    }
    return memoryStore();
  }
  if (
    store === null ||
    typeof store !== "object" ||
    (store.kind !== "server" && store.kind !== "cookie")
  ) {
    throw new LatchkeyError(
      "config-invalid",
      "`store` must come from a latchkey store factory (memoryStore(), cookieStore(), sqliteStore(), …).",
    );
  }
  if (
    store.kind === "cookie" &&
    store.revocation !== undefined &&
    store.revocation?.kind !== "server"
  ) {
    throw new LatchkeyError(
      "config-invalid",
      "cookieStore({ revocation }) needs a server store, e.g. redisStore().",
    );
  }
  return store;
}

function resolveMaxSessions(
  value: SessionsOptions["maxSessionsPerUser"],
): ResolvedConfig["maxSessions"] {
  if (value === undefined) return null;
  const { limit, policy = "evict-oldest" } = typeof value === "number" ? { limit: value } : value;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new LatchkeyError(
      "config-invalid",
      "maxSessionsPerUser must be a whole number of 1 or more.",
    );
  }
  if (policy !== "evict-oldest" && policy !== "refuse") {
    throw new LatchkeyError(
      "config-invalid",
      'maxSessionsPerUser.policy must be "evict-oldest" or "refuse".',
    );
  }
  return { limit, policy };
}

function resolveUserAgentBinding(
  value: SessionsOptions["userAgentBinding"],
): ResolvedConfig["userAgentBinding"] {
  if (value === undefined) return "event";
  if (value !== "off" && value !== "event" && value !== "end") {
    throw new LatchkeyError("config-invalid", 'userAgentBinding must be "off", "event" or "end".');
  }
  return value;
}

function resolveAuthenticatedCacheControl(
  value: SessionsOptions["authenticatedCacheControl"],
): ResolvedConfig["authenticatedCacheControl"] {
  if (value === undefined || value === "no-store") return "no-store";
  if (value === false) return null;
  throw new LatchkeyError(
    "config-invalid",
    'authenticatedCacheControl must be "no-store" (the default) or false; a logged-in page must not be kept by shared caches.',
  );
}

function resolveClearSiteData(value: SessionsOptions["clearSiteData"]): string | null {
  if (value === false) return null;
  const directives = value ?? ['"cookies"'];
  for (const d of directives) {
    if (!/^"(cache|cookies|storage|executionContexts|prefetchCache|prerenderCache|\*)"$/.test(d)) {
      throw new LatchkeyError(
        "config-invalid",
        `clearSiteData entries are quoted directives such as '"cookies"' or '"storage"'; got ${JSON.stringify(d)}.`,
      );
    }
  }
  return directives.length === 0 ? null : directives.join(", ");
}
