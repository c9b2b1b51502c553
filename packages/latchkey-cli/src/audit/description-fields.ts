// Reading a login description's JSON field by field: each check names the field's path in the
// error, so a user can find the mistake in their file. Shared by the form and browser logins.
import { CliError } from "../errors.ts";

export function fail(message: string): CliError {
  return new CliError("input", message);
}

export function object(raw: unknown, field: string): Record<string, unknown> {
  if (raw === undefined) throw fail(`${field} is missing`);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw fail(`${field} must be an object`);
  return raw as Record<string, unknown>;
}

/** Refuses keys outside `keys`; `$`-keys (`$schema`, `$comment`) are allowed where listed but never suggested. */
export function only(r: Record<string, unknown>, field: string, keys: readonly string[]): void {
  for (const key of Object.keys(r))
    if (!keys.includes(key))
      throw fail(
        `${field}: unknown field "${key}" (expected ${keys.filter((k) => !k.startsWith("$")).join(", ")})`,
      );
}

export function string(raw: unknown, field: string): string {
  if (raw === undefined) throw fail(`${field} is missing`);
  if (typeof raw !== "string" || raw === "") throw fail(`${field} must be a non-empty string`);
  return raw;
}
