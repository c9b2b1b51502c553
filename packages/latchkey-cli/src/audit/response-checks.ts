// Checks on whole responses: HSTS, CSP, caching of responses that set a session, session ids
// in URLs. (The CORS and http→https probes need extra requests: see probes.ts.)
import type { Finding } from "../report/finding.ts";
import type { AuditContext, ObservedCookie } from "./context.ts";
import { makeFinding, transport } from "./context.ts";
import type { FetchedResponse } from "./fetch.ts";
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

export function checkCsp(response: FetchedResponse, ctx: AuditContext): Finding[] {
  if (!isHtmlPage(response)) return [];
  const header = response.headers["content-security-policy"] ?? metaCsp(response.body);
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
  if (allowsInlineScript(header)) {
    return [
      makeFinding(
        ctx,
        "csp-unsafe-inline",
        "low",
        "Content-Security-Policy allows inline script",
        `Content-Security-Policy: ${header.slice(0, 300)}`,
        { url: response.url },
      ),
    ];
  }
  return [];
}

/** script-src (or default-src) with 'unsafe-inline' and no nonce or hash that would void it (CSP Level 2+). */
export function allowsInlineScript(policy: string): boolean {
  // Several policies (comma-joined headers) all apply: inline script runs only if every one allows it.
  return policy.split(",").every((one) => {
    const directives = new Map<string, string[]>();
    for (const part of one.split(";")) {
      const [name, ...values] = part.trim().split(/\s+/);
      if (name !== undefined && name !== "" && !directives.has(name.toLowerCase()))
        directives.set(name.toLowerCase(), values);
    }
    const sources =
      directives.get("script-src-elem") ??
      directives.get("script-src") ??
      directives.get("default-src");
    if (sources === undefined) return true;
    const lower = sources.map((s) => s.toLowerCase());
    if (!lower.includes("'unsafe-inline'")) return false;
    return !lower.some(
      (s) => s.startsWith("'nonce-") || /^'sha(256|384|512)-/.test(s) || s === "'strict-dynamic'",
    );
  });
}

function metaCsp(body: string): string | undefined {
  const match =
    /<meta[^>]+http-equiv\s*=\s*["']?content-security-policy["']?[^>]*content\s*=\s*"([^"]*)"/i.exec(
      body,
    );
  return match?.[1];
}

function isHtmlPage(response: FetchedResponse): boolean {
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

export function checkHttpTarget(first: FetchedResponse, ctx: AuditContext): Finding[] {
  if (!first.url.startsWith("http:")) return [];
  const location = first.headers.location ?? "";
  if (first.status >= 300 && first.status < 400 && /^https:/i.test(location)) return [];
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
