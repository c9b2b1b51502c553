// `latchkey audit --explain <finding-id>`: everything the tool knows about one rule, so a reader
// who meets an id in a report (or a CI log) learns what it means without the source: the rule,
// the standard, why it has its severity, how the auditor tests it, and the fix per framework.
import { CATALOGUE, type FindingIdOf, findingIdsOf, isFindingId } from "../findings/catalogue.ts";
import { fixesFor } from "./fixes.ts";
import { FRAMEWORK_NAMES } from "./framework.ts";
import { WHY } from "./severity-rules.ts";

const PASSIVE = "passive: read from every response fetched";
const ACTIVE = "active (--login): ";

/** How the auditor tests each rule, in one or two sentences. */
const HOW_TESTED: Record<FindingIdOf<"audit">, string> = {
  "cookie-missing-secure": `${PASSIVE}; a Set-Cookie without Secure`,
  "cookie-missing-httponly": `${PASSIVE}; a Set-Cookie without HttpOnly (CSRF double-submit cookies are exempt)`,
  "cookie-samesite-missing": `${PASSIVE}; a Set-Cookie without SameSite`,
  "cookie-samesite-invalid": `${PASSIVE}; an unknown SameSite value, or several that disagree`,
  "cookie-samesite-none-insecure": `${PASSIVE}; SameSite=None without Secure`,
  "cookie-samesite-none": `${PASSIVE}; a session cookie with SameSite=None`,
  "cookie-prefix-invalid": `${PASSIVE}; __Host- without Secure or Path=/ or with a Domain, __Secure- without Secure`,
  "cookie-prefix-missing": `${PASSIVE}; a session cookie whose name lacks __Host-`,
  "cookie-partitioned-insecure": `${PASSIVE}; Partitioned without Secure`,
  "cookie-domain-broad": `${PASSIVE}; a Domain attribute on a parent domain, or on a session cookie`,
  "cookie-lifetime-long": `${PASSIVE}; Max-Age/Expires over 400 days, or a persistent session cookie over 24 h`,
  "cookie-too-large": `${PASSIVE}; name and value over 4096 bytes, or an attribute over 1024`,
  "cookie-name-fingerprint": `${PASSIVE}; a framework's default session cookie name`,
  "cookie-duplicate-name": `${PASSIVE}; one response setting the same cookie twice`,
  "session-data-readable":
    "passive: the cookie is decoded as Flask, Django signing, cookie-session or JWT without any key; the keys are listed, never the values",
  "session-secret-weak":
    "passive: the signature is checked against ~6,400 known example secrets and their usual edits (plus --wordlist): Flask, Django signing, express-session, cookie-session/Keygrip, HS256/384/512 JWT, Flask-Login remember cookies",
  "session-id-in-url": `${PASSIVE}; a session parameter or a session cookie's value in a link or Location`,
  "hsts-missing": `${PASSIVE}; an https response without Strict-Transport-Security`,
  "hsts-too-short": `${PASSIVE}; HSTS with max-age under one year`,
  "https-redirect-missing":
    "passive: http:// on the same host is requested; it must redirect to https:// on the same host (port 443 or --https-port)",
  "csp-missing": `${PASSIVE}; an HTML page without a CSP header or <meta http-equiv>`,
  "csp-unsafe-inline": `${PASSIVE}; the script policy allows 'unsafe-inline' without a nonce, hash or 'strict-dynamic'`,
  "csp-unsafe-eval": `${PASSIVE}; script-src (or default-src) allows 'unsafe-eval'`,
  "csp-script-src-broad": `${PASSIVE}; script sources *, a bare scheme, a wildcard host, or no script-src/default-src`,
  "csp-object-src-missing": `${PASSIVE}; object-src (or default-src) is not 'none'`,
  "csp-base-uri-missing": `${PASSIVE}; no base-uri directive`,
  "script-integrity-missing": `${PASSIVE}; a <script src> on another origin without integrity`,
  "cache-control-missing": `${PASSIVE}; a response setting a session cookie without Cache-Control: no-store`,
  "cors-credentials-reflected":
    "passive: one request with a random foreign Origin; the answer echoes it with Access-Control-Allow-Credentials: true",
  "session-fixation": `${ACTIVE}the session cookie before and after login is compared, and the pre-login value replayed`,
  "session-id-adopted": `${ACTIVE}an invented value shaped like the real id is planted before login (ids only: signed or sealed data is skipped)`,
  "csrf-accepted": `${ACTIVE}the csrfProbe request is sent cross-site without a token, as text/plain, and same-origin without a token`,
  "logout-not-invalidated": `${ACTIVE}the cookies are copied, the user logs out, and the browser's jar and the copy are asked for the loggedIn page`,
  "logout-cookie-not-cleared": `${ACTIVE}the logout response must expire the cookie, send Clear-Site-Data: "cookies", or replace it with a new anonymous value while the old one stops working`,
  "session-id-low-entropy": `${ACTIVE}--samples fresh ids are collected; entropy per position and the FIPS 140-2 bit tests (ids only: signed or sealed data is skipped)`,
  "session-idle-timeout-long": `${ACTIVE}with --idle-probe T, a second session left unused for T must no longer log in`,
  "dbsc-not-offered": `${ACTIVE}the login response and the pages its redirects land on are read for a Secure-Session-Registration header (no request is sent)`,
  "dbsc-registration-invalid": `${ACTIVE}each Secure-Session-Registration header of the login is parsed as an RFC 9651 list (at most 8192 characters); as Chrome reads it: an offer needs an inner list with ES256 or RS256 and a path resolving to a secure URL on the same site; path, challenge and authorization must be strings`,
};

/** The ids `--explain` accepts: those the auditor can report. */
export function isAuditFindingId(text: string): text is FindingIdOf<"audit"> {
  return isFindingId(text) && (findingIdsOf("audit") as string[]).includes(text);
}

/** The text `--explain` prints. */
export function explain(id: FindingIdOf<"audit">): string {
  const entry = CATALOGUE[id];
  const severity = ARCHITECTURE_DEPENDENT.has(id)
    ? `${entry.defaultSeverity} typically (${WHY[id]}); the cookie's architecture sets it: id into server-side state, signed or sealed client-side data (docs/audit.md)`
    : `${entry.defaultSeverity} (${WHY[id]})`;
  const lines = [
    `${id}: ${entry.title}`,
    "",
    `severity  ${severity}`,
    `standard  ${entry.standard}`,
    `tested    ${HOW_TESTED[id]}`,
    `docs      ${entry.docs}`,
    "",
    "fix",
    ...fixesFor(id).map(([framework, fix]) => `  ${FRAMEWORK_NAMES[framework]}: ${fix}`),
  ];
  return `${lines.join("\n")}\n`;
}

const ARCHITECTURE_DEPENDENT: ReadonlySet<FindingIdOf<"audit">> = new Set([
  "session-secret-weak",
  "session-data-readable",
  "logout-not-invalidated",
  "session-id-adopted",
  "session-id-low-entropy",
]);
