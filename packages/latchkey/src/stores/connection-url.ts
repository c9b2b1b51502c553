// A store given a connection URL checks it in the factory, so a typo stops the app at startup
// with the fix in the message, instead of every request answering 503 once traffic arrives (the
// drivers only parse the URL when they first connect, and then report a connection failure).
import { LatchkeyError } from "../core/errors.ts";

export interface UrlRule {
  /** The factory and option, for the message: `redisStore: url`. */
  option: string;
  /** Accepted schemes, with the colon: `redis:`. */
  schemes: readonly string[];
  /** A URL that would work, shown in the message. */
  example: string;
  /** What to pass instead for anything a URL cannot express. */
  otherwise: string;
}

/**
 * Returns `url` when it parses as a URL with one of the rule's schemes; throws
 * `config-invalid` otherwise. The message never repeats the URL: it may carry a password.
 */
export function checkConnectionUrl(url: unknown, rule: UrlRule): string {
  const expected = rule.schemes.map((scheme) => `${scheme}//`).join(" or ");
  const fix = `pass a ${expected} URL, e.g. "${rule.example}" (or ${rule.otherwise})`;
  if (typeof url !== "string" || url.trim() === "") {
    throw new LatchkeyError("config-invalid", `${rule.option} must be a non-empty string: ${fix}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LatchkeyError(
      "config-invalid",
      `${rule.option} is not a valid URL (check the host, the port and that special characters in the password are percent-encoded): ${fix}`,
    );
  }
  if (!rule.schemes.includes(parsed.protocol)) {
    throw new LatchkeyError(
      "config-invalid",
      `${rule.option} has the scheme "${parsed.protocol}": ${fix}`,
    );
  }
  return url;
}
