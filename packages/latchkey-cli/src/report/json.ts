import type { Finding, Report } from "./finding.ts";
import { sortFindings } from "./finding.ts";

/**
 * The `--json` output, as docs/audit.md and docs/lint.md describe it: `{ target, findings: [{
 * id, severity, title, url, cookie?, evidence, standard?, fix, location? }], steps? }`, most
 * severe first, with a trailing newline.
 * `steps` is there only when active checks ran (`latchkey audit --login`); `skipped` (audit)
 * lists the checks that did not apply or could not run, with why.
 *
 * @example process.stdout.write(formatJson({ target: "https://example.com", findings }))
 */
export function formatJson(report: Report): string {
  const findings = sortFindings(report.findings).map(orderedFinding);
  // `steps` (active checks only) comes last, so a report without it is unchanged.
  const steps = report.steps?.map((s) => ({
    check: s.check,
    sent: s.sent,
    received: s.received,
    ...(s.note !== undefined ? { note: s.note } : {}),
  }));
  const skipped = report.skipped?.map((s) => ({
    check: s.check,
    ...(s.cookie !== undefined ? { cookie: s.cookie } : {}),
    reason: s.reason,
  }));
  return `${JSON.stringify(
    {
      target: report.target,
      findings,
      ...(skipped !== undefined ? { skipped } : {}),
      ...(steps !== undefined ? { steps } : {}),
    },
    null,
    2,
  )}\n`;
}

// Fixed key order makes the JSON diffable between runs; absent keys stay absent.
function orderedFinding(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    severity: f.severity,
    ...(f.severityReason !== undefined ? { severityReason: f.severityReason } : {}),
    title: f.title,
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
    evidence: f.evidence,
    ...(f.standard !== undefined ? { standard: f.standard } : {}),
    fix: f.fix,
    ...(f.location !== undefined ? { location: { ...f.location } } : {}),
  };
}
