// The fix for each finding, in the words of the framework that set the cookie.
import type { FindingIdOf } from "../findings/catalogue.ts";
import type { Finding } from "../report/finding.ts";
import type { Framework } from "./framework.ts";
import type { ArchitectureVerdict } from "./session-architecture.ts";

type FixTable = Partial<Record<Framework, string>> & { generic: string };

// Every id the auditor can report has an entry: the compiler checks it against the catalogue.
const FIXES: Record<FindingIdOf<"audit">, FixTable> = {
  "cookie-missing-secure": {
    flask:
      "Set SESSION_COOKIE_SECURE = True (and secure=True on response.set_cookie for other cookies).",
    django: "Set SESSION_COOKIE_SECURE = True and CSRF_COOKIE_SECURE = True in settings.py.",
    express:
      "Use session({ cookie: { secure: true } }) and app.set('trust proxy', 1) behind a TLS proxy.",
    "cookie-session":
      "Use cookieSession({ secure: true }) and app.set('trust proxy', 1) behind a TLS proxy.",
    latchkey:
      "Remove cookie: { secure: false } from createSessions(); latchkey sets Secure by default.",
    generic: "Add the Secure attribute to the Set-Cookie header.",
  },
  "cookie-missing-httponly": {
    flask: "Set SESSION_COOKIE_HTTPONLY = True (the default; something turned it off).",
    django: "Set SESSION_COOKIE_HTTPONLY = True (the default; something turned it off).",
    express: "Use session({ cookie: { httpOnly: true } }) (the default; something turned it off).",
    "cookie-session": "Use cookieSession({ httpOnly: true }).",
    latchkey: "Remove cookie: { httpOnly: false } from createSessions().",
    generic: "Add the HttpOnly attribute so scripts cannot read the cookie.",
  },
  "cookie-samesite-missing": {
    flask: "Set SESSION_COOKIE_SAMESITE = 'Lax' (or 'Strict').",
    django: "Set SESSION_COOKIE_SAMESITE = 'Lax' (or 'Strict') in settings.py.",
    express: "Use session({ cookie: { sameSite: 'lax' } }).",
    "cookie-session": "Use cookieSession({ sameSite: 'lax' }).",
    latchkey: "Set cookie: { sameSite: 'lax' } in createSessions().",
    generic: "Add SameSite=Lax (or Strict) explicitly; browser defaults differ.",
  },
  "cookie-samesite-invalid": {
    flask: "Set SESSION_COOKIE_SAMESITE to exactly 'Lax', 'Strict' or 'None'.",
    django: "Set SESSION_COOKIE_SAMESITE to exactly 'Lax', 'Strict' or 'None'.",
    express: "Use cookie.sameSite: 'lax' | 'strict' | 'none' (one value).",
    generic: "Send exactly one SameSite attribute with the value Lax, Strict or None.",
  },
  "cookie-samesite-none-insecure": {
    flask: "Set SESSION_COOKIE_SECURE = True, or SESSION_COOKIE_SAMESITE = 'Lax'.",
    django: "Set SESSION_COOKIE_SECURE = True, or SESSION_COOKIE_SAMESITE = 'Lax'.",
    express: "Use cookie: { sameSite: 'none', secure: true } or sameSite: 'lax'.",
    generic:
      "SameSite=None requires Secure; browsers reject the cookie otherwise. Prefer SameSite=Lax.",
  },
  "cookie-samesite-none": {
    flask:
      "Set SESSION_COOKIE_SAMESITE = 'Lax' unless the session must work in cross-site iframes.",
    django: "Set SESSION_COOKIE_SAMESITE = 'Lax' unless the session must work cross-site.",
    express: "Use cookie: { sameSite: 'lax' } unless the session must work cross-site.",
    latchkey: "Use cookie: { sameSite: 'lax' } and add csrfMiddleware(sessions).",
    generic: "Use SameSite=Lax or Strict for the session cookie unless it must be sent cross-site.",
  },
  "cookie-prefix-invalid": {
    generic:
      "A __Host- cookie needs Secure, Path=/ and no Domain; a __Secure- cookie needs Secure. Browsers drop cookies that break these rules.",
  },
  "cookie-prefix-missing": {
    flask:
      "Set SESSION_COOKIE_NAME = '__Host-session' (with SESSION_COOKIE_SECURE = True and no SESSION_COOKIE_DOMAIN).",
    django:
      "Set SESSION_COOKIE_NAME = '__Host-sessionid' with SESSION_COOKIE_SECURE = True and SESSION_COOKIE_DOMAIN = None.",
    express: "Use session({ name: '__Host-sid', cookie: { secure: true, path: '/' } }).",
    "cookie-session": "Use cookieSession({ name: '__Host-session', secure: true }).",
    latchkey: "Keep latchkey's default cookie name __Host-session.",
    generic: "Name the session cookie with the __Host- prefix (Secure, Path=/, no Domain).",
  },
  "cookie-partitioned-insecure": {
    generic: "Partitioned cookies must also be Secure; add the Secure attribute.",
  },
  "cookie-domain-broad": {
    flask: "Leave SESSION_COOKIE_DOMAIN unset (None) so the cookie is host-only.",
    django: "Set SESSION_COOKIE_DOMAIN = None so the cookie is host-only.",
    express: "Remove cookie.domain from the session options so the cookie is host-only.",
    latchkey: "Remove cookie.domain from createSessions().",
    generic: "Omit the Domain attribute so the cookie is sent only to this host.",
  },
  "cookie-lifetime-long": {
    flask:
      "Keep session.permanent = False, or lower PERMANENT_SESSION_LIFETIME (e.g. timedelta(hours=12)).",
    django: "Lower SESSION_COOKIE_AGE (e.g. 43200) or set SESSION_EXPIRE_AT_BROWSER_CLOSE = True.",
    express:
      "Lower cookie.maxAge, or leave it unset for a browser-session cookie; enforce timeouts on the server.",
    latchkey: "Lower absoluteTimeout, or use a preset such as 'nist-aal2'.",
    generic:
      "Shorten Max-Age/Expires (browsers cap cookies at 400 days) and enforce timeouts on the server.",
  },
  "cookie-too-large": {
    flask: "Store less in the session, or move it server-side (Flask-Session).",
    generic:
      "Keep name+value under 4096 bytes and each attribute under 1024; store data server-side.",
  },
  "cookie-name-fingerprint": {
    django: "Set SESSION_COOKIE_NAME to a generic name such as '__Host-id'.",
    express: "Use session({ name: '__Host-id' }) instead of the default connect.sid.",
    generic:
      "Rename the session cookie to a generic name (e.g. __Host-id) that does not reveal the framework.",
  },
  "cookie-duplicate-name": {
    generic:
      "Set each cookie once per response; duplicates make the browser keep whichever comes last.",
  },
  "session-data-readable": {
    flask:
      "Move session data server-side (Flask-Session with Redis), or store only an opaque id; Flask only signs the cookie.",
    django:
      "Use SESSION_ENGINE = 'django.contrib.sessions.backends.db' (or cache) instead of signed_cookies.",
    "cookie-session":
      "Use express-session with a server-side store, or encrypt the cookie (latchkey cookieStore).",
    latchkey: "Use a server-side store, or latchkey's encrypted cookieStore.",
    generic:
      "Keep session data on the server, or encrypt the cookie (AES-GCM); a signature does not hide data.",
  },
  "session-secret-weak": {
    flask:
      "Set SECRET_KEY to secrets.token_hex(32) from the environment; keep the old key in SECRET_KEY_FALLBACKS only while sessions migrate.",
    django:
      "Generate a new SECRET_KEY (django.core.management.utils.get_random_secret_key) and load it from the environment.",
    express:
      "Use session({ secret: process.env.SESSION_SECRET }) with 32+ random bytes; rotate by prepending to the secret array.",
    "cookie-session":
      "Use cookieSession({ keys: [process.env.SESSION_KEY] }) with 32+ random bytes.",
    latchkey: "Use secrets: [process.env.SESSION_SECRET] with 32+ random bytes.",
    generic:
      "Replace the signing secret with 32+ random bytes kept out of source code, and rotate it now.",
  },
  "session-id-in-url": {
    generic:
      "Never put session ids in URLs; carry them only in a cookie (disable URL rewriting / trans_sid).",
  },
  "hsts-missing": {
    django: "Set SECURE_HSTS_SECONDS = 31536000 and SECURE_HSTS_INCLUDE_SUBDOMAINS = True.",
    flask:
      "Send Strict-Transport-Security: max-age=31536000; includeSubDomains (e.g. with flask-talisman).",
    express: "Use helmet() (Strict-Transport-Security: max-age=31536000; includeSubDomains).",
    latchkey: "Use helmet() (Strict-Transport-Security: max-age=31536000; includeSubDomains).",
    generic:
      "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response.",
  },
  "hsts-too-short": {
    django: "Raise SECURE_HSTS_SECONDS to at least 31536000.",
    generic: "Raise the Strict-Transport-Security max-age to at least 31536000 (one year).",
  },
  "https-redirect-missing": {
    django: "Set SECURE_SSL_REDIRECT = True (and SECURE_PROXY_SSL_HEADER behind a proxy).",
    flask: "Redirect http:// to https:// at the proxy, or use flask-talisman (force_https=True).",
    express: "Redirect http:// to https:// at the proxy, or in middleware when !req.secure.",
    generic: "Redirect every http:// request to https:// before setting any cookie.",
  },
  "csp-missing": {
    django:
      "Add a Content-Security-Policy (Django 6 SECURE_CSP, or django-csp) without 'unsafe-inline' scripts.",
    flask: "Send a Content-Security-Policy (e.g. flask-talisman) without 'unsafe-inline' scripts.",
    express: "Use helmet() with a contentSecurityPolicy that has no 'unsafe-inline' scripts.",
    latchkey: "Use helmet() with a contentSecurityPolicy that has no 'unsafe-inline' scripts.",
    generic:
      "Send a Content-Security-Policy with script-src limited to your origins, nonces or hashes.",
  },
  "csp-unsafe-inline": {
    generic:
      "Remove 'unsafe-inline' from script-src (use nonces or hashes); XSS can then read session data.",
  },
  "csp-unsafe-eval": {
    flask:
      "Drop 'unsafe-eval' from script-src in your Content-Security-Policy (flask-talisman content_security_policy); move code out of eval()/new Function().",
    django:
      "Drop 'unsafe-eval' from script-src (SECURE_CSP in Django 6, or CSP_SCRIPT_SRC with django-csp).",
    express:
      "Drop 'unsafe-eval' from helmet({ contentSecurityPolicy: { directives: { scriptSrc } } }).",
    latchkey:
      "Drop 'unsafe-eval' from helmet({ contentSecurityPolicy: { directives: { scriptSrc } } }).",
    generic:
      "Remove 'unsafe-eval' from script-src and replace eval()/new Function() in your scripts.",
  },
  "csp-script-src-broad": {
    flask:
      "List only your own origins in script-src (flask-talisman content_security_policy), or use nonces (content_security_policy_nonce_in) with 'strict-dynamic'.",
    django:
      "List only your own origins in script-src (SECURE_CSP in Django 6, or CSP_SCRIPT_SRC with django-csp), or use nonces with 'strict-dynamic'.",
    express:
      "Set helmet's directives.scriptSrc to your origins or per-request nonces; never '*', 'https:' or 'data:'.",
    latchkey:
      "Set helmet's directives.scriptSrc to your origins or per-request nonces; never '*', 'https:' or 'data:'.",
    generic:
      "Replace '*' and bare schemes (https:, data:, blob:) in script-src with your origins, nonces or hashes.",
  },
  "csp-object-src-missing": {
    flask: "Add 'object-src': \"'none'\" to the flask-talisman content_security_policy.",
    django:
      "Add object-src 'none' (SECURE_CSP in Django 6, or CSP_OBJECT_SRC = (\"'none'\",) with django-csp).",
    express: "Keep helmet's default objectSrc: [\"'none'\"]; something overrides it.",
    latchkey: "Keep helmet's default objectSrc: [\"'none'\"]; something overrides it.",
    generic:
      "Add object-src 'none' to the Content-Security-Policy: plugins can run script outside script-src.",
  },
  "csp-base-uri-missing": {
    flask:
      "Add 'base-uri': \"'none'\" (or \"'self'\") to the flask-talisman content_security_policy.",
    django:
      "Add base-uri 'none' (SECURE_CSP in Django 6, or CSP_BASE_URI = (\"'none'\",) with django-csp).",
    express: "Keep helmet's default baseUri: [\"'self'\"]; something overrides it.",
    latchkey: "Keep helmet's default baseUri: [\"'self'\"]; something overrides it.",
    generic:
      "Add base-uri 'none' (or 'self'): base-uri does not fall back to default-src, and an injected <base> moves every relative script.",
  },
  "script-integrity-missing": {
    flask:
      'Add integrity="sha384-…" and crossorigin="anonymous" to third-party <script> tags in your Jinja templates, or serve the file from /static.',
    django:
      'Add integrity="sha384-…" and crossorigin="anonymous" to third-party <script> tags in your templates, or serve the file with {% static %}.',
    express:
      'Add integrity="sha384-…" and crossorigin="anonymous" to third-party <script> tags, or bundle the library and serve it yourself.',
    generic:
      'Pin the exact version and add integrity="sha384-…" crossorigin="anonymous" to every <script src> from another origin, or host it yourself.',
  },
  "cache-control-missing": {
    flask:
      "Set response.headers['Cache-Control'] = 'no-store' in an after_request hook for responses that set the session.",
    django: "Decorate views with @never_cache, or add Cache-Control: no-store in a middleware.",
    express: "res.set('Cache-Control', 'no-store') on responses that set the session cookie.",
    latchkey:
      "latchkey sends Cache-Control: no-store when it sets the cookie; something overrides it.",
    generic: "Send Cache-Control: no-store on responses that set a session cookie.",
  },
  "cors-credentials-reflected": {
    express:
      "Use cors({ origin: ['https://app.example.com'], credentials: true }) with an explicit allowlist.",
    flask: "Use flask-cors with origins=[...] listing trusted origins, not a reflected Origin.",
    django:
      "Set CORS_ALLOWED_ORIGINS to an explicit list (django-cors-headers); never CORS_ALLOW_ALL_ORIGINS with credentials.",
    generic:
      "Only echo Origin values from an explicit allowlist when Access-Control-Allow-Credentials is true.",
  },
  "session-fixation": {
    flask:
      "Give the user a new session id at login: with Flask-Session call app.session_interface.regenerate(session) right after login_user(); with the default cookie session, session.clear() before setting the user.",
    django:
      "Log users in with django.contrib.auth.login() (it calls request.session.cycle_key()); call cycle_key() yourself in custom login code.",
    express:
      "Call req.session.regenerate() before setting the user at login (and save before redirecting).",
    latchkey:
      "Log users in with await req.session.login(userId), which issues a new id and destroys the old one.",
    generic:
      "Issue a new session id at login (and every privilege change) and destroy the pre-login session on the server.",
  },
  "session-id-adopted": {
    flask:
      "Only load sessions that exist in the store; upgrade Flask-Session (0.4+ never adopts unknown ids).",
    django:
      "Use a standard SESSION_ENGINE; custom session stores must not create a session under a client-supplied key.",
    express: "Use express-session's genid and never set req.sessionID from the request.",
    latchkey:
      "latchkey never adopts ids; something in front of it mints sessions from the cookie value.",
    generic:
      "Treat an unknown session id as no session: generate a new random id server-side instead of storing data under the client's value.",
  },
  "logout-not-invalidated": {
    flask:
      "Flask's default session is a signed cookie: logout_user() / session.clear() only changes the browser's copy, and a copy taken earlier stays valid until it expires. Move sessions server-side (Flask-Session with Redis: logout then deletes them), or store a per-user session version/'not before' time, check it in the user_loader, and bump it at logout; also set a short PERMANENT_SESSION_LIFETIME.",
    django:
      "Log out with django.contrib.auth.logout(request) (it flushes the server-side session); avoid the signed_cookies SESSION_ENGINE.",
    express:
      "Call req.session.destroy() at logout (it deletes the store entry), then clear the cookie; cookie-session cannot revoke — use a store.",
    "cookie-session":
      "cookie-session keeps the data in the cookie and cannot revoke it: use express-session with a store, or keep a per-user revocation time checked on every request.",
    latchkey: "Call await req.session.logout() (store delete, expired cookie, Clear-Site-Data).",
    generic:
      "Delete the session on the server at logout (or, for self-contained tokens, deny-list it or bump a per-user 'not before' time) so a captured cookie stops working.",
  },
  "logout-cookie-not-cleared": {
    flask:
      "In the logout view call session.clear() (Flask then expires the cookie when the session is empty) and add response.headers['Clear-Site-Data'] = '\"cookies\", \"storage\"'.",
    django:
      'Use django.contrib.auth.logout() (SessionMiddleware then deletes the cookie) and send Clear-Site-Data: "cookies", "storage" on the logout response.',
    express:
      "After req.session.destroy(), call res.clearCookie('connect.sid') (same path/domain options) and res.set('Clear-Site-Data', '\"cookies\", \"storage\"').",
    latchkey: "Use req.session.logout(); it expires the cookie and sends Clear-Site-Data.",
    generic:
      'On logout, expire the session cookie (Max-Age=0, same Path/Domain) and send Clear-Site-Data: "cookies", "storage".',
  },
  "csrf-accepted": {
    flask:
      "Enable Flask-WTF's CSRFProtect(app) and include {{ csrf_token() }} in every form; for JSON APIs require the X-CSRFToken header.",
    django:
      "Keep django.middleware.csrf.CsrfViewMiddleware enabled and remove @csrf_exempt from the view.",
    express:
      "Add CSRF protection: latchkey's csrfMiddleware(sessions), or csrf-csrf / an Origin + Sec-Fetch-Site check, and set SameSite=Lax on the session cookie.",
    latchkey:
      "Mount csrfMiddleware(sessions) after sessionMiddleware and put req.session.csrfToken() in forms as _csrf.",
    generic:
      "Require an anti-CSRF token (or a non-CORS-safelisted header) on state-changing requests, check Origin / Sec-Fetch-Site, and refuse text/plain bodies on JSON endpoints.",
  },
  "session-id-low-entropy": {
    flask:
      "Let Flask-Session generate ids (secrets.token_urlsafe(32)); never derive ids from counters, times or user data.",
    django:
      "Use Django's own session engines (get_random_string, ~190 bits); do not override _get_new_session_key.",
    express:
      "Drop the custom genid, or make it return crypto.randomBytes(32).toString('base64url').",
    latchkey: "latchkey issues 256-bit random tokens; something else mints this cookie.",
    generic:
      "Generate session ids with a CSPRNG, at least 16 random bytes (128 bits; 32 recommended), with no counter, time or user-derived part.",
  },
  "dbsc-not-offered": {
    flask:
      'No Flask extension ships DBSC yet: send Secure-Session-Registration: (ES256 RS256);path="/dbsc/register";challenge="<one-time nonce>" on the login response and serve the registration and refresh endpoints (W3C DBSC draft), or put a DBSC-aware session layer in front.',
    django:
      "Add a DBSC server library for Django (or the two endpoints yourself) and send Secure-Session-Registration with ES256/RS256, the registration path and a one-time challenge on the login response.",
    express:
      "Use latchkey's sessionMiddleware with createSessions({ deviceBound: {} }) (docs/dbsc.md), or send Secure-Session-Registration after login and serve the registration and refresh endpoints yourself.",
    latchkey:
      'Turn on the deviceBound option: createSessions({ …, deviceBound: { registrationPath: "/dbsc/register", refreshPath: "/dbsc/refresh" } }); the session middleware then offers registration at login and serves both endpoints (docs/dbsc.md).',
    generic:
      'After login, offer DBSC registration: Secure-Session-Registration: (ES256 RS256);path="/dbsc/register";challenge="<one-time nonce>", verify the browser\'s signed proof there, and issue a short-lived bound cookie that only a refresh signed by that key renews (W3C DBSC draft).',
  },
  "dbsc-registration-invalid": {
    latchkey:
      "latchkey's deviceBound option writes a valid header; something else on the login path sends this one (a proxy or hand-written code): remove it, or let deviceBound offer registration (docs/dbsc.md).",
    generic:
      'Send exactly one structured-field list item: an inner list of ES256 and/or RS256, a quoted path on the site and a quoted one-time challenge, e.g. (ES256 RS256);path="/dbsc/register";challenge="<nonce>".',
  },
  "session-idle-timeout-long": {
    flask:
      "Expire idle sessions server-side: Flask-Session with SESSION_PERMANENT=True, a short PERMANENT_SESSION_LIFETIME and SESSION_REFRESH_EACH_REQUEST=True.",
    django: "Set SESSION_COOKIE_AGE to the idle limit and SESSION_SAVE_EVERY_REQUEST = True.",
    express:
      "Use session({ rolling: true, cookie: { maxAge: idleMs } }) with a store that expires entries (ttl).",
    latchkey: "Set idleTimeout in createSessions() (or a preset such as 'nist-aal2').",
    generic:
      "Enforce an idle timeout on the server: reject a session unused for longer than the documented limit.",
  },
};

/**
 * The fix for `id` in the words of `framework`, or the generic one.
 *
 * @example fixFor("cookie-missing-secure", "django") // "Set SESSION_COOKIE_SECURE = True …"
 */
export function fixFor(id: FindingIdOf<"audit">, framework: Framework): string {
  const table = FIXES[id];
  return table[framework] ?? table.generic;
}

/** Every framework's fix for `id`, generic last (for `latchkey audit --explain`). */
export function fixesFor(id: FindingIdOf<"audit">): [Framework, string][] {
  const { generic, ...specific } = FIXES[id];
  return [...(Object.entries(specific) as [Framework, string][]), ["generic", generic]];
}

// Flask-Login's remember cookie has its own settings (REMEMBER_COOKIE_*): a fix naming
// SESSION_COOKIE_* would leave it as it is. It is the user id signed with SECRET_KEY, the same at
// every login, so only a per-login token from get_id() lets logout revoke it.
const FLASK_LOGIN_REMEMBER: Partial<Record<FindingIdOf<"audit">, string>> = {
  "logout-not-invalidated":
    "Flask-Login's remember cookie is get_id() signed with SECRET_KEY and never expires on the server: make get_id() return a per-login token (e.g. f'{user.id}:{user.session_token}') that logout replaces and the user_loader checks, set REMEMBER_COOKIE_DURATION to days rather than the 365-day default, and REMEMBER_COOKIE_SECURE = True, REMEMBER_COOKIE_HTTPONLY = True, REMEMBER_COOKIE_SAMESITE = 'Lax'.",
  "cookie-missing-secure": "Set REMEMBER_COOKIE_SECURE = True.",
  "cookie-missing-httponly":
    "Set REMEMBER_COOKIE_HTTPONLY = True (the default; something turned it off).",
  "cookie-samesite-missing": "Set REMEMBER_COOKIE_SAMESITE = 'Lax' (or 'Strict').",
  "cookie-lifetime-long":
    "Set REMEMBER_COOKIE_DURATION = timedelta(days=14) (or less); the default is 365 days.",
  "cookie-prefix-missing":
    "Set REMEMBER_COOKIE_NAME = '__Host-remember_token' with REMEMBER_COOKIE_SECURE = True and no REMEMBER_COOKIE_DOMAIN.",
};

/**
 * The fix for a finding about one cookie, when what the cookie is (Flask-Login's remember cookie)
 * calls for other settings than the framework's session cookie.
 */
export function fixForCookie(
  id: FindingIdOf<"audit">,
  framework: Framework,
  cookie: ArchitectureVerdict | undefined,
): string {
  if (cookie?.label.includes("Flask-Login remember cookie"))
    return FLASK_LOGIN_REMEMBER[id] ?? fixFor(id, framework);
  return fixFor(id, framework);
}

/** `finding` with the fix its cookie calls for (see fixForCookie). */
export function withCookieFix(
  finding: Finding,
  framework: Framework,
  architectures: ReadonlyMap<string, ArchitectureVerdict>,
): Finding {
  if (finding.cookie === undefined || finding.location !== undefined) return finding;
  const cookie = architectures.get(finding.cookie);
  if (cookie === undefined) return finding;
  return { ...finding, fix: fixForCookie(finding.id as FindingIdOf<"audit">, framework, cookie) };
}
