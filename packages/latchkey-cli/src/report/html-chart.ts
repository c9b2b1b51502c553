// The HTML report's picture: findings per severity as a horizontal bar chart in inline SVG.
// Presentation attributes only (no style attributes), so the page's CSP needs no inline styles
// beyond its one hashed <style> element.
import type { Severity } from "./finding.ts";
import { SEVERITIES } from "./finding.ts";

export const SEVERITY_COLOURS: Record<Severity, string> = {
  critical: "#7b1fa2",
  high: "#c62828",
  medium: "#ef6c00",
  low: "#0277bd",
  info: "#607d8b",
};

const ROW = 28;
const LABEL = 80;
const BAR = 360;

/**
 * One bar per severity, most severe on top, each labelled with its count.
 *
 * @example severityChart({ critical: 1, high: 0, medium: 3, low: 2, info: 3 })
 */
export function severityChart(counts: Record<Severity, number>): string {
  const rows = [...SEVERITIES].reverse();
  const most = Math.max(1, ...rows.map((s) => counts[s]));
  const height = rows.length * ROW + 8;
  const bars = rows.map((s, i) => {
    const y = 4 + i * ROW;
    const width = counts[s] === 0 ? 0 : Math.max(2, Math.round((counts[s] / most) * BAR));
    return [
      `<text x="${LABEL - 8}" y="${y + 17}" text-anchor="end" font-size="13" fill="#222">${s}</text>`,
      `<rect x="${LABEL}" y="${y + 4}" width="${width}" height="18" rx="3" fill="${SEVERITY_COLOURS[s]}"><title>${counts[s]} ${s}</title></rect>`,
      `<text x="${LABEL + width + 6}" y="${y + 17}" font-size="13" fill="#222" class="count" data-severity="${s}">${counts[s]}</text>`,
    ].join("");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Findings by severity" width="${LABEL + BAR + 40}" height="${height}" viewBox="0 0 ${LABEL + BAR + 40} ${height}">${bars.join("")}</svg>`;
}
