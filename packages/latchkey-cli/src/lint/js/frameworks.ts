// What each JavaScript session library calls its options, what it defaults to, and how to fix
// it there. Defaults are the libraries' documented ones (express-session, cookie-session,
// @fastify/session, @fastify/secure-session, Express `res.cookie`, Hono's `setCookie`, latchkey
// itself).

export type JsFramework =
  | "express-session"
  | "cookie-session"
  | "@fastify/session"
  | "@fastify/secure-session"
  | "latchkey"
  | "res.cookie"
  | "reply.setCookie"
  | "hono/cookie"
  | "ctx.cookies.set"
  | "cookies().set"
  | "Set-Cookie header"
  | "koa-session"
  | "iron-session";

/** npm package → framework, for imports and `require` calls. */
export const PACKAGES: Readonly<Record<string, JsFramework>> = {
  "express-session": "express-session",
  "cookie-session": "cookie-session",
  "@fastify/session": "@fastify/session",
  "fastify-session": "@fastify/session",
  "@fastify/secure-session": "@fastify/secure-session",
  "fastify-secure-session": "@fastify/secure-session",
  "koa-session": "koa-session",
};

export interface FrameworkProfile {
  /** Where the cookie attributes live: the options object itself, or a nested key. */
  cookieKeys: readonly string[];
  nameKey: string | undefined;
  defaultName: string;
  secureByDefault: boolean;
  httpOnlyByDefault: boolean;
  sameSiteDefault: string | undefined;
  /** Option holding the signing/encryption secret(s). */
  secretKeys: readonly string[];
  /** The unit of `maxAge` numbers. */
  maxAgeUnit: "ms" | "s";
  /** The session data lives in the cookie: a leaked secret forges any session. */
  clientSide: boolean;
  /** Uses an in-process store unless `store` is given. */
  memoryStoreByDefault: boolean;
  /** The cookie is a browser-session cookie with no server-enforced expiry unless configured. */
  needsTimeout: boolean;
  fix: Record<
    | "secure"
    | "httpOnly"
    | "sameSite"
    | "lifetime"
    | "name"
    | "domain"
    | "secret"
    | "store"
    | "timeout",
    string
  >;
}

const secretFromEnv = (key: string) =>
  `Read the secret from the environment or a secret manager: \`${key}: process.env.SESSION_SECRET\`, at least 32 random bytes (e.g. \`openssl rand -base64 32\`); rotate the one that was committed.`;

// Express `res.cookie`: no flags unless asked for.
const RES_COOKIE: FrameworkProfile = {
  cookieKeys: [],
  nameKey: undefined,
  defaultName: "",
  secureByDefault: false,
  httpOnlyByDefault: false,
  sameSiteDefault: undefined,
  secretKeys: [],
  maxAgeUnit: "ms",
  clientSide: false,
  memoryStoreByDefault: false,
  needsTimeout: false,
  fix: {
    secure: "Pass `{ secure: true }` in the cookie options.",
    httpOnly: "Pass `{ httpOnly: true }`: the session cookie is not for scripts.",
    sameSite: 'Pass `{ sameSite: "lax" }` (or "strict").',
    lifetime:
      "Keep `maxAge` at 24 h (86_400_000 ms) or less, or drop it for a browser-session cookie.",
    name: "",
    domain: "Drop `domain` so the cookie stays host-only.",
    secret: "",
    store: "",
    timeout: "",
  },
};

export const PROFILES: Readonly<Record<JsFramework, FrameworkProfile>> = {
  "express-session": {
    cookieKeys: ["cookie"],
    nameKey: "name",
    defaultName: "connect.sid",
    secureByDefault: false,
    httpOnlyByDefault: true,
    sameSiteDefault: undefined,
    secretKeys: ["secret"],
    maxAgeUnit: "ms",
    clientSide: false,
    memoryStoreByDefault: true,
    needsTimeout: true,
    fix: {
      secure:
        'Set `cookie: { secure: true }` (behind a TLS-terminating proxy also `app.set("trust proxy", 1)`).',
      httpOnly: "Remove `httpOnly: false`: express-session sets HttpOnly by default.",
      sameSite: 'Set `cookie: { sameSite: "lax" }` (or "strict").',
      lifetime:
        "Cap `cookie.maxAge` at 24 h (86_400_000 ms) and use `rolling: true` for an idle timeout.",
      name: 'Set `name: "__Host-sid"` (a generic name; `__Host-` needs `secure: true` and `path: "/"`).',
      domain: "Remove `cookie.domain` so the cookie stays host-only.",
      secret: secretFromEnv("secret"),
      store:
        "Pass a production store: `store: new RedisStore({ client })` (connect-redis) or a database store.",
      timeout:
        "Set `cookie: { maxAge: 60 * 60 * 1000 }` with `rolling: true` so idle sessions expire.",
    },
  },
  "cookie-session": {
    cookieKeys: [],
    nameKey: "name",
    defaultName: "session",
    secureByDefault: false,
    httpOnlyByDefault: true,
    sameSiteDefault: undefined,
    secretKeys: ["keys", "secret"],
    maxAgeUnit: "ms",
    clientSide: true,
    memoryStoreByDefault: false,
    needsTimeout: true,
    fix: {
      secure:
        'Set `secure: true` (behind a TLS-terminating proxy also `app.set("trust proxy", 1)`).',
      httpOnly: "Remove `httpOnly: false`: cookie-session sets HttpOnly by default.",
      sameSite: 'Set `sameSite: "lax"` (or "strict").',
      lifetime: "Cap `maxAge` at 24 h (86_400_000 ms).",
      name: 'Set `name: "__Host-session"` (a generic name; `__Host-` needs `secure: true`).',
      domain: "Remove `domain` so the cookie stays host-only.",
      secret: secretFromEnv("keys"),
      store: "",
      timeout:
        "Set `maxAge` (e.g. 60 * 60 * 1000): a cookie session without it never expires server-side, so a stolen cookie works forever.",
    },
  },
  "@fastify/session": {
    cookieKeys: ["cookie"],
    nameKey: "cookieName",
    defaultName: "sessionId",
    secureByDefault: true,
    httpOnlyByDefault: true,
    sameSiteDefault: undefined,
    secretKeys: ["secret"],
    maxAgeUnit: "ms",
    clientSide: false,
    memoryStoreByDefault: true,
    needsTimeout: true,
    fix: {
      secure: "Remove `secure: false` (the default is true) or set `cookie: { secure: true }`.",
      httpOnly: "Remove `httpOnly: false`: @fastify/session sets HttpOnly by default.",
      sameSite: 'Set `cookie: { sameSite: "lax" }` (or "strict").',
      lifetime: "Cap `cookie.maxAge` at 24 h (86_400_000 ms) and use `rolling: true`.",
      name: 'Set `cookieName: "__Host-sid"` (a generic name).',
      domain: "Remove `cookie.domain` so the cookie stays host-only.",
      secret: secretFromEnv("secret"),
      store: "Pass a production store: `store: new RedisStore({ client })` or a database store.",
      timeout:
        "Set `cookie: { maxAge: 60 * 60 * 1000 }` with `rolling: true` so idle sessions expire.",
    },
  },
  "@fastify/secure-session": {
    cookieKeys: ["cookie", "cookieOptions"],
    nameKey: "cookieName",
    defaultName: "session",
    secureByDefault: false,
    httpOnlyByDefault: true,
    sameSiteDefault: undefined,
    secretKeys: ["secret", "key"],
    maxAgeUnit: "s",
    clientSide: true,
    memoryStoreByDefault: false,
    needsTimeout: false,
    fix: {
      secure: "Set `cookie: { secure: true }`.",
      httpOnly: "Remove `httpOnly: false`: @fastify/secure-session sets HttpOnly by default.",
      sameSite: 'Set `cookie: { sameSite: "lax" }` (or "strict").',
      lifetime: "Cap `cookie.maxAge` at 24 h (86_400 s: @fastify/cookie counts seconds).",
      name: 'Set `cookieName: "__Host-session"` (a generic name).',
      domain: "Remove `cookie.domain` so the cookie stays host-only.",
      secret:
        "Load the key from outside the source: `key: fs.readFileSync(process.env.SESSION_KEY_FILE)` or `secret: process.env.SESSION_SECRET` with a random `salt`.",
      store: "",
      timeout: "",
    },
  },
  latchkey: {
    cookieKeys: ["cookie"],
    nameKey: undefined,
    defaultName: "__Host-session",
    secureByDefault: true,
    httpOnlyByDefault: true,
    sameSiteDefault: "lax",
    secretKeys: ["secrets", "secret"],
    maxAgeUnit: "ms",
    clientSide: true,
    memoryStoreByDefault: false,
    needsTimeout: false,
    fix: {
      secure:
        "Remove `secure: false`: latchkey keeps Secure on by default, and browsers accept Secure cookies on http://localhost.",
      httpOnly: "Remove `httpOnly: false`: latchkey sets HttpOnly by default.",
      sameSite: 'Use `cookie: { sameSite: "lax" }` (the default) or "strict".',
      lifetime: 'Use a preset (`"nist-aal2"`) or `absoluteTimeout: "24h"` or less.',
      name: "Keep the default name `__Host-session`.",
      domain: "Remove `cookie.domain` so the cookie stays host-only (and `__Host-` stays valid).",
      secret:
        "Read secrets from the environment: `secrets: [process.env.SESSION_SECRET!]` (at least 32 random bytes).",
      store: "",
      timeout: "",
    },
  },
  "res.cookie": RES_COOKIE,

  "hono/cookie": {
    cookieKeys: [],
    nameKey: undefined,
    defaultName: "",
    secureByDefault: false,
    httpOnlyByDefault: false,
    sameSiteDefault: undefined,
    secretKeys: [],
    maxAgeUnit: "s",
    clientSide: false,
    memoryStoreByDefault: false,
    needsTimeout: false,
    fix: {
      secure: 'Pass `{ secure: true }` (or use the `__Host-` prefix option: `prefix: "host"`).',
      httpOnly: "Pass `{ httpOnly: true }`: the session cookie is not for scripts.",
      sameSite: 'Pass `{ sameSite: "Lax" }` (or "Strict").',
      lifetime: "Keep `maxAge` at 86_400 seconds or less, or drop it for a browser-session cookie.",
      name: "",
      domain: "Drop `domain` so the cookie stays host-only.",
      secret:
        "Read the signing secret from the environment: `setSignedCookie(c, name, value, c.env.COOKIE_SECRET, …)`.",
      store: "",
      timeout: "",
    },
  },
  // Koa's ctx.cookies.set (the `cookies` package): HttpOnly unless told otherwise, maxAge in ms.
  "ctx.cookies.set": {
    ...RES_COOKIE,
    httpOnlyByDefault: true,
    fix: {
      ...RES_COOKIE.fix,
      httpOnly: "Remove `httpOnly: false`: Koa sets HttpOnly by default.",
    },
  },
  // Next.js cookies().set / response.cookies.set: no flags unless asked for, maxAge in seconds.
  "cookies().set": {
    ...RES_COOKIE,
    maxAgeUnit: "s",
    fix: {
      ...RES_COOKIE.fix,
      secure: "Pass `secure: true` to cookies().set.",
      httpOnly: "Pass `httpOnly: true` to cookies().set: the session cookie is not for scripts.",
      lifetime: "Keep `maxAge` at 86_400 seconds or less, or drop it for a browser-session cookie.",
    },
  },
  // A Set-Cookie header written by hand: only the attributes in the string.
  "Set-Cookie header": {
    ...RES_COOKIE,
    maxAgeUnit: "s",
    fix: {
      ...RES_COOKIE.fix,
      secure: "Add `; Secure` to the Set-Cookie header.",
      httpOnly: "Add `; HttpOnly` to the Set-Cookie header.",
      sameSite: "Add `; SameSite=Lax` (or Strict) to the Set-Cookie header.",
      lifetime: "Keep `Max-Age` at 86400 or less, or drop it for a browser-session cookie.",
      domain: "Drop `; Domain=` so the cookie stays host-only.",
    },
  },
  // koa-session: the cookie "koa.sess", HttpOnly and signed by default, maxAge one day in ms.
  "koa-session": {
    ...RES_COOKIE,
    nameKey: "key",
    defaultName: "koa.sess",
    httpOnlyByDefault: true,
    needsTimeout: false,
    fix: {
      ...RES_COOKIE.fix,
      secure: "Pass `secure: true` in the koa-session config (with `app.proxy = true` behind TLS).",
      httpOnly: "Remove `httpOnly: false`: koa-session sets HttpOnly by default.",
      sameSite: 'Pass `sameSite: "lax"` (or "strict") in the koa-session config.',
      lifetime: 'Keep `maxAge` at 86_400_000 ms or less (or "session").',
      name: 'Pass `key: "__Host-sess"` (a generic name) in the koa-session config.',
      domain: "Drop `domain` from the koa-session config so the cookie stays host-only.",
    },
  },
  // iron-session: sealed cookie, Secure, HttpOnly and SameSite=Lax by default; ttl in seconds.
  "iron-session": {
    cookieKeys: ["cookieOptions"],
    nameKey: "cookieName",
    defaultName: "",
    secureByDefault: true,
    httpOnlyByDefault: true,
    sameSiteDefault: "lax",
    secretKeys: ["password"],
    maxAgeUnit: "s",
    clientSide: true,
    memoryStoreByDefault: false,
    needsTimeout: false,
    fix: {
      ...RES_COOKIE.fix,
      secure: "Remove `cookieOptions.secure: false`: iron-session sets Secure by default.",
      httpOnly: "Remove `cookieOptions.httpOnly: false`: iron-session sets HttpOnly by default.",
      sameSite: 'Set `cookieOptions: { sameSite: "lax" }` (the default) or "strict".',
      lifetime: "Set `ttl` (seconds) to 86_400 or less.",
      name: "",
      secret:
        "Read the password from the environment: `password: process.env.SECRET_COOKIE_PASSWORD` (at least 32 random characters); rotate the committed one.",
    },
  },
  // @fastify/cookie: the same flags as Express, but `maxAge` counts seconds.
  "reply.setCookie": {
    ...RES_COOKIE,
    maxAgeUnit: "s",
    fix: { ...RES_COOKIE.fix, lifetime: "Keep `maxAge` at 86_400 seconds or less, or drop it." },
  },
};
