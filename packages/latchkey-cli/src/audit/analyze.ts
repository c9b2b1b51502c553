// Turns what the crawl saw into findings. Pure (no network), so every check can be fed hostile
// headers directly; the probes' responses arrive as plain data too.
import type { Finding, SkippedCheck } from "../report/finding.ts";
import { sortFindings } from "../report/finding.ts";
import { clientSessionName, decodeClientSession } from "./client-session.ts";
import type { AuditContext, ObservedCookie } from "./context.ts";
import { isLoopback, makeFinding } from "./context.ts";
import { checkCookie } from "./cookie-checks.ts";
import type { FetchedResponse } from "./fetch.ts";
import { withCookieFix } from "./fixes.ts";
import { detectFramework, FRAMEWORK_NAMES, type Framework } from "./framework.ts";
import {
  checkCacheControl,
  checkCsp,
  checkHsts,
  checkHttpTarget,
  checkSessionIdInUrl,
  isExpectedHttpsRedirect,
} from "./response-checks.ts";
import { checkScriptIntegrity } from "./script-integrity.ts";
import { type ArchitectureVerdict, classifySession } from "./session-architecture.ts";
import { judgeSessionCookie } from "./session-cookie.ts";
import type { SetCookie } from "./set-cookie.ts";
import { lifetimeSeconds, parseSetCookie, redact } from "./set-cookie.ts";
import { type RatingContext, rate } from "./severity-rules.ts";
import { findSecret, signedCookieFor } from "./weak-secret.ts";

export interface Observations {
  target: URL;
  /** Every response in the order received; the first is the target itself. */
  responses: FetchedResponse[];
  links: { page: string; href: string }[];
  /** The response to a request carrying a foreign Origin (CORS probe), if made. */
  corsProbe?: { origin: string; response: FetchedResponse };
  /** The response of http://host/ when the target is https (http→https probe), if it answered. */
  httpProbe?: FetchedResponse;
  /** The port an http→https redirect must lead to (443 unless the site says otherwise). */
  httpsPort?: number;
}

export interface AnalyzeOptions {
  candidates: readonly Buffer[];
  now?: number;
  /** Cookies the active checks saw log the user in on their own: session cookies, whatever their name. */
  sessionCookies?: readonly string[];
}

export interface Analysis {
  /** Rated: each carries its severityReason. */
  findings: Finding[];
  framework: Framework;
  frameworkName: string;
  /** How later findings (the active checks') are rated: what each session cookie carries. */
  rating: RatingContext;
  skipped: SkippedCheck[];
}

export function analyze(obs: Observations, options: AnalyzeOptions): Analysis {
  const now = options.now ?? Date.now();
  const parsed = obs.responses.flatMap((response) =>
    response.setCookies.flatMap((header) => {
      const cookie = parseSetCookie(header);
      return cookie === undefined ? [] : [{ cookie, response }];
    }),
  );
  const jar = new Map<string, string>();
  for (const { cookie } of parsed) if (!isDeletion(cookie, now)) jar.set(cookie.name, cookie.value);
  const siblings = new Set(jar.keys());

  const clientSessions = new Map<string, ReturnType<typeof decodeClientSession>>();
  for (const { cookie } of parsed) {
    if (!clientSessions.has(`${cookie.name}\u0000${cookie.value}`)) {
      clientSessions.set(
        `${cookie.name}\u0000${cookie.value}`,
        decodeClientSession(cookie.name, cookie.value, siblings),
      );
    }
  }
  const authenticating = new Set(options.sessionCookies ?? []);
  const observed: ObservedCookie[] = parsed.map(({ cookie, response }) => {
    const session = clientSessions.get(`${cookie.name}\u0000${cookie.value}`);
    const format = session?.sealed
      ? `a sealed session: ${clientSessionName(session.format)}`
      : session !== undefined || signedCookieFor(cookie.name, cookie.value, jar) !== undefined
        ? "a signed session format"
        : undefined;
    const verdict = judgeSessionCookie(cookie, format);
    return {
      cookie,
      response,
      verdict:
        authenticating.has(cookie.name) && !verdict.session
          ? { session: true, reason: "it logs the user in on its own (active check)" }
          : verdict,
    };
  });
  const flaskSeen = [...clientSessions.values()].some((s) => s?.format === "flask");
  const framework = detectFramework(
    obs.responses,
    parsed.map((p) => p.cookie),
    flaskSeen,
  );
  const ctx: AuditContext = {
    target: obs.target,
    development: obs.target.protocol === "http:" && isLoopback(obs.target.hostname),
    framework,
    now,
  };

  const architectures = sessionArchitectures(observed, clientSessions, jar, now);
  const notSession = new Map<string, string>();
  for (const o of observed)
    if (!o.verdict.session && !architectures.has(o.cookie.name))
      notSession.set(o.cookie.name, o.verdict.reason);
  const rating: RatingContext = { development: ctx.development, architectures, notSession };

  const collected: Finding[] = [];
  for (const o of observed) collected.push(...checkCookie(o, ctx));
  for (const response of obs.responses) {
    collected.push(...duplicateNames(response, observed, ctx));
    collected.push(...checkHsts(response, ctx), ...checkCsp(response, ctx));
    collected.push(...checkScriptIntegrity(response, ctx));
    const setsSession = observed.filter(
      (o) => o.response === response && o.verdict.session && !isDeletion(o.cookie, now),
    );
    collected.push(...checkCacheControl(response, setsSession, ctx));
  }
  const sessionValues = [
    ...new Set(observed.filter((o) => o.verdict.session).map((o) => o.cookie.value)),
  ];
  for (const response of obs.responses) {
    const location = response.headers.location;
    if (location !== undefined)
      collected.push(...checkSessionIdInUrl(location, response.url, sessionValues, ctx));
  }
  for (const link of obs.links)
    collected.push(...checkSessionIdInUrl(link.href, link.page, sessionValues, ctx));
  const first = obs.responses[0];
  const httpsPort = obs.httpsPort ?? 443;
  if (first !== undefined) collected.push(...checkHttpTarget(first, httpsPort, ctx));
  if (obs.httpProbe !== undefined) collected.push(...checkHttpProbe(obs.httpProbe, httpsPort, ctx));
  if (obs.corsProbe !== undefined) collected.push(...checkCors(obs.corsProbe, ctx));
  collected.push(...clientSessionFindings(observed, clientSessions, jar, options.candidates, ctx));
  return {
    findings: sortFindings(
      dedupe(collected).map((f) => rate(withCookieFix(f, framework, architectures), rating)),
    ),
    framework,
    frameworkName: FRAMEWORK_NAMES[framework],
    rating,
    skipped: passiveSkips(architectures, observed, jar),
  };
}

// Per session cookie, what it carries: the most specific reading of any value it was seen with
// (an empty value while logged out says nothing; the logged-in value does).
function sessionArchitectures(
  observed: readonly ObservedCookie[],
  decoded: ReadonlyMap<string, ReturnType<typeof decodeClientSession>>,
  jar: ReadonlyMap<string, string>,
  now: number,
): Map<string, ArchitectureVerdict> {
  const rank = (v: ArchitectureVerdict) =>
    v.architecture !== "server-side-id" ? 2 : v.label.includes("signed") ? 1 : 0;
  const out = new Map<string, ArchitectureVerdict>();
  for (const o of observed) {
    const { name, value } = o.cookie;
    if (!o.verdict.session || name.endsWith(".sig") || isDeletion(o.cookie, now)) continue;
    const verdict = classifySession(
      decoded.get(`${name}\u0000${value}`),
      signedCookieFor(name, value, jar)?.format,
    );
    const seen = out.get(name);
    if (seen === undefined || rank(verdict) > rank(seen)) out.set(name, verdict);
  }
  return out;
}

// Passive checks that a session cookie's format rules out, so a reader does not take silence
// for a pass.
function passiveSkips(
  architectures: ReadonlyMap<string, ArchitectureVerdict>,
  observed: readonly ObservedCookie[],
  jar: ReadonlyMap<string, string>,
): SkippedCheck[] {
  const out: SkippedCheck[] = [];
  for (const [cookie, verdict] of architectures) {
    if (verdict.architecture === "sealed-client-data") {
      out.push(
        {
          check: "session-data-readable",
          cookie,
          reason: `${verdict.label}: encrypted, the client cannot read it`,
        },
        {
          check: "session-secret-weak",
          cookie,
          reason: `${verdict.label}: encryption keys are not tried, only signing secrets`,
        },
      );
      continue;
    }
    const signed = observed.some(
      (o) => o.cookie.name === cookie && signedCookieFor(cookie, o.cookie.value, jar) !== undefined,
    );
    if (!signed)
      out.push({
        check: "session-secret-weak",
        cookie,
        reason: `${verdict.label}: the value carries no signature, so there is no secret to guess`,
      });
  }
  return out;
}

function isDeletion(cookie: SetCookie, now: number): boolean {
  const lifetime = lifetimeSeconds(cookie, now);
  return lifetime !== undefined && lifetime <= 0;
}

function duplicateNames(
  response: FetchedResponse,
  observed: readonly ObservedCookie[],
  ctx: AuditContext,
): Finding[] {
  const counts = new Map<string, number>();
  for (const o of observed)
    if (o.response === response) counts.set(o.cookie.name, (counts.get(o.cookie.name) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([name, n]) =>
      makeFinding(
        ctx,
        "cookie-duplicate-name",
        "low",
        "Cookie set more than once in one response",
        `${n} Set-Cookie headers for this name`,
        { url: response.url, cookie: name },
      ),
    );
}

function checkHttpProbe(probe: FetchedResponse, httpsPort: number, ctx: AuditContext): Finding[] {
  const location = probe.headers.location ?? "";
  if (isExpectedHttpsRedirect(probe, httpsPort)) return [];
  return [
    makeFinding(
      ctx,
      "https-redirect-missing",
      "medium",
      "HTTP requests are not redirected to HTTPS",
      `${probe.url} answered ${probe.status}${location !== "" ? ` → ${location.slice(0, 120)}` : ""}`,
      { url: probe.url },
    ),
  ];
}

function checkCors(
  probe: { origin: string; response: FetchedResponse },
  ctx: AuditContext,
): Finding[] {
  const allowOrigin = probe.response.headers["access-control-allow-origin"] ?? "";
  const credentials =
    (probe.response.headers["access-control-allow-credentials"] ?? "").trim().toLowerCase() ===
    "true";
  if (!credentials || allowOrigin.trim() !== probe.origin) return [];
  return [
    makeFinding(
      ctx,
      "cors-credentials-reflected",
      "high",
      "CORS reflects any Origin with credentials",
      `Origin: ${probe.origin} → Access-Control-Allow-Origin: ${allowOrigin.slice(0, 100)}, Access-Control-Allow-Credentials: true`,
      { url: probe.response.url },
    ),
  ];
}

function clientSessionFindings(
  observed: readonly ObservedCookie[],
  decoded: ReadonlyMap<string, ReturnType<typeof decodeClientSession>>,
  jar: ReadonlyMap<string, string>,
  candidates: readonly Buffer[],
  ctx: AuditContext,
): Finding[] {
  // Per cookie name: the union of readable keys over every value seen, and the first weak
  // secret found (each distinct value is tried once).
  const byName = new Map<
    string,
    { url: string; format?: string; keys: Set<string>; secret?: string; tried: Set<string> }
  >();
  // Sealed sessions are client-side too, but nobody can read them: nothing to report here.
  for (const o of observed) {
    const { name, value } = o.cookie;
    if (name.endsWith(".sig")) continue;
    let entry = byName.get(name);
    if (entry === undefined) {
      entry = { url: o.response.url, keys: new Set(), tried: new Set() };
      byName.set(name, entry);
    }
    if (entry.tried.has(value)) continue;
    entry.tried.add(value);
    const session = decoded.get(`${name}\u0000${value}`);
    if (session !== undefined && !session.sealed) {
      entry.format = session.format;
      for (const k of session.keys) entry.keys.add(k);
    }
    if (entry.secret !== undefined) continue;
    const signed = signedCookieFor(name, value, jar);
    const secret = signed === undefined ? undefined : findSecret(signed, candidates);
    if (signed !== undefined && secret !== undefined) {
      entry.secret = `${signed.format} signature verifies with a known weak secret ${redact(secret.toString("latin1"))}`;
    }
  }
  const out: Finding[] = [];
  for (const [name, entry] of byName) {
    const where = { url: entry.url, cookie: name };
    if (entry.format !== undefined) {
      const keys = [...entry.keys].slice(0, 20).map((k) => JSON.stringify(k.slice(0, 40)));
      out.push(
        makeFinding(
          ctx,
          "session-data-readable",
          keys.length > 0 ? "medium" : "low",
          "Session data readable by the client",
          `${entry.format} cookie decodes without any key; keys: ${keys.length > 0 ? keys.join(", ") : "(none)"}`,
          where,
        ),
      );
    }
    if (entry.secret !== undefined) {
      out.push(
        makeFinding(
          ctx,
          "session-secret-weak",
          "critical",
          "Session cookie signed with a guessable secret",
          entry.secret,
          where,
        ),
      );
    }
  }
  return out;
}

// One finding per (id, cookie) — or per (id, url) for page-level findings; how often it was
// seen goes into the evidence.
function dedupe(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, { finding: Finding; count: number }>();
  const pageLevel = new Set(["session-id-in-url"]);
  for (const f of findings) {
    const key = [f.id, f.cookie ?? "", pageLevel.has(f.id) ? (f.url ?? "") : ""].join("\u0000");
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, { finding: f, count: 1 });
    else {
      seen.count++;
      if (severityRank(f.severity) > severityRank(seen.finding.severity)) seen.finding = f;
    }
  }
  return [...byKey.values()].map(({ finding, count }) =>
    count > 1 ? { ...finding, evidence: `${finding.evidence} (seen ${count} times)` } : finding,
  );
}

function severityRank(s: Finding["severity"]): number {
  return ["info", "low", "medium", "high", "critical"].indexOf(s);
}
