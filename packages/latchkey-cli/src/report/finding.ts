// The one shape every check produces, whether it comes from `latchkey audit` (a live site) or
// `latchkey lint` (source code). Formatters and the exit code only ever see these values.
import type { FindingId } from "../findings/catalogue.ts";

export type Severity = "info" | "low" | "medium" | "high" | "critical";

/** Every severity, in ascending order. */
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

const rank: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * True when `s` is at least as severe as `min`.
 *
 * @example severityAtLeast("high", "medium") // true
 */
export function severityAtLeast(s: Severity, min: Severity): boolean {
  return rank[s] >= rank[min];
}

/**
 * Reads a severity name as typed on a command line (`--fail-on HIGH`); undefined when unknown.
 *
 * @example parseSeverity("High") // "high"
 */
export function parseSeverity(text: string): Severity | undefined {
  const normalized = text.trim().toLowerCase();
  return (SEVERITIES as readonly string[]).includes(normalized)
    ? (normalized as Severity)
    : undefined;
}

/** 1-based line and column, as editors and SARIF count them. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface Finding {
  /** Stable, says the problem: "cookie-missing-httponly"; see src/findings/catalogue.ts. */
  id: FindingId;
  severity: Severity;
  /**
   * Why this severity, in one line: for session findings, what the cookie carries (an id into
   * server-side state, signed or sealed client-side data) and what that makes the weakness cost.
   */
  severityReason?: string;
  /** Lint: the environment the finding applies to, judged from how the project runs the code. */
  environment?: "production" | "development" | "test" | "unknown";
  /** Lint: why that environment, in one line. */
  environmentReason?: string;
  title: string;
  /** Audit: the page or response the finding was seen on. */
  url?: string;
  /** The cookie NAME, never its value. */
  cookie?: string;
  /** Redacted: never a whole token, secret or cookie value. */
  evidence: string;
  /** The requirement it maps to, e.g. "ASVS 5.0 3.3.4". */
  standard?: string;
  /** A concrete fix for the detected framework. */
  fix: string;
  /** Lint: where in the code. */
  location?: SourceLocation;
  /** With `--baseline` only: whether the baseline already knew this finding. */
  baselineState?: BaselineState;
}

/**
 * One request an active check made (audit `--login`), as the report shows it: what was sent and
 * what came back, redacted (never a whole token, cookie value or credential).
 */
export interface ReportStep {
  /** The check the request belongs to, e.g. "login", "session-fixation", "csrf-accepted". */
  check: string;
  /** e.g. `POST http://127.0.0.1:5000/login · cookie session=eyJj…(88 chars) · form username, password` */
  sent: string;
  /** e.g. `302 → /account · Set-Cookie: session=eyJf…(120 chars); HttpOnly; Path=/` */
  received: string;
  /** What the check concluded from it, e.g. "logged in". */
  note?: string;
}

/** A check that did not apply to a cookie, or could not run, and why. */
export interface SkippedCheck {
  check: string;
  cookie?: string;
  reason: string;
}

/** Who made a report and when: the part of the metadata both commands share. */
export interface RunTimes {
  tool: { name: string; version: string };
  /** ISO 8601 timestamps of the start and the end of the run. */
  startedAt: string;
  finishedAt: string;
  /** Measured with a monotonic clock, so it is right even when the wall clock jumps. */
  durationMs: number;
}

/** What an audit run was: who ran it, when, and what it saw (audit `--json` and `--html`). */
export interface AuditRun extends RunTimes {
  kind: "audit";
  /** The framework the passive checks detected, e.g. "Flask", or "unknown". */
  framework: string;
  /** Distinct URLs fetched; `urls` holds at most the first 100 of them, in the order fetched. */
  pages: { count: number; urls: string[] };
  /** Every HTTP request the audit sent: crawl, probes and active checks. */
  requests: number;
}

/** What a lint run was (lint `--json`). */
export interface LintRun extends RunTimes {
  kind: "lint";
  /** Files read, files whose syntax tree was built, files that could not be parsed. */
  files: { scanned: number; parsed: number; unparsable: number };
  /** Findings silenced by a `latchkey: ignore` comment. */
  suppressed: number;
}

/** How a finding compares with the `--baseline` report: not in it, or already in it. */
export type BaselineState = "new" | "unchanged";

/** A finding of the baseline that this run no longer sees (fixed, or its page not reached). */
export interface FixedFinding {
  id: string;
  severity: Severity;
  title: string;
  url?: string;
  cookie?: string;
  /** Lint: where the baseline saw it. */
  location?: SourceLocation;
  fingerprint: string;
}

export interface Report {
  target: string;
  /** Present in reports the CLIs print: the run's metadata. */
  run?: AuditRun | LintRun;
  findings: Finding[];
  /**
   * With `--baseline`: the baseline's findings this run did not see. Its presence says a
   * baseline was applied, and then every finding carries its `baselineState`.
   */
  fixed?: FixedFinding[];
  /** Checks that did not apply or could not run (audit), with the reason. */
  skipped?: SkippedCheck[];
  /** Present only when active checks ran: every request they made, in order. */
  steps?: ReportStep[];
}

/** Findings ordered most severe first, then by id, url and cookie, so output is stable. */
export function sortFindings<
  T extends Pick<Finding, "severity" | "url" | "cookie" | "location"> & { id: string },
>(findings: readonly T[]): T[] {
  return [...findings].sort(
    (a, b) =>
      rank[b.severity] - rank[a.severity] ||
      compare(a.id, b.id) ||
      compare(a.url ?? a.location?.file ?? "", b.url ?? b.location?.file ?? "") ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      compare(a.cookie ?? "", b.cookie ?? ""),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
