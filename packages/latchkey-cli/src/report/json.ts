import type { Finding, FixedFinding, Report, Severity } from "./finding.ts";
import { SEVERITIES, sortFindings } from "./finding.ts";
import { findingFingerprint } from "./fingerprint.ts";

/**
 * The `schemaVersion` of the JSON reports; raised when a key is removed or changes meaning
 * (adding a key does not raise it). The schemas in packages/latchkey-cli/schemas describe it.
 */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * The `--json` output, as docs/audit.md and docs/lint.md describe it and
 * schemas/audit-report.schema.json and schemas/lint-report.schema.json define it: `{ target,
 * findings: [{ id, severity, title, url, cookie?, evidence, standard?, fix, location? }],
 * steps? }`, most severe first, with a trailing newline.
 * A report the CLIs print opens with its run's metadata (`schemaVersion`, `tool`, times,
 * `durationMs`; for audit `framework`, `pages`, `requests`; for lint `files`, `suppressed`;
 * `counts` by severity) and gives every finding its `fingerprint`.
 * With `--baseline`, every finding has `baselineState` (new or unchanged), `baseline` counts
 * them and `fixed` lists the baseline's findings this run did not see.
 * `steps` is there only when active checks ran (`latchkey audit --login`); `skipped` (audit)
 * lists the checks that did not apply or could not run, with why.
 *
 * @example process.stdout.write(formatJson({ target: "https://example.com", findings }))
 */
export function formatJson(report: Report): string {
  const withFingerprints = report.run !== undefined;
  const findings = sortFindings(report.findings).map((f) => orderedFinding(f, withFingerprints));
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
  const fixed = report.fixed !== undefined ? sortFindings(report.fixed) : undefined;
  return `${JSON.stringify(
    {
      ...runMetadata(report),
      ...(fixed !== undefined
        ? {
            baseline: {
              new: report.findings.filter((f) => f.baselineState === "new").length,
              unchanged: report.findings.filter((f) => f.baselineState === "unchanged").length,
              fixed: fixed.length,
            },
          }
        : {}),
      findings,
      ...(fixed !== undefined ? { fixed: fixed.map(orderedFixed) } : {}),
      ...(skipped !== undefined ? { skipped } : {}),
      ...(steps !== undefined ? { steps } : {}),
    },
    null,
    2,
  )}\n`;
}

// Metadata first, in a fixed order, so a reader of the file sees what the run was at once.
function runMetadata(report: Report): Record<string, unknown> {
  const run = report.run;
  if (run === undefined) return { target: report.target };
  const common = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: run.tool.name, version: run.tool.version },
    target: report.target,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
  };
  const counts = countBySeverity(report.findings);
  if (run.kind === "lint")
    return { ...common, files: { ...run.files }, suppressed: run.suppressed, counts };
  return {
    ...common,
    framework: run.framework,
    pages: { count: run.pages.count, urls: [...run.pages.urls] },
    requests: run.requests,
    counts,
  };
}

// Fixed key order makes the JSON diffable between runs; absent keys stay absent.
function orderedFinding(f: Finding, withFingerprint: boolean): Record<string, unknown> {
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
    ...(withFingerprint ? { fingerprint: findingFingerprint(f) } : {}),
    ...(f.baselineState !== undefined ? { baselineState: f.baselineState } : {}),
  };
}

function orderedFixed(f: FixedFinding): Record<string, unknown> {
  return {
    id: f.id,
    severity: f.severity,
    title: f.title,
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
    ...(f.location !== undefined ? { location: { ...f.location } } : {}),
    fingerprint: f.fingerprint,
  };
}

/**
 * Findings per severity, most severe first, every severity present (0 when none), so a
 * dashboard reads fixed keys.
 *
 * @example countBySeverity([]) // { critical: 0, high: 0, medium: 0, low: 0, info: 0 }
 */
export function countBySeverity(
  findings: readonly { severity: Severity }[],
): Record<Severity, number> {
  const counts = {} as Record<Severity, number>;
  for (const s of [...SEVERITIES].reverse()) counts[s] = 0;
  for (const f of findings) counts[f.severity]++;
  return counts;
}
