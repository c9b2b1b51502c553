// CI baselines (`latchkey audit --baseline previous.json`): an earlier `--json` report says what
// was already known. Every finding of this run is marked `new` or `unchanged`; only new ones
// count for the exit status. The baseline's findings this run did not see are listed as fixed.
// Findings are matched by fingerprint (src/report/fingerprint.ts: id, cookie, normalised path),
// recomputed from each baseline entry, so a report from an older version or edited by hand
// still matches.
import { CliError } from "../errors.ts";
import { CATALOGUE, isFindingId } from "../findings/catalogue.ts";
import type { FixedFinding, Report } from "../report/finding.ts";
import { parseSeverity } from "../report/finding.ts";
import { findingFingerprint } from "../report/fingerprint.ts";

/** The baseline's findings by fingerprint. */
export type Baseline = ReadonlyMap<string, FixedFinding>;

// A baseline is a file someone else wrote: bounded, so a huge one is refused rather than slow.
const MAX_BASELINE_FINDINGS = 100_000;

/**
 * Reads an earlier `latchkey audit --json` report. Throws CliError("usage") when it is not one.
 *
 * @example const baseline = parseBaseline(readFileSync("audit-baseline.json", "utf8"))
 */
export function parseBaseline(text: string): Baseline {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed("not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw malformed("not a JSON object");
  const findings = (parsed as { findings?: unknown }).findings;
  if (!Array.isArray(findings)) throw malformed('no "findings" array');
  if (findings.length > MAX_BASELINE_FINDINGS)
    throw malformed(`more than ${MAX_BASELINE_FINDINGS} findings`);
  const known = new Map<string, FixedFinding>();
  findings.forEach((f: unknown, i) => {
    if (f === null || typeof f !== "object") throw malformed(`findings[${i}] is not an object`);
    const { id, cookie, url, severity, title } = f as Record<string, unknown>;
    if (typeof id !== "string" || id === "") throw malformed(`findings[${i}] has no "id"`);
    if (cookie !== undefined && typeof cookie !== "string")
      throw malformed(`findings[${i}].cookie is not a string`);
    if (url !== undefined && typeof url !== "string")
      throw malformed(`findings[${i}].url is not a string`);
    // Severity and title are shown for fixed findings; the catalogue fills in what is missing.
    const entry = isFindingId(id) ? CATALOGUE[id] : undefined;
    const fixed: FixedFinding = {
      id,
      severity:
        (typeof severity === "string" ? parseSeverity(severity) : undefined) ??
        entry?.defaultSeverity ??
        "info",
      title: typeof title === "string" && title !== "" ? title : (entry?.title ?? id),
      ...(url !== undefined ? { url } : {}),
      ...(cookie !== undefined ? { cookie } : {}),
      fingerprint: findingFingerprint({
        id,
        ...(cookie !== undefined ? { cookie } : {}),
        ...(url !== undefined ? { url } : {}),
      }),
    };
    known.set(fixed.fingerprint, fixed);
  });
  return known;
}

/**
 * The report with each finding marked `new` or `unchanged`, and `fixed` listing the baseline's
 * findings this run did not see.
 *
 * @example applyBaseline(report, parseBaseline(previous)).fixed?.length // 1
 */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  const seen = new Set<string>();
  const findings = report.findings.map((f) => {
    const fingerprint = findingFingerprint(f);
    seen.add(fingerprint);
    return { ...f, baselineState: baseline.has(fingerprint) ? "unchanged" : "new" } as const;
  });
  const fixed = [...baseline.values()].filter((b) => !seen.has(b.fingerprint));
  return { ...report, findings, fixed };
}

function malformed(why: string): CliError {
  return new CliError("usage", `not a latchkey audit --json report: ${why}`);
}
