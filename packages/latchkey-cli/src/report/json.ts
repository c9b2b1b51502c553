import type { Finding, Report, Severity } from "./finding.ts";
import { SEVERITIES, sortFindings } from "./finding.ts";

/**
 * The `--json` output, as docs/audit.md and docs/lint.md describe it: `{ target, findings: [{
 * id, severity, title, url, cookie?, evidence, standard?, fix, location? }], steps? }`, most
 * severe first, with a trailing newline.
 * An audit report opens with its run's metadata: `{ tool: { name, version }, target, startedAt,
 * finishedAt, framework, pages: { count, urls }, counts: { critical, high, medium, low, info } }`.
 * `baselined` (audit `--baseline`) counts the known findings left out of `findings`.
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
  const run = report.run;
  return `${JSON.stringify(
    {
      ...(run !== undefined ? { tool: { ...run.tool } } : {}),
      target: report.target,
      ...(run !== undefined
        ? {
            startedAt: run.startedAt,
            finishedAt: run.finishedAt,
            framework: run.framework,
            pages: { count: run.pages.count, urls: [...run.pages.urls] },
            counts: countBySeverity(report.findings),
          }
        : {}),
      ...(report.baselined !== undefined ? { baselined: report.baselined } : {}),
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
    ...(f.environment !== undefined ? { environment: f.environment } : {}),
    ...(f.environmentReason !== undefined ? { environmentReason: f.environmentReason } : {}),
    title: f.title,
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
    evidence: f.evidence,
    ...(f.standard !== undefined ? { standard: f.standard } : {}),
    fix: f.fix,
    ...(f.location !== undefined ? { location: { ...f.location } } : {}),
  };
}

// Most severe first, every severity present (0 when none), so a dashboard reads fixed keys.
function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = {} as Record<Severity, number>;
  for (const s of [...SEVERITIES].reverse()) counts[s] = 0;
  for (const f of findings) counts[f.severity]++;
  return counts;
}
