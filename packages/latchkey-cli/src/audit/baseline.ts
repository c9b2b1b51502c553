// CI baselines (`latchkey audit --baseline previous.json`): findings already known — present in
// an earlier `--json` report — neither fail the build nor appear in the new report, which says
// how many it left out. A finding is known when its id, its cookie and its URL's normalised path
// match: the origin, query and fragment are ignored, so a baseline taken on staging or on another
// port still applies, and a finding seen on `/search?q=1` is the same as on `/search?q=2`.
import { CliError } from "../errors.ts";
import type { Report } from "../report/finding.ts";

export type Baseline = ReadonlySet<string>;

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
  const keys = new Set<string>();
  findings.forEach((f: unknown, i) => {
    if (f === null || typeof f !== "object") throw malformed(`findings[${i}] is not an object`);
    const { id, cookie, url } = f as Record<string, unknown>;
    if (typeof id !== "string" || id === "") throw malformed(`findings[${i}] has no "id"`);
    if (cookie !== undefined && typeof cookie !== "string")
      throw malformed(`findings[${i}].cookie is not a string`);
    if (url !== undefined && typeof url !== "string")
      throw malformed(`findings[${i}].url is not a string`);
    keys.add(baselineKey({ id, cookie, url }));
  });
  return keys;
}

/**
 * The report without the findings the baseline knows; `baselined` says how many were left out.
 *
 * @example applyBaseline(report, parseBaseline(previous)).baselined // 3
 */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  const fresh = report.findings.filter((f) => !baseline.has(baselineKey(f)));
  return { ...report, findings: fresh, baselined: report.findings.length - fresh.length };
}

/**
 * What identifies a finding across runs: `id`, `cookie` and the URL's normalised path, joined.
 *
 * @example normalisedPath("https://staging.example.com/account/?tab=2#x") // "/account"
 */
export function baselineKey(f: { id: string; cookie?: string; url?: string }): string {
  return JSON.stringify([f.id, f.cookie ?? "", f.url !== undefined ? normalisedPath(f.url) : ""]);
}

/** The URL's path: no origin, query or fragment, dot segments resolved, no trailing slash. */
export function normalisedPath(url: string): string {
  let path: string;
  try {
    path = new URL(url, "http://baseline.invalid").pathname;
  } catch {
    return url;
  }
  // Percent-encoding of unreserved characters is not meaningful (`%7E` and `~` are one path).
  path = path.replace(/%[0-9a-f]{2}/gi, (hex) => {
    const char = String.fromCharCode(Number.parseInt(hex.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : hex.toUpperCase();
  });
  return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}

function malformed(why: string): CliError {
  return new CliError("usage", `not a latchkey audit --json report: ${why}`);
}
