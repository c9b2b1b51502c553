// The terminal report: findings grouped by severity, most severe first, each with its
// evidence, the standard it maps to and the fix.
import type { Finding, Report, Severity } from "./finding.ts";
import { SEVERITIES, sortFindings } from "./finding.ts";
import { escapeForTerminal as safe } from "./terminal-text.ts";

export interface PrettyOptions {
  /** ANSI colours; the CLIs pass `process.stdout.isTTY && !process.env.NO_COLOR`. */
  color: boolean;
}

const colors: Record<Severity, string> = {
  critical: "\u001b[1;35m",
  high: "\u001b[1;31m",
  medium: "\u001b[1;33m",
  low: "\u001b[1;36m",
  info: "\u001b[1;37m",
};
const DIM = "\u001b[2m";
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/**
 * Renders a report for a terminal, grouped by severity.
 *
 * @example process.stdout.write(formatPretty(report, { color: process.stdout.isTTY }))
 */
export function formatPretty(report: Report, options: PrettyOptions): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const findings = sortFindings(report.findings);
  const lines: string[] = [`${paint(BOLD, "Target:")} ${safe(report.target)}`];
  if (report.baselined !== undefined)
    lines.push(
      `${report.baselined} known finding${report.baselined === 1 ? "" : "s"} left out (in the baseline)`,
    );
  if (findings.length === 0) {
    lines.push("", "No findings.");
    lines.push(...skippedLines(report.skipped, paint));
    lines.push(...stepLines(report.steps, paint));
    return `${lines.join("\n")}\n`;
  }
  const bySeverity = [...SEVERITIES].reverse().map((s) => ({
    severity: s,
    items: findings.filter((f) => f.severity === s),
  }));
  const counts = bySeverity
    .filter((g) => g.items.length > 0)
    .map((g) => `${g.items.length} ${g.severity}`);
  lines.push(`${findings.length} finding${findings.length === 1 ? "" : "s"}: ${counts.join(", ")}`);
  for (const { severity, items } of bySeverity) {
    if (items.length === 0) continue;
    lines.push("", paint(colors[severity], `${severity.toUpperCase()} (${items.length})`));
    for (const f of items) lines.push(...findingLines(f, (text) => paint(DIM, text)));
  }
  lines.push(...skippedLines(report.skipped, paint));
  lines.push(...stepLines(report.steps, paint));
  return `${lines.join("\n")}\n`;
}

// A check that did not run is not a pass: the reader sees which, and why.
function skippedLines(
  skipped: Report["skipped"],
  paint: (code: string, text: string) => string,
): string[] {
  if (skipped === undefined || skipped.length === 0) return [];
  return [
    "",
    paint(BOLD, `SKIPPED (${skipped.length})`),
    ...skipped.map(
      (s) =>
        `  • ${safe(s.check)}${s.cookie !== undefined ? `, cookie ${safe(s.cookie)}` : ""}: ${safe(s.reason)}`,
    ),
  ];
}

// Active checks: every request, grouped under the check that made it, after the findings.
function stepLines(
  steps: Report["steps"],
  paint: (code: string, text: string) => string,
): string[] {
  if (steps === undefined || steps.length === 0) return [];
  const out = ["", paint(BOLD, "STEPS of the active checks (→ sent, ← received)")];
  let check = "";
  for (const s of steps) {
    if (s.check !== check) {
      check = s.check;
      out.push(`  ${safe(check)}`);
    }
    out.push(`    → ${safe(s.sent)}`, `    ← ${safe(s.received)}`);
    if (s.note !== undefined) out.push(`      ${paint(DIM, safe(s.note))}`);
  }
  return out;
}

function findingLines(f: Finding, dim: (text: string) => string): string[] {
  // Every string may come from the audited site or the linted tree (cookie names, URLs, header
  // text, file names): each is escaped, which also keeps a finding on its own lines.
  const out = [`  • ${safe(f.title)}  ${dim(`[${f.id}]`)}`];
  const where: string[] = [];
  if (f.location !== undefined)
    where.push(`${safe(f.location.file)}:${f.location.line}:${f.location.column}`);
  else if (f.url !== undefined) where.push(safe(f.url));
  if (f.cookie !== undefined) where.push(`cookie ${safe(f.cookie)}`);
  if (where.length > 0) out.push(`    ${dim("at")}       ${where.join(", ")}`);
  out.push(`    ${dim("evidence")} ${safe(f.evidence)}`);
  if (f.severityReason !== undefined) out.push(`    ${dim("why")}      ${safe(f.severityReason)}`);
  if (f.environment !== undefined)
    out.push(
      `    ${dim("env")}      ${f.environment}${f.environmentReason !== undefined ? `: ${safe(f.environmentReason)}` : ""}`,
    );
  if (f.standard !== undefined) out.push(`    ${dim("standard")} ${safe(f.standard)}`);
  out.push(`    ${dim("fix")}      ${safe(f.fix)}`);
  return out;
}
