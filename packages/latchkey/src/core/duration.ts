import { LatchkeyError } from "./errors.ts";

/** A duration: milliseconds, or a string such as `"90s"`, `"30m"`, `"24h"`, `"7d"`, `"1h30m"`. */
export type Duration = number | string;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// One or more <integer><unit> parts, largest first by convention but any order is accepted.
const PART = /(\d+)(ms|s|m|h|d)/gy;

/**
 * Converts a duration to milliseconds. Throws `duration-invalid` (naming the option) for
 * anything that is not a positive, finite amount of time.
 */
export function parseDuration(value: Duration, option: string): number {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) return value;
    throw invalid(option, String(value));
  }
  if (typeof value !== "string" || value.length === 0) throw invalid(option, String(value));
  let total = 0;
  PART.lastIndex = 0;
  let match: RegExpExecArray | null = PART.exec(value);
  let consumed = 0;
  while (match !== null) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
    match = PART.exec(value);
  }
  if (consumed !== value.length || total <= 0 || !Number.isSafeInteger(total)) {
    throw invalid(option, JSON.stringify(value));
  }
  return total;
}

function invalid(option: string, shown: string): LatchkeyError {
  return new LatchkeyError(
    "duration-invalid",
    `${option} must be a positive duration in milliseconds or a string like "30m", "24h" or "7d"; got ${shown}.`,
  );
}
