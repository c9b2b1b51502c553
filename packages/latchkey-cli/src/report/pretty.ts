// The terminal report: findings grouped by severity, most severe first, each with its
// evidence, the standard it maps to and the fix. Colours go through `util.styleText`; the CLIs
// decide whether there are any (src/report/color.ts: NO_COLOR, FORCE_COLOR, a terminal).
import { painter } from "./color.ts";
import type { Finding, FixedFinding, Report, Severity } from "./finding.ts";
import { SEVERITIES, sortFindings } from "./finding.ts";
import { escapeForTerminal as safe } from "./terminal-text.ts";

export interface PrettyOptions {
  /** ANSI colours; the CLIs pass `colorEnabled(process.stdout, process.env)`. */
  color: boolean;
}

type Paint = ReturnType<typeof painter>;

const SEVERITY_STYLE = {
  critical: ["bold", "magenta"],
  high: ["bold", "red"],
  medium: ["bold", "yellow"],
  low: ["bold", "cyan"],
  info: ["bold", "white"],
} as const satisfies Record<Severity, Parameters<Paint>[0]>;

/**
 * Renders a report for a terminal, grouped by severity. With a baseline, only new findings are
 * shown in full; the known ones get a line each, and the fixed ones are listed after them.
 *
 * @example process.stdout.write(formatPretty(report, { color: false }))
 */
export function formatPretty(report: Report, options: PrettyOptions): string {
  const paint = painter(options.color);
  const all = sortFindings(report.findings);
  const baselined = report.fixed !== undefined;
  const findings = baselined ? all.filter((f) => f.baselineState === "new") : all;
  const known = all.filter((f) => f.baselineState === "unchanged");
  const lines: string[] = [`${paint("bold", "Target:")} ${safe(report.target)}`];
  if (report.fixed !== undefined)
    lines.push(
      `Baseline: ${findings.length} new, ${known.length} unchanged, ${report.fixed.length} fixed`,
    );
  if (findings.length === 0) {
    lines.push("", baselined ? "No new findings." : "No findings.");
  } else {
    const bySeverity = [...SEVERITIES].reverse().map((s) => ({
      severity: s,
      items: findings.filter((f) => f.severity === s),
    }));
    const counts = bySeverity
      .filter((g) => g.items.length > 0)
      .map((g) => `${g.items.length} ${g.severity}`);
    const noun = `${baselined ? "new " : ""}finding${findings.length === 1 ? "" : "s"}`;
    lines.push(`${findings.length} ${noun}: ${counts.join(", ")}`);
    for (const { severity, items } of bySeverity) {
      if (items.length === 0) continue;
      const heading = `${severity.toUpperCase()} (${items.length})${baselined ? " new" : ""}`;
      lines.push("", paint(SEVERITY_STYLE[severity], heading));
      for (const f of items) lines.push(...findingLines(f, (text) => paint("dim", text)));
    }
  }
  lines.push(...baselineLines("UNCHANGED (in the baseline)", known, paint));
  lines.push(...baselineLines("FIXED (in the baseline, not seen now)", report.fixed ?? [], paint));
  lines.push(...skippedLines(report.skipped, paint));
  lines.push(...stepLines(report.steps, paint));
  return `${lines.join("\n")}\n`;
}

// One line per finding the baseline knew: the reader of a CI log wants the new ones first.
function baselineLines(
  heading: string,
  items: readonly (Finding | FixedFinding)[],
  paint: Paint,
): string[] {
  if (items.length === 0) return [];
  return [
    "",
    paint("bold", `${heading} (${items.length})`),
    ...sortFindings(items).map((f) => {
      const where = [
        f.url !== undefined ? safe(f.url) : undefined,
        f.location !== undefined ? `${safe(f.location.file)}:${f.location.line}` : undefined,
        f.cookie !== undefined ? `cookie ${safe(f.cookie)}` : undefined,
      ].filter((w) => w !== undefined);
      return `  • ${f.severity} ${safe(f.title)}  ${paint("dim", `[${safe(f.id)}]`)}${where.length > 0 ? ` at ${where.join(", ")}` : ""}`;
    }),
  ];
}

// A check that did not run is not a pass: the reader sees which, and why.
function skippedLines(skipped: Report["skipped"], paint: Paint): string[] {
  if (skipped === undefined || skipped.length === 0) return [];
  return [
    "",
    paint("bold", `SKIPPED (${skipped.length})`),
    ...skipped.map(
      (s) =>
        `  • ${safe(s.check)}${s.cookie !== undefined ? `, cookie ${safe(s.cookie)}` : ""}: ${safe(s.reason)}`,
    ),
  ];
}

// Active checks: every request, grouped under the check that made it, after the findings.
function stepLines(steps: Report["steps"], paint: Paint): string[] {
  if (steps === undefined || steps.length === 0) return [];
  const out = ["", paint("bold", "STEPS of the active checks (→ sent, ← received)")];
  let check = "";
  for (const s of steps) {
    if (s.check !== check) {
      check = s.check;
      out.push(`  ${safe(check)}`);
    }
    out.push(`    → ${safe(s.sent)}`, `    ← ${safe(s.received)}`);
    if (s.note !== undefined) out.push(`      ${paint("dim", safe(s.note))}`);
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
