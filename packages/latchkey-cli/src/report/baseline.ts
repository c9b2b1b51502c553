// CI baselines (`latchkey audit|lint --baseline previous.json`): an earlier `--json` report of
// the same command says what was already known. Every finding of this run is marked `new` or
// `unchanged`; only new ones count for the exit status. The baseline's findings this run did not
// see are listed as fixed. Findings are matched by fingerprint (src/report/fingerprint.ts: id,
// cookie, and the normalised URL path or the file), recomputed from each baseline entry, so a
// report from an older version or edited by hand still matches.
import { CliError } from "../errors.ts";
import { CATALOGUE, isFindingId } from "../findings/catalogue.ts";
import { readRegularFile } from "../lint/read-regular-file.ts";
import type { FixedFinding, Report, SourceLocation } from "./finding.ts";
import { parseSeverity, sortFindings } from "./finding.ts";
import { findingFingerprint } from "./fingerprint.ts";

/**
 * The baseline's findings by fingerprint. A lint fingerprint leaves the line out, so one file can
 * hold several findings with one fingerprint (two memory stores): each is kept, and each matches
 * one finding of this run.
 */
export type Baseline = ReadonlyMap<string, readonly FixedFinding[]>;

/** Which command wrote the report: a baseline must come from the command it is applied to. */
export type BaselineKind = "audit" | "lint";

// A baseline is a file someone else wrote: bounded, so a huge one is refused rather than slow.
const MAX_BASELINE_FINDINGS = 100_000;
/** Largest baseline file read: 100 000 findings of a few hundred bytes each. */
export const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

/**
 * The text of a baseline file. A FIFO, a device or a file past MAX_BASELINE_BYTES is refused
 * (CliError "usage") rather than read forever.
 *
 * @example parseBaseline(readBaselineFile("lint-baseline.json"), "lint")
 */
export function readBaselineFile(path: string): string {
  const outcome = readRegularFile(path, MAX_BASELINE_BYTES);
  if ("skipped" in outcome) throw new CliError("usage", outcome.skipped);
  return outcome.text;
}

/**
 * Reads an earlier `latchkey <kind> --json` report. Throws CliError("usage") when it is not one.
 *
 * @example const baseline = parseBaseline(readFileSync("audit-baseline.json", "utf8"), "audit")
 */
export function parseBaseline(text: string, kind: BaselineKind = "audit"): Baseline {
  const malformed = (why: string) =>
    new CliError("usage", `not a latchkey ${kind} --json report: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed("not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw malformed("not a JSON object");
  // Only a lint report has `files`, only an audit report `pages`: a report of the other command
  // would match nothing and mark every finding new, so it is refused by name.
  const other = kind === "lint" ? "pages" : "files";
  if (other in parsed)
    throw malformed(`it is a latchkey ${kind === "lint" ? "audit" : "lint"} report`);
  const findings = (parsed as { findings?: unknown }).findings;
  if (!Array.isArray(findings)) throw malformed('no "findings" array');
  if (findings.length > MAX_BASELINE_FINDINGS)
    throw malformed(`more than ${MAX_BASELINE_FINDINGS} findings`);
  const known = new Map<string, FixedFinding[]>();
  findings.forEach((f: unknown, i) => {
    if (f === null || typeof f !== "object") throw malformed(`findings[${i}] is not an object`);
    const { id, cookie, url, severity, title, location } = f as Record<string, unknown>;
    if (typeof id !== "string" || id === "") throw malformed(`findings[${i}] has no "id"`);
    if (cookie !== undefined && typeof cookie !== "string")
      throw malformed(`findings[${i}].cookie is not a string`);
    if (url !== undefined && typeof url !== "string")
      throw malformed(`findings[${i}].url is not a string`);
    const place = kind === "lint" ? lintLocation(location) : undefined;
    if (kind === "lint" && place === undefined)
      throw malformed(`findings[${i}] has no "location" with a "file"`);
    // Severity and title are shown for fixed findings; the catalogue fills in what is missing.
    const entry = isFindingId(id) ? CATALOGUE[id] : undefined;
    const source = {
      id,
      ...(cookie !== undefined ? { cookie } : {}),
      ...(url !== undefined && place === undefined ? { url } : {}),
      ...(place !== undefined ? { location: place } : {}),
    };
    const fixed: FixedFinding = {
      ...source,
      severity:
        (typeof severity === "string" ? parseSeverity(severity) : undefined) ??
        entry?.defaultSeverity ??
        "info",
      title: typeof title === "string" && title !== "" ? title : (entry?.title ?? id),
      fingerprint: findingFingerprint(source),
    };
    const same = known.get(fixed.fingerprint);
    if (same === undefined) known.set(fixed.fingerprint, [fixed]);
    else same.push(fixed);
  });
  return known;
}

// A lint entry's place; line and column are kept only to show where a fixed finding was.
function lintLocation(value: unknown): SourceLocation | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { file, line, column } = value as Record<string, unknown>;
  if (typeof file !== "string" || file === "") return undefined;
  return { file, line: positive(line), column: positive(column) };
}

function positive(n: unknown): number {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 1;
}

/**
 * The report with each finding marked `new` or `unchanged`, and `fixed` listing the baseline's
 * findings this run did not see.
 *
 * @example applyBaseline(report, parseBaseline(previous)).fixed?.length // 1
 */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  // How many baseline entries each fingerprint has left to match. Findings are taken in line
  // order, so with two memory stores in a file and one in the baseline, the later one is new.
  const left = new Map<string, number>();
  for (const [fingerprint, entries] of baseline) left.set(fingerprint, entries.length);
  const states = new Map<object, "new" | "unchanged">();
  for (const f of [...report.findings].sort(
    (a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0),
  )) {
    const fingerprint = findingFingerprint(f);
    const n = left.get(fingerprint) ?? 0;
    if (n > 0) left.set(fingerprint, n - 1);
    states.set(f, n > 0 ? "unchanged" : "new");
  }
  const findings = report.findings.map((f) => ({ ...f, baselineState: states.get(f) ?? "new" }));
  // Of several baseline entries with one fingerprint, the last ones are the ones reported fixed.
  const fixed = sortFindings(
    [...baseline].flatMap(([fingerprint, entries]) =>
      entries.slice(entries.length - (left.get(fingerprint) ?? 0)),
    ),
  );
  return { ...report, findings, fixed };
}
