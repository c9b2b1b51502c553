// A finding's identity across runs, for CI baselines and code-scanning dashboards. An audit
// finding is its id, its cookie and the page's normalised path: the origin, query and fragment
// are left out, so a baseline taken on staging or on another port still applies and a finding
// seen on `/search?q=1` is the one seen on `/search?q=2`. A lint finding is its id, cookie and
// file, not its line: lines added above a known finding must not make it new (a baseline tells
// apart several findings with one fingerprint by count, src/report/baseline.ts). Evidence,
// severity and wording are not part of it: a fix to a message must not turn
// every known finding into a new one.
import { createHash } from "node:crypto";

/** What a fingerprint is computed from (a finding, or an entry of an earlier JSON report). */
export interface FingerprintSource {
  id: string;
  cookie?: string;
  url?: string;
  /** A lint finding's place; only the file is used (see above). */
  location?: { file: string; line?: number };
}

/**
 * 32 hex characters that stay the same while the finding's id, cookie and place stay the same.
 *
 * @example findingFingerprint({ id: "cookie-missing-secure", cookie: "sid", url: "https://a/x?y" })
 */
export function findingFingerprint(f: FingerprintSource): string {
  const place =
    f.location !== undefined
      ? ["file", f.location.file.replaceAll("\\", "/")]
      : ["page", f.url !== undefined ? normalisedPath(f.url) : ""];
  return createHash("sha256")
    .update(JSON.stringify([f.id, f.cookie ?? "", ...place]))
    .digest("hex")
    .slice(0, 32);
}

/**
 * The URL's path: no origin, query or fragment, dot segments resolved, no trailing slash.
 *
 * @example normalisedPath("https://staging.example.com/account/?tab=2#x") // "/account"
 */
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
