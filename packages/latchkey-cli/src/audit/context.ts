// What every check needs to know about the audit, and one way to build a finding.
import { CATALOGUE, type FindingIdOf } from "../findings/catalogue.ts";
import type { Finding, Severity } from "../report/finding.ts";
import type { FetchedResponse } from "./fetch.ts";
import { fixFor } from "./fixes.ts";
import type { Framework } from "./framework.ts";
import type { SessionVerdict } from "./session-cookie.ts";
import type { SetCookie } from "./set-cookie.ts";

export interface AuditContext {
  target: URL;
  /** Plain-http loopback target: a developer's machine, where transport findings are info. */
  development: boolean;
  framework: Framework;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface ObservedCookie {
  cookie: SetCookie;
  response: FetchedResponse;
  verdict: SessionVerdict;
}

/**
 * A finding of the auditor: the standard comes from the catalogue, the fix from the framework
 * detected; the title says what was seen in this case.
 */
export function makeFinding(
  ctx: AuditContext,
  id: FindingIdOf<"audit">,
  severity: Severity,
  title: string,
  evidence: string,
  where: { url?: string; cookie?: string } = {},
): Finding {
  return {
    id,
    severity,
    title,
    ...(where.url !== undefined ? { url: where.url } : {}),
    ...(where.cookie !== undefined ? { cookie: where.cookie } : {}),
    evidence,
    standard: CATALOGUE[id].standard,
    fix: fixFor(id, ctx.framework),
  };
}

/** Transport findings (Secure, HSTS, https redirect) on a development target are info. */
export function transport(ctx: AuditContext, severity: Severity): Severity {
  return ctx.development ? "info" : severity;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === "::1" ||
    host === "0:0:0:0:0:0:0:1"
  );
}
