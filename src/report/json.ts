import type { Finding, Report } from "./finding.ts";
import { sortFindings } from "./finding.ts";

/**
 * The `--json` output (DESIGN.md): `{ target, findings: [{ id, severity, title, url, cookie?,
 * evidence, standard?, fix, location? }] }`, most severe first, with a trailing newline.
 *
 * @example process.stdout.write(formatJson({ target: "https://example.com", findings }))
 */
export function formatJson(report: Report): string {
  const findings = sortFindings(report.findings).map(orderedFinding);
  return `${JSON.stringify({ target: report.target, findings }, null, 2)}\n`;
}

// Fixed key order makes the JSON diffable between runs; absent keys stay absent.
function orderedFinding(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    severity: f.severity,
    title: f.title,
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
    evidence: f.evidence,
    ...(f.standard !== undefined ? { standard: f.standard } : {}),
    fix: f.fix,
    ...(f.location !== undefined ? { location: { ...f.location } } : {}),
  };
}
