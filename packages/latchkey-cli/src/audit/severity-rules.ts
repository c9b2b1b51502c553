// Why each finding has its severity, in one line a reader can check. Where the risk depends on
// what the session cookie carries (an id into server-side state, signed or sealed client-side
// data), the architecture sets the severity too; elsewhere the line says what the rule protects
// and, when the severity is below the rule's usual one, why (a development target, a cookie
// that is not a session cookie).
import { CATALOGUE, type FindingIdOf } from "../findings/catalogue.ts";
import type { Finding, Severity } from "../report/finding.ts";
import { severityAtLeast } from "../report/finding.ts";
import type { ArchitectureVerdict } from "./session-architecture.ts";

export interface RatingContext {
  /** Plain-http loopback target: transport findings are info there. */
  development: boolean;
  /** Per session cookie name: what it carries. */
  architectures: ReadonlyMap<string, ArchitectureVerdict>;
  /** Cookies judged not to be session cookies, with why. */
  notSession: ReadonlyMap<string, string>;
}

/** What each rule protects, at its usual severity (a session cookie on a production site). */
export const WHY: Record<FindingIdOf<"audit">, string> = {
  "cookie-missing-secure":
    "a session cookie sent over plain HTTP is readable by anyone on the network path",
  "cookie-missing-httponly": "any injected script can read the session cookie and replay it",
  "cookie-samesite-missing":
    "browsers differ on the default, so cross-site requests may carry the session (CSRF)",
  "cookie-samesite-invalid": "browsers ignore an unknown SameSite and fall back to their default",
  "cookie-samesite-none-insecure": "browsers reject the cookie: the session silently breaks",
  "cookie-samesite-none": "every cross-site request carries the session; CSRF defences must hold",
  "cookie-prefix-invalid": "browsers drop a cookie that breaks its prefix's rules",
  "cookie-prefix-missing":
    "without __Host- a sibling subdomain or plain-http page can overwrite the cookie (defence in depth)",
  "cookie-partitioned-insecure": "browsers reject a Partitioned cookie without Secure",
  "cookie-domain-broad": "every host under the Domain receives the cookie",
  "cookie-lifetime-long": "a stolen or forgotten cookie stays usable for longer",
  "cookie-too-large": "browsers drop oversized cookies: the session silently breaks",
  "cookie-name-fingerprint": "names the framework to an attacker; no direct risk",
  "cookie-duplicate-name": "which copy the browser keeps is undefined",
  "session-data-readable": "the client reads what the session holds",
  "session-secret-weak": "the signature can be forged",
  "session-id-in-url":
    "URLs leak through Referer, logs and history: whoever sees one has the session",
  "hsts-missing": "a first plain-http request can be intercepted and downgraded",
  "hsts-too-short": "protection lapses between visits",
  "https-redirect-missing": "users who type the address stay on plain HTTP",
  "csp-missing": "no second line of defence against injected script (which can ride the session)",
  "csp-unsafe-inline": "injected inline script runs despite the policy",
  "csp-unsafe-eval": "injected strings can become code through eval()",
  "csp-script-src-broad": "script from any host an attacker can upload to runs in the page",
  "csp-object-src-missing": "plugins can run script in the page",
  "csp-base-uri-missing": "an injected <base> redirects every relative script URL",
  "script-integrity-missing":
    "whoever controls the other origin runs code next to the session (a weakness in depth, not an exploit)",
  "cache-control-missing": "a shared cache may hand one user's session cookie to another",
  "cors-credentials-reflected": "any site can read authenticated responses in the user's name",
  "session-fixation": "an attacker who plants the pre-login session is logged in as the victim",
  "session-id-adopted": "an attacker can plant an id of their choosing and wait for the login",
  "csrf-accepted": "another site can make the user's browser act in their name",
  "logout-not-invalidated": "a copy taken before logout still logs in",
  "logout-cookie-not-cleared":
    "the browser keeps a value that still means something (the old session survives in it)",
  "session-id-low-entropy": "session ids can be guessed",
  "session-idle-timeout-long": "an unattended session stays usable",
  "dbsc-not-offered":
    "informational: a session cookie copied by malware or from a log works on any machine until it expires; DBSC browsers could bind it to the device",
  "dbsc-registration-invalid":
    "the site means to bind sessions to the device, but browsers ignore this offer, so copied cookies keep working elsewhere",
};

/** The finding with its severity decided and the reason written into `severityReason`. */
export function rate(finding: Finding, rc: RatingContext): Finding {
  const id = finding.id as FindingIdOf<"audit">;
  const arch = finding.cookie !== undefined ? rc.architectures.get(finding.cookie) : undefined;
  const byArchitecture = arch !== undefined ? architectureRule(id, finding, arch) : undefined;
  if (byArchitecture !== undefined) return { ...finding, ...byArchitecture };
  return { ...finding, severityReason: genericReason(id, finding, rc) };
}

// The cases where a rule itself rates a finding below its usual severity.
const MILDER: Partial<Record<FindingIdOf<"audit">, Partial<Record<Severity, string>>>> = {
  "csrf-accepted": {
    low: "only a same-origin post without the token was carried out; every cross-site variant was refused",
  },
  "https-redirect-missing": {
    medium: "the plain-http side of an https site: only users who type http:// are exposed",
  },
  "cookie-lifetime-long": {
    low: "a persistent session cookie over 24 h: a longer window for a stolen or forgotten cookie",
  },
  "cookie-domain-broad": {
    low: "a Domain on a session cookie: subdomains receive it too",
  },
  "hsts-too-short": { low: "HSTS is there, with a max-age under a year" },
};

function architectureRule(
  id: FindingIdOf<"audit">,
  finding: Finding,
  arch: ArchitectureVerdict,
): { severity: Severity; severityReason: string } | undefined {
  const { architecture, label } = arch;
  const clientSide = architecture !== "server-side-id";
  switch (id) {
    case "session-secret-weak":
      return clientSide
        ? {
            severity: "critical",
            severityReason: `${label}: the secret IS the session, so anyone who knows it writes a valid session for any user`,
          }
        : {
            severity: "medium",
            severityReason: `${label}: the secret only signs the id, so an attacker can sign ids of their choosing (fixation, stores that adopt unknown ids), but taking over a session still needs a live random id`,
          };
    case "session-data-readable":
      return {
        severity: finding.severity,
        severityReason: `${label}: signing protects integrity, not confidentiality; ${finding.severity === "low" ? "no keys are exposed" : "every key in it is readable by whoever holds the cookie"}`,
      };
    case "logout-not-invalidated":
      return {
        severity: "high",
        severityReason: clientSide
          ? `${label}: the session lives in the cookie, so there is nothing on the server to delete; every earlier copy stays a login until it expires`
          : `${label}: the server kept the session after logout, so a copy taken before it (shared computer, proxy log, malware) stays a login`,
      };
    case "session-fixation":
      return {
        severity: "high",
        severityReason: `${label}: ${WHY[id]}`,
      };
    case "session-id-adopted":
      return {
        severity: finding.severity,
        severityReason: `${label}: ${WHY[id]}, and an id is all it takes to be the user`,
      };
    case "session-id-low-entropy":
      return {
        severity: finding.severity,
        severityReason: `${label}: ${finding.severity === "high" ? "repeats or under 64 bits (NIST SP 800-63B): ids can be guessed online" : "under the 128 bits ASVS 5.0 asks for, or a failed bit test: a margin lost, not yet a guess"}, and an id is all it takes to be the user`,
      };
    default:
      return undefined;
  }
}

function genericReason(id: FindingIdOf<"audit">, finding: Finding, rc: RatingContext): string {
  const { severity } = finding;
  const usual = CATALOGUE[id].defaultSeverity;
  const why = WHY[id];
  if (severity === usual) return why;
  if (MILDER[id]?.[severity] !== undefined) return MILDER[id]![severity]!;
  if (rc.development && severity === "info")
    return `info: a plain-http loopback target is a developer's machine (${usual} on a production site: ${why})`;
  if (severityAtLeast(severity, usual)) return why;
  const notSession = finding.cookie !== undefined ? rc.notSession.get(finding.cookie) : undefined;
  if (notSession !== undefined)
    return `${severity}, not ${usual}: ${finding.cookie} is not a session cookie (${notSession})`;
  return `${severity}, below the usual ${usual}: a milder case (${why})`;
}
