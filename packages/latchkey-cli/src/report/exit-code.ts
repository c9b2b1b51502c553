import type { Finding, Severity } from "./finding.ts";
import { severityAtLeast } from "./finding.ts";

/**
 * Exit status for `audit` and `lint` (docs/audit.md, docs/lint.md): 1 when any finding is at or above `failOn`,
 * otherwise 0. (2, usage or network error, is decided by the CLIs before any finding exists.)
 * A finding the `--baseline` report already knew (`baselineState: "unchanged"`) never counts.
 *
 * @example process.exitCode = exitCodeFor(report.findings, "high")
 */
export function exitCodeFor(findings: readonly Finding[], failOn: Severity): 0 | 1 {
  return findings.some(
    (f) => f.baselineState !== "unchanged" && severityAtLeast(f.severity, failOn),
  )
    ? 1
    : 0;
}
