// Does the site offer Device Bound Session Credentials (W3C WebAppSec DBSC) after login? A site
// that does sends `Secure-Session-Registration` on the login exchange (the login response or the
// page its redirects land on); a DBSC browser then binds the session to a key it keeps in
// hardware, so a copied session cookie stops working elsewhere. No request is sent: the check
// reads the responses the login already produced.
import type { PendingFinding } from "./active-result.ts";
import { parseRegistrationHeader, type RegistrationOffer } from "./dbsc-header.ts";
import type { FetchedResponse } from "./fetch.ts";
import type { Flow } from "./login-flow.ts";

const HEADER = "secure-session-registration";
/** The signature algorithms Chrome can sign registration proofs with. */
export const DBSC_ALGORITHMS: readonly string[] = ["ES256", "RS256"];
const CHECK = "dbsc";

/** What was offered: the usable offer, else why each header is unusable. */
export type DbscVerdict =
  | { offered: true; url: string; algorithms: string[]; path: string; challenge: boolean }
  | { offered: false; headers: { url: string; problems: string[] }[] };

/**
 * Reads every `Secure-Session-Registration` header of `responses` (the login exchange).
 *
 * @example dbscVerdict([]).offered // false
 */
export function dbscVerdict(responses: readonly FetchedResponse[]): DbscVerdict {
  const headers: { url: string; problems: string[] }[] = [];
  for (const response of responses) {
    const value = response.headers[HEADER];
    if (value === undefined) continue;
    const parsed = parseRegistrationHeader(value);
    if (!parsed.ok) {
      headers.push({ url: response.url, problems: [parsed.reason] });
      continue;
    }
    const problems: string[] = [];
    for (const offer of parsed.offers) {
      const wrong = problemsOf(offer, response.url);
      if (wrong.length === 0)
        return {
          offered: true,
          url: response.url,
          algorithms: offer.algorithms.filter((a) => DBSC_ALGORITHMS.includes(a)),
          path: offer.path ?? "",
          challenge: offer.challengeLength !== undefined,
        };
      if (problems.length < 8) problems.push(...wrong);
    }
    if (parsed.members > parsed.offers.length)
      problems.push(`and ${parsed.members - parsed.offers.length} more list members, not read`);
    headers.push({ url: response.url, problems: problems.length > 0 ? problems : ["no offer"] });
  }
  return { offered: false, headers };
}

// Why Chrome would not register with this offer: the rules of RegistrationFetcherParam in
// Chromium's net/device_bound_sessions (an inner list with ES256 or RS256; `path`, `challenge`
// and `authorization` strings when present; `path` resolved against the response's URL to a
// secure, same-site URL). A missing challenge is allowed there: Chrome registers without one.
function problemsOf(offer: RegistrationOffer, url: string): string[] {
  const problems: string[] = [];
  if (!offer.innerList) problems.push("not an inner list of algorithms such as (ES256 RS256)");
  else if (!offer.algorithms.some((a) => DBSC_ALGORITHMS.includes(a)))
    problems.push(
      offer.algorithms.length === 0
        ? "no algorithm (Chrome signs with ES256 or RS256)"
        : `no algorithm Chrome supports (ES256, RS256) in (${offer.algorithms.map(short).join(" ")})`,
    );
  for (const key of offer.wrongTypes) problems.push(`${key} is not a quoted string`);
  if (offer.path === undefined && !offer.wrongTypes.includes("path"))
    problems.push("no path parameter (where to register)");
  else if (offer.path !== undefined) {
    const endpoint = registrationUrl(offer.path, url);
    if (endpoint === undefined)
      problems.push(`path ${JSON.stringify(short(offer.path))} is not a URL on the site`);
    else if (!isSecure(endpoint))
      problems.push(`the registration URL ${short(endpoint.href)} is neither https nor localhost`);
  }
  return problems;
}

// The path resolved as Chrome does (percent-escapes decoded, relative to the response's URL),
// when it lands on the same site. "Same site" without the Public Suffix List: the same scheme
// and host, or the same last two labels of a DNS name.
function registrationUrl(path: string, base: string): URL | undefined {
  try {
    const from = new URL(base);
    const resolved = new URL(safeDecode(path), from);
    return resolved.protocol === from.protocol && sameSite(resolved.hostname, from.hostname)
      ? resolved
      : undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function sameSite(a: string, b: string): boolean {
  if (a === b) return true;
  if (/^[\d.]+$|:/.test(a) || /^[\d.]+$|:/.test(b)) return false;
  const site = (host: string) => host.split(".").slice(-2).join(".");
  return site(a) === site(b);
}

function isSecure(url: URL): boolean {
  const host = url.hostname;
  return (
    url.protocol === "https:" ||
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === "[::1]"
  );
}

// Text from the site, shortened; the terminal report escapes whatever is left.
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`.slice(0, 120);
  } catch {
    return "?";
  }
}

/**
 * The DBSC findings of a login: `dbsc-not-offered` when no response of the exchange offers
 * registration, `dbsc-registration-invalid` when every offer is one Chrome would ignore. A
 * recognised offer is noted in the report's steps (a challenge is optional: Chrome registers
 * without one, and the refresh always carries one).
 */
export function checkDbsc(
  flow: Flow,
  login: readonly FetchedResponse[],
  at: { url: string; cookie: string },
): PendingFinding[] {
  const verdict = dbscVerdict(login);
  if (verdict.offered) {
    flow.client.note(
      CHECK,
      "(no request)",
      `Secure-Session-Registration on ${pathOf(verdict.url)}`,
      `DBSC offered: ${verdict.algorithms.join(" ")}, registration at ${short(verdict.path)}${verdict.challenge ? "" : ", without a challenge"}`,
    );
    return [];
  }
  if (verdict.headers.length === 0) {
    const pages = login.map((r) => `${pathOf(r.url)} (${r.status})`).join(", ");
    return [
      {
        id: "dbsc-not-offered",
        severity: "info",
        title: "Session not bound to the device (no DBSC registration after login)",
        evidence: `no Secure-Session-Registration header on the login exchange (${pages || "no response"}): a copy of ${at.cookie} works on any machine until it expires or is revoked`,
        ...at,
      },
    ];
  }
  const described = verdict.headers
    .slice(0, 3)
    .map((h) => `on ${pathOf(h.url)}: ${h.problems.join("; ")}`)
    .join(" | ");
  flow.client.note(CHECK, "(no request)", "Secure-Session-Registration", "unusable offer");
  return [
    {
      id: "dbsc-registration-invalid",
      severity: "low",
      title: "DBSC registration header a browser would ignore",
      evidence: `Secure-Session-Registration ${described}`,
      ...at,
      url: verdict.headers[0]?.url ?? at.url,
    },
  ];
}
