// Checks on whole responses: HSTS, CSP, caching of responses that set a session, session ids
// in URLs, the http→https redirect. (The CORS and http→https probes are made in audit.ts.)
import type { Finding } from "../report/finding.ts";
import type { AuditContext, ObservedCookie } from "./context.ts";
import { makeFinding, transport } from "./context.ts";
import { type CspWeaknessId, cspWeaknesses } from "./csp.ts";
import type { FetchedResponse } from "./fetch.ts";
import { decodeAttribute, startTags } from "./html-tags.ts";
import { redact } from "./set-cookie.ts";

const YEAR = 31_536_000;

export function checkHsts(response: FetchedResponse, ctx: AuditContext): Finding[] {
  if (!response.url.startsWith("https:")) return [];
  const header = response.headers["strict-transport-security"];
  if (header === undefined) {
    return [
      makeFinding(
        ctx,
        "hsts-missing",
        "medium",
        "No Strict-Transport-Security header",
        "HTTPS response without Strict-Transport-Security",
        { url: response.url },
      ),
    ];
  }
  const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(header)?.[1];
  if (maxAge === undefined || Number(maxAge) < YEAR) {
    return [
      makeFinding(
        ctx,
        "hsts-too-short",
        "low",
        "HSTS max-age under one year",
        `Strict-Transport-Security: ${header.slice(0, 200)}`,
        { url: response.url },
      ),
    ];
  }
  return [];
}

const CSP_TITLES: Record<CspWeaknessId, string> = {
  "csp-unsafe-inline": "Content-Security-Policy allows inline script",
  "csp-unsafe-eval": "Content-Security-Policy allows eval() in scripts",
  "csp-script-src-broad": "Content-Security-Policy lets scripts load from any host",
  "csp-object-src-missing": "Content-Security-Policy without object-src 'none'",
  "csp-base-uri-missing": "Content-Security-Policy without base-uri",
};

/** No CSP on an HTML page, or one that leaves out a protection against injected script. */
export function checkCsp(response: FetchedResponse, ctx: AuditContext): Finding[] {
  if (!isHtmlPage(response)) return [];
  const header = effectivePolicy(response);
  if (header === undefined) {
    return [
      makeFinding(
        ctx,
        "csp-missing",
        "low",
        "No Content-Security-Policy on an HTML page",
        "HTML response without Content-Security-Policy",
        { url: response.url },
      ),
    ];
  }
  // A weak policy is never worse than none at all, which is low: every weakness is low too.
  return cspWeaknesses(header).map(({ id, detail }) =>
    makeFinding(
      ctx,
      id,
      "low",
      CSP_TITLES[id],
      `${detail} in Content-Security-Policy: ${header.slice(0, 300)}`,
      { url: response.url },
    ),
  );
}

// The header and every <meta http-equiv> policy all apply; commas keep them separate policies.
function effectivePolicy(response: FetchedResponse): string | undefined {
  const policies: string[] = [];
  const header = response.headers["content-security-policy"];
  if (header !== undefined) policies.push(header);
  for (const tag of startTags(response.body, { names: META })) {
    const content = tag.attributes.get("content");
    if (
      tag.attributes.get("http-equiv")?.trim().toLowerCase() === "content-security-policy" &&
      content !== undefined
    )
      policies.push(decodeAttribute(content));
  }
  return policies.length === 0 ? undefined : policies.join(", ");
}

const META: ReadonlySet<string> = new Set(["meta"]);

export function isHtmlPage(response: FetchedResponse): boolean {
  return (
    response.status >= 200 &&
    response.status < 300 &&
    /text\/html/i.test(response.headers["content-type"] ?? "")
  );
}

export function checkCacheControl(
  response: FetchedResponse,
  sessionCookies: readonly ObservedCookie[],
  ctx: AuditContext,
): Finding[] {
  if (sessionCookies.length === 0) return [];
  const cacheControl = response.headers["cache-control"] ?? "";
  if (/(?:^|,)\s*no-store\b/i.test(cacheControl)) return [];
  const names = [...new Set(sessionCookies.map((c) => c.cookie.name))];
  return [
    makeFinding(
      ctx,
      "cache-control-missing",
      "medium",
      "Response that sets a session cookie may be cached",
      `Cache-Control: ${cacheControl === "" ? "(none)" : cacheControl.slice(0, 200)} on a response setting ${names.join(", ")}`,
      { url: response.url, cookie: names[0]! },
    ),
  ];
}

const SESSION_PARAM =
  /(?:[?&;]|^)(jsessionid|phpsessid|sessionid|session_id|sessid|sid|aspsessionid)=([^&#;]{8,})/i;

/** Session ids in URLs: a known session parameter, or a session cookie's value inside a link or Location. */
export function checkSessionIdInUrl(
  url: string,
  foundOn: string,
  sessionValues: readonly string[],
  ctx: AuditContext,
): Finding[] {
  const param = SESSION_PARAM.exec(url) ?? undefined;
  const value = sessionValues.find(
    (v) => v.length >= 12 && (url.includes(v) || url.includes(encodeURIComponent(v))),
  );
  if (param === undefined && value === undefined) return [];
  const evidence =
    param !== undefined
      ? `parameter ${param[1]}=${redact(param[2]!)} in ${describeUrl(url)}`
      : `a session cookie value (${redact(value!)}) appears in ${describeUrl(url)}`;
  return [
    makeFinding(ctx, "session-id-in-url", "high", "Session id in a URL", evidence, {
      url: foundOn,
    }),
  ];
}

function describeUrl(url: string): string {
  const q = url.search(/[?;]/);
  return `a URL (${(q < 0 ? url : url.slice(0, q)).slice(0, 120)}…)`;
}

/**
 * A redirect from `response`'s http URL to https on the same host and the expected port. A
 * redirect to another port of the host is not the site's HTTPS: any local user can listen there.
 */
export function isExpectedHttpsRedirect(response: FetchedResponse, httpsPort: number): boolean {
  const location = response.headers.location;
  if (response.status < 300 || response.status >= 400 || location === undefined) return false;
  let from: URL;
  let to: URL;
  try {
    from = new URL(response.url);
    to = new URL(location, from);
  } catch {
    return false;
  }
  const port = to.port === "" ? 443 : Number(to.port);
  return to.protocol === "https:" && to.hostname === from.hostname && port === httpsPort;
}

export function checkHttpTarget(
  first: FetchedResponse,
  httpsPort: number,
  ctx: AuditContext,
): Finding[] {
  if (!first.url.startsWith("http:")) return [];
  if (isExpectedHttpsRedirect(first, httpsPort)) return [];
  const findings = [
    makeFinding(
      ctx,
      "https-redirect-missing",
      transport(ctx, "high"),
      "Site served over plain HTTP without redirecting to HTTPS",
      `${first.status} for ${first.url}${ctx.development ? " (loopback development target)" : ""}`,
      { url: first.url },
    ),
  ];
  if (ctx.development) {
    findings.push(
      makeFinding(
        ctx,
        "hsts-missing",
        "info",
        "No HTTPS, so no Strict-Transport-Security",
        "plain-http loopback target (development)",
        { url: first.url },
      ),
    );
  }
  return findings;
}
