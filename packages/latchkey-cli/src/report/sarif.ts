// SARIF 2.1.0 output, the format CI code-scanning dashboards read (GitHub, Azure DevOps, …).
// One rule per finding id, one result per finding. A rule describes the id, not this run: it
// comes from the finding catalogue alone, so `audit --sarif` and `lint --sarif` agree on it and
// code-scanning dashboards never see one rule change its meaning. Validated against the
// official schema in test/audit/report.test.ts and test/audit/sarif-baseline.test.ts.
// With a baseline, each result has its `baselineState`: new or unchanged, and the baseline's
// findings this run did not see are results of kind "pass" with baselineState "absent".
import { CATALOGUE, type FindingId, isFindingId } from "../findings/catalogue.ts";
import type { Finding, FixedFinding, Report, Severity } from "./finding.ts";
import { sortFindings } from "./finding.ts";
import { findingFingerprint } from "./fingerprint.ts";
import { locationFor, TARGET_BASE_ID, targetBase } from "./sarif-location.ts";

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
  const fixed = sortFindings(report.fixed ?? []);
  const ruleIds = [
    ...new Set([...findings.map((f) => f.id), ...fixed.map((f) => f.id).filter(isFindingId)]),
  ].sort();
  const rules = ruleIds.map(ruleFor);
  const driver: Record<string, unknown> = { name: tool.name, version: tool.version, rules };
  if (tool.informationUri !== undefined) driver.informationUri = tool.informationUri;
  const base = targetBase(report.target);
  // Every audit result points at a page under TARGET (the target itself when it has no URL).
  const usesTarget = base !== undefined && findings.some((f) => f.location === undefined);
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
        results: [
          ...findings.map((f) => ({
            ...resultFor(f, ruleIds.indexOf(f.id), base),
            ...(f.baselineState !== undefined ? { baselineState: f.baselineState } : {}),
          })),
          ...fixed.map((f) =>
            absentResult(f, isFindingId(f.id) ? ruleIds.indexOf(f.id) : -1, base),
          ),
        ],
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
  const result: Record<string, unknown> = {
    ruleId: f.id,
    ruleIndex,
    level: level[f.severity],
    // The page's full URL is in the message: a dashboard shows the message even where it cannot
    // open a location that is not a file of the repository.
    message: { text: `${f.title}${subject(f)}. Evidence: ${f.evidence}. Fix: ${f.fix}` },
    partialFingerprints: { [FINGERPRINT_KEY]: findingFingerprint(f) },
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

// A baseline finding this run did not see: SARIF's way to say "fixed" (kind pass, level none).
function absentResult(
  f: FixedFinding,
  ruleIndex: number,
  base: string | undefined,
): Record<string, unknown> {
  const location = locationFor(f, base);
  return {
    ruleId: f.id,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: "pass",
    level: "none",
    message: { text: `Fixed since the baseline: ${f.title}${subject(f)}.` },
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    ...(location !== undefined ? { locations: [location] } : {}),
    baselineState: "absent",
    properties: { severity: f.severity, ...(f.cookie !== undefined ? { cookie: f.cookie } : {}) },
  };
}

// v2: an audit page is its normalised path (v1 kept the query), the key the baseline uses too.
const FINGERPRINT_KEY = "latchkeyFinding/v2";

function subject(f: { cookie?: string; url?: string; location?: unknown }): string {
  const parts = [
    ...(f.cookie !== undefined ? [`cookie ${f.cookie}`] : []),
    ...(f.location === undefined && f.url !== undefined ? [`on ${f.url}`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

function pascalCase(id: string): string {
  return id
    .split(/[^a-z0-9]+/i)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}
