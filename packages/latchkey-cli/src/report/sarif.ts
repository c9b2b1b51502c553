// SARIF 2.1.0 output, the format CI code-scanning dashboards read (GitHub, Azure DevOps, …).
// One rule per finding id, one result per finding. A rule describes the id, not this run: it
// comes from the finding catalogue alone, so `audit --sarif` and `lint --sarif` agree on it and
// code-scanning dashboards never see one rule change its meaning. Validated against the
// official schema in test/audit/report.test.ts.
import { createHash } from "node:crypto";
import { CATALOGUE, type FindingId } from "../findings/catalogue.ts";
import type { Finding, Report, Severity } from "./finding.ts";
import { sortFindings } from "./finding.ts";
import { locationFor, pageArtifact, TARGET_BASE_ID, targetBase } from "./sarif-location.ts";

export interface SarifTool {
  name: string;
  version: string;
  informationUri?: string;
}

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

// SARIF has three levels that matter; the finer severity travels in `security-severity`
// (a CVSS-like 0–10 score that GitHub code scanning turns back into critical/high/medium/low).
const level: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};
const securitySeverity: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

/**
 * Renders a report as a SARIF 2.1.0 log (one run), with a trailing newline.
 *
 * @example
 * formatSarif(report, sarifTool())
 */
export function formatSarif(report: Report, tool: SarifTool): string {
  const findings = sortFindings(report.findings);
  const ruleIds = [...new Set(findings.map((f) => f.id))].sort();
  const rules = ruleIds.map(ruleFor);
  const driver: Record<string, unknown> = { name: tool.name, version: tool.version, rules };
  if (tool.informationUri !== undefined) driver.informationUri = tool.informationUri;
  const base = targetBase(report.target);
  const usesTarget =
    base !== undefined && findings.some((f) => f.location === undefined && f.url?.startsWith(base));
  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver },
        automationDetails: { id: `${tool.name}/${report.target}` },
        ...(usesTarget
          ? {
              originalUriBaseIds: {
                [TARGET_BASE_ID]: { uri: base, description: { text: "The audited site's origin" } },
              },
            }
          : {}),
        results: findings.map((f) => ({
          ...resultFor(f, ruleIds.indexOf(f.id), base),
          // Compared with a baseline, what is left is what the baseline did not know.
          ...(report.baselined !== undefined ? { baselineState: "new" } : {}),
        })),
        ...(report.baselined !== undefined ? { properties: { baselined: report.baselined } } : {}),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function ruleFor(id: FindingId): Record<string, unknown> {
  const entry = CATALOGUE[id];
  return {
    id,
    name: pascalCase(id),
    shortDescription: { text: entry.title },
    help: { text: `${entry.title}. Standard: ${entry.standard}. Documented in ${entry.docs}.` },
    defaultConfiguration: { level: level[entry.defaultSeverity] },
    properties: {
      tags: ["security", "session"],
      "security-severity": securitySeverity[entry.defaultSeverity],
      standard: entry.standard,
      docs: entry.docs,
    },
  };
}

function resultFor(
  f: Finding,
  ruleIndex: number,
  base: string | undefined,
): Record<string, unknown> {
  const subject = f.cookie !== undefined ? ` (cookie ${f.cookie})` : "";
  const result: Record<string, unknown> = {
    ruleId: f.id,
    ruleIndex,
    level: level[f.severity],
    message: { text: `${f.title}${subject}. Evidence: ${f.evidence}. Fix: ${f.fix}` },
    partialFingerprints: { "latchkeyFinding/v1": fingerprint(f, base) },
    properties: {
      severity: f.severity,
      ...(f.severityReason !== undefined ? { severityReason: f.severityReason } : {}),
      ...(f.environment !== undefined ? { environment: f.environment } : {}),
      ...(f.environmentReason !== undefined ? { environmentReason: f.environmentReason } : {}),
      evidence: f.evidence,
      fix: f.fix,
      ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
      ...(f.standard !== undefined ? { standard: f.standard } : {}),
    },
  };
  const location = locationFor(f, base);
  if (location !== undefined) result.locations = [location];
  return result;
}

// A page is identified by its place on the site, not by the host or port one run audited.
function fingerprint(f: Finding, base: string | undefined): string {
  const page = f.url === undefined ? "" : pageArtifact(f.url, base).uri;
  const parts = [f.id, page, f.cookie ?? "", f.location?.file ?? "", f.location?.line ?? ""];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

function pascalCase(id: string): string {
  return id
    .split(/[^a-z0-9]+/i)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}
