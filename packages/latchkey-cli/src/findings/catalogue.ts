// Every finding id either command can report, with what a report says about it wherever it
// appears: the title, the usual severity, the requirement it maps to and where the docs explain
// it. `latchkey audit` and `latchkey lint` both read this table, so one id never means two
// things and a SARIF rule is the same whichever command produced it.
import type { Severity } from "../report/finding.ts";

/** Which command can report a finding id. */
export type Command = "audit" | "lint";

/** A heading in the repository's docs (GitHub anchor form), checked by the tests. */
export type DocsAnchor =
  | "docs/audit.md#what-is-checked"
  | "docs/audit.md#active-checks---login"
  | "docs/lint.md#what-it-reports";

export interface CatalogueEntry {
  /** The problem in general; a finding's own title may say more about the case at hand. */
  readonly title: string;
  /** The severity of the typical case (a session cookie, a production site). */
  readonly defaultSeverity: Severity;
  /** OWASP ASVS 5.0 requirement ids where one applies, else the guideline or RFC section. */
  readonly standard: string;
  readonly docs: DocsAnchor;
  readonly commands: readonly Command[];
}

const PASSIVE: DocsAnchor = "docs/audit.md#what-is-checked";
const ACTIVE: DocsAnchor = "docs/audit.md#active-checks---login";
const LINT: DocsAnchor = "docs/lint.md#what-it-reports";

// Ids are public and stable: CI baselines and code-scanning alerts are keyed on them.
export const CATALOGUE = {
  "cookie-missing-secure": {
    title: "Cookie may travel over plain HTTP (no Secure)",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.3.1",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-missing-httponly": {
    title: "Cookie readable by JavaScript (no HttpOnly)",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.3.4",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-samesite-missing": {
    title: "Cookie without an explicit SameSite",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.3.2",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-samesite-invalid": {
    title: "Cookie with an invalid or conflicting SameSite value",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.3.2",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  // RFC 6265bis 5.7 is where browsers are told to drop such a cookie altogether.
  "cookie-samesite-none-insecure": {
    title: "SameSite=None without Secure (browsers reject the cookie)",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.3.2; RFC 6265bis 5.7",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-samesite-none": {
    title: "Session cookie sent on cross-site requests (SameSite=None)",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.3.2",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-prefix-invalid": {
    title: "Cookie breaks the rules of its __Host- or __Secure- prefix (browsers drop it)",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.3.3; RFC 6265bis 4.1.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "cookie-prefix-missing": {
    title: "Session cookie without the __Host- prefix",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.3.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "cookie-partitioned-insecure": {
    title: "Partitioned cookie without Secure (browsers reject it)",
    defaultSeverity: "low",
    standard: "CHIPS (Partitioned requires Secure)",
    docs: PASSIVE,
    commands: ["audit"],
  },
  // ASVS 3.3.3 asks for host-only cookies unless sharing with other hosts is the design.
  "cookie-domain-broad": {
    title: "Cookie shared with subdomains (Domain is set)",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.3.3",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-lifetime-long": {
    title: "Session cookie lives too long",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 7.3.2",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-too-large": {
    title: "Cookie too large (browsers ignore it)",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.3.5",
    docs: PASSIVE,
    commands: ["audit"],
  },
  // No ASVS 5.0 requirement covers default names; the cheat sheet is the source.
  "cookie-name-fingerprint": {
    title: "Cookie name reveals the framework",
    defaultSeverity: "low",
    standard: "OWASP Session Management Cheat Sheet (Session ID Name Fingerprinting)",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "cookie-duplicate-name": {
    title: "Cookie set more than once in one response",
    defaultSeverity: "low",
    standard: "RFC 6265bis 4.1.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "session-data-readable": {
    title: "Session data readable by the client",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 14.3.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  // A guessable key gives none of the 128 bits of security ASVS 11.2.3 asks of every primitive.
  "session-secret-weak": {
    title: "Session secret is well known or too short",
    defaultSeverity: "critical",
    standard: "ASVS 5.0 11.2.3",
    docs: PASSIVE,
    commands: ["audit", "lint"],
  },
  "session-id-in-url": {
    title: "Session id in a URL",
    defaultSeverity: "high",
    standard: "ASVS 5.0 14.2.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "hsts-missing": {
    title: "No Strict-Transport-Security header",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.4.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "hsts-too-short": {
    title: "HSTS max-age under one year",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "https-redirect-missing": {
    title: "HTTP requests are not redirected to HTTPS",
    defaultSeverity: "high",
    standard: "ASVS 5.0 12.2.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "csp-missing": {
    title: "No Content-Security-Policy on an HTML page",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "csp-unsafe-inline": {
    title: "Content-Security-Policy allows inline script",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "cache-control-missing": {
    title: "Response that sets a session cookie may be cached",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 14.3.2",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "cors-credentials-reflected": {
    title: "CORS reflects any Origin with credentials",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.4.2",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "session-fixation": {
    title: "Session id not replaced at login",
    defaultSeverity: "high",
    standard: "ASVS 5.0 7.2.4",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "session-id-adopted": {
    title: "Session id chosen by the client is accepted",
    defaultSeverity: "high",
    standard:
      "ASVS 5.0 7.2.4; OWASP Session Management Cheat Sheet (permissive session management)",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "csrf-accepted": {
    title: "State-changing request accepted without CSRF protection",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.5.1; ASVS 5.0 3.5.2",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "logout-not-invalidated": {
    title: "Session still valid after logout",
    defaultSeverity: "high",
    standard: "ASVS 5.0 7.4.1",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "logout-cookie-not-cleared": {
    title: "Logout leaves the session cookie in the browser",
    defaultSeverity: "low",
    standard: "ASVS 5.0 14.3.1",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "session-id-low-entropy": {
    title: "Session ids are guessable",
    defaultSeverity: "high",
    standard: "ASVS 5.0 7.2.3; NIST SP 800-63B 7.1",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "session-idle-timeout-long": {
    title: "Session still valid after the idle period",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 7.3.1",
    docs: ACTIVE,
    commands: ["audit"],
  },
  // Device Bound Session Credentials: whether a copied session cookie stays usable elsewhere.
  "dbsc-not-offered": {
    title: "Session not bound to the device (no DBSC registration after login)",
    defaultSeverity: "info",
    standard: "W3C Device Bound Session Credentials (Editor's Draft), Secure-Session-Registration",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "dbsc-registration-invalid": {
    title: "DBSC registration header a browser would ignore",
    defaultSeverity: "low",
    standard:
      "W3C Device Bound Session Credentials (Editor's Draft), Secure-Session-Registration; RFC 9651",
    docs: ACTIVE,
    commands: ["audit"],
  },
  "session-secret-hardcoded": {
    title: "Session secret is hard-coded in source",
    defaultSeverity: "high",
    standard: "ASVS 5.0 13.3.1; CWE-798",
    docs: LINT,
    commands: ["lint"],
  },
  "session-store-memory": {
    title: "Sessions kept in the process's memory (default MemoryStore)",
    defaultSeverity: "medium",
    standard: "CWE-401",
    docs: LINT,
    commands: ["lint"],
  },
  "session-engine-signed-cookies": {
    title: "Django sessions stored in signed cookies",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 7.4.1",
    docs: LINT,
    commands: ["lint"],
  },
  "session-timeout-missing": {
    title: "No session timeout configured",
    defaultSeverity: "low",
    standard: "ASVS 5.0 7.3.1",
    docs: LINT,
    commands: ["lint"],
  },
  "csrf-disabled": {
    title: "CSRF protection disabled",
    defaultSeverity: "high",
    standard: "ASVS 5.0 3.5.1",
    docs: LINT,
    commands: ["lint"],
  },
  "csrf-exempt-view": {
    title: "State-changing view exempt from CSRF protection",
    defaultSeverity: "medium",
    standard: "ASVS 5.0 3.5.1",
    docs: LINT,
    commands: ["lint"],
  },
  // Script-injection hardening around the session (CSP strength, Subresource Integrity), and
  // Django's pickle-in-a-cookie configuration.
  "csp-unsafe-eval": {
    title: "Content-Security-Policy allows eval() in scripts",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "csp-script-src-broad": {
    title: "Content-Security-Policy lets scripts load from any host",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "csp-object-src-missing": {
    title: "Content-Security-Policy without object-src 'none'",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "csp-base-uri-missing": {
    title: "Content-Security-Policy without base-uri",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.4.3",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "script-integrity-missing": {
    title: "Script from another origin without Subresource Integrity",
    defaultSeverity: "low",
    standard: "ASVS 5.0 3.6.1",
    docs: PASSIVE,
    commands: ["audit"],
  },
  "session-serializer-pickle": {
    title: "Django session cookies deserialized with pickle",
    defaultSeverity: "critical",
    standard: "ASVS 5.0 1.5.2; CWE-502",
    docs: LINT,
    commands: ["lint"],
  },
} as const satisfies Record<string, CatalogueEntry>;

/** A finding id: a key of the catalogue. */
export type FindingId = keyof typeof CATALOGUE;

/** The ids `C` can report, as a type: `makeFinding` and `lintFinding` accept nothing else. */
export type FindingIdOf<C extends Command> = {
  [K in FindingId]: C extends (typeof CATALOGUE)[K]["commands"][number] ? K : never;
}[FindingId];

/** Every finding id, in catalogue order. */
export const FINDING_IDS = Object.keys(CATALOGUE) as FindingId[];

/**
 * The ids `command` can report.
 *
 * @example findingIdsOf("lint").includes("csrf-exempt-view") // true
 */
export function findingIdsOf<C extends Command>(command: C): FindingIdOf<C>[] {
  return FINDING_IDS.filter((id): id is FindingIdOf<C> =>
    (CATALOGUE[id].commands as readonly Command[]).includes(command),
  );
}

/** True when `text` names a catalogued finding (ids read back from JSON or a suppression). */
export function isFindingId(text: string): text is FindingId {
  return Object.hasOwn(CATALOGUE, text);
}
