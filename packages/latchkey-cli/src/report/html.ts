// `latchkey audit --html FILE`: the report as one self-contained HTML page to attach to a ticket
// or a CI run. No script, no external resource, and a CSP that forbids both (only the page's own
// <style>, by hash), so even text from a hostile site that slipped through escaping could not
// run or load anything. Every string from the report goes through escapeHtml.
import { createHash } from "node:crypto";
import type { Finding, FixedFinding, Report, ReportStep, Severity } from "./finding.ts";
import { SEVERITIES, sortFindings } from "./finding.ts";
import { SEVERITY_COLOURS, severityChart } from "./html-chart.ts";
import { escapeHtml as h } from "./html-text.ts";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.meta dt, .finding dt { font-weight: 600; color: #555; }
.finding { border: 1px solid #ddd; border-left-width: 6px; border-radius: 4px; padding: .5rem 1rem; margin: 1rem 0; }
.finding dl { display: grid; grid-template-columns: 8rem 1fr; gap: .2rem 1rem; }
.finding dd { margin: 0; overflow-wrap: anywhere; }
.badge.new { background: #0b5cad; } .fixed li { margin: .2rem 0; }
.badge { display: inline-block; color: #fff; border-radius: 3px; padding: 0 .4rem; font-size: .8rem; text-transform: uppercase; }
code, .step { font-family: ui-monospace, monospace; font-size: .85rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
${SEVERITIES.map((s) => `.sev-${s} { border-left-color: ${SEVERITY_COLOURS[s]}; } .badge.sev-${s} { background: ${SEVERITY_COLOURS[s]}; }`).join("\n")}
`;
const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");
// default-src covers scripts, images, fonts, frames and connections; base-uri and form-action
// are not fetch directives, so they are closed separately.
const CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'`;

/**
 * Renders an audit report as a self-contained HTML document.
 *
 * @example writeFileSync("audit.html", formatHtml(report))
 */
export function formatHtml(report: Report): string {
  const findings = sortFindings(report.findings);
  const counts = countBySeverity(findings);
  const title = `latchkey audit: ${h(report.target)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
${summary(report, findings.length, counts)}
<h2>Findings (${findings.length})</h2>
${findings.length === 0 ? "<p>No findings.</p>" : findings.map(findingSection).join("\n")}
${fixedSection(report.fixed)}
${skippedSection(report)}
${timelineSection(report.steps)}
</body>
</html>
`;
}

function summary(report: Report, total: number, counts: Record<Severity, number>): string {
  const run = report.run;
  const rows: [string, string][] = [["Target", h(report.target)]];
  if (run?.kind === "audit") {
    rows.push(
      ["Framework", h(run.framework)],
      ["Pages", `${run.pages.count}`],
      ["Requests", `${run.requests}`],
      ["Started", h(run.startedAt)],
      ["Duration", `${(run.durationMs / 1000).toFixed(1)} s`],
      ["Tool", `${h(run.tool.name)} ${h(run.tool.version)}`],
    );
  }
  if (report.fixed !== undefined) {
    const fresh = report.findings.filter((f) => f.baselineState === "new").length;
    const known = report.findings.length - fresh;
    rows.push([
      "Baseline",
      `${fresh} new, ${known} unchanged, ${report.fixed.length} fixed since the baseline`,
    ]);
  }
  const line = [...SEVERITIES]
    .reverse()
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
  return `<section id="summary">
<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
<p id="totals">${total} finding${total === 1 ? "" : "s"}${line === "" ? "" : `: ${line}`}</p>
${severityChart(counts)}
</section>`;
}

function findingSection(f: Finding): string {
  const rows: [string, string | undefined][] = [
    ["Where", f.url !== undefined ? `<code>${h(f.url)}</code>` : undefined],
    ["Cookie", f.cookie !== undefined ? `<code>${h(f.cookie)}</code>` : undefined],
    ["Evidence", `<code>${h(f.evidence)}</code>`],
    ["Why this severity", f.severityReason !== undefined ? h(f.severityReason) : undefined],
    ["Standard", f.standard !== undefined ? h(f.standard) : undefined],
    ["Fix", h(f.fix)],
  ];
  const state = f.baselineState !== undefined ? ` data-baseline="${f.baselineState}"` : "";
  return `<article class="finding sev-${f.severity}" data-id="${h(f.id)}"${state}>
<h3><span class="badge sev-${f.severity}">${f.severity}</span>${f.baselineState === "new" ? ' <span class="badge new">new</span>' : ""} ${h(f.title)} <code>[${h(f.id)}]</code></h3>
<dl>${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`)
    .join("")}</dl>
</article>`;
}

// The baseline's findings this run did not see.
function fixedSection(fixed: readonly FixedFinding[] | undefined): string {
  if (fixed === undefined || fixed.length === 0) return "";
  const items = sortFindings(fixed).map(
    (f) =>
      `<li data-id="${h(f.id)}"><span class="badge sev-${f.severity}">${f.severity}</span> ${h(f.title)} <code>[${h(f.id)}]</code>${f.url !== undefined ? ` at <code>${h(f.url)}</code>` : ""}${f.cookie !== undefined ? `, cookie <code>${h(f.cookie)}</code>` : ""}</li>`,
  );
  return `<h2>Fixed since the baseline (${fixed.length})</h2>\n<ul id="fixed" class="fixed">${items.join("")}</ul>`;
}

// A check that did not run is not a pass: the reader sees which, and why.
function skippedSection(report: Report): string {
  const skipped = report.skipped ?? [];
  if (skipped.length === 0) return "";
  const items = skipped.map(
    (s) =>
      `<li><code>${h(s.check)}</code>${s.cookie !== undefined ? `, cookie <code>${h(s.cookie)}</code>` : ""}: ${h(s.reason)}</li>`,
  );
  return `<h2>Skipped checks (${skipped.length})</h2>\n<ul id="skipped">${items.join("")}</ul>`;
}

// The active checks' requests (`--login`), grouped by check in the order each check began.
function timelineSection(steps: readonly ReportStep[] | undefined): string {
  if (steps === undefined || steps.length === 0) return "";
  const byCheck = new Map<string, ReportStep[]>();
  for (const s of steps) byCheck.set(s.check, [...(byCheck.get(s.check) ?? []), s]);
  const tables = [...byCheck].map(
    ([check, list]) => `<h3>${h(check)} (${list.length})</h3>
<table class="timeline"><thead><tr><th>#</th><th>sent</th><th>received</th><th>conclusion</th></tr></thead><tbody>${list
      .map(
        (s, i) =>
          `<tr><td>${i + 1}</td><td class="step">${h(s.sent)}</td><td class="step">${h(s.received)}</td><td>${s.note !== undefined ? h(s.note) : ""}</td></tr>`,
      )
      .join("")}</tbody></table>`,
  );
  return `<h2>Active checks: request timeline (${steps.length})</h2>\n<section id="timeline">${tables.join("\n")}</section>`;
}

function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
