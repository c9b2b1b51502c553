/** A legacy session's data as it was stored: the parsed JSON (or msgpack) object. */
export type LegacyData = Readonly<Record<string, unknown>>;

/** How a reader turns a legacy session into latchkey's user id and data. */
export interface LegacyMapping {
  /** The user id in the legacy data, or null for an anonymous session. */
  userId?: (legacy: LegacyData) => string | null;
  /** The values the latchkey session starts with. Default: every key but the framework's own. */
  data?: (legacy: LegacyData) => Record<string, unknown>;
}

/** A user id as a string: numbers (an auto-increment key) become their decimal text. */
export function idText(value: unknown): string | null {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

/** Passport's `req.session.passport.user`, what `serializeUser` stored. */
export function passportUser(legacy: LegacyData): string | null {
  const passport = legacy.passport;
  if (passport === null || typeof passport !== "object") return null;
  return idText((passport as Record<string, unknown>).user);
}

/** Every key of `legacy` but `framework`'s (bookkeeping the framework kept in the session). */
export function withoutKeys(
  legacy: LegacyData,
  framework: readonly string[],
): Record<string, unknown> {
  // Null prototype: a legacy key named `__proto__` stays a key.
  const data: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(legacy)) if (!framework.includes(key)) data[key] = legacy[key];
  return data;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
