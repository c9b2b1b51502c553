import { FlaskTuple, FlaskUuid, Markup } from "../flask/values.ts";
import { idText, type LegacyData, type LegacyMapping, withoutKeys } from "./mapping.ts";

// Bookkeeping of Flask (`_permanent`), Flask-Login (`_user_id`, `_fresh`, `_id`, `_remember`,
// `_remember_seconds`), flashed messages and Flask-WTF's CSRF secret: none of it is app data.
const FRAMEWORK_KEYS = [
  "_permanent",
  "_user_id",
  "_fresh",
  "_id",
  "_remember",
  "_remember_seconds",
  "_flashes",
  "csrf_token",
];

/** Flask-Login's `_user_id`, what `login_user` stored. */
export function flaskLoginUser(legacy: LegacyData): string | null {
  return idText(legacy._user_id);
}

export function flaskMapping(options: LegacyMapping) {
  return {
    userIdOf: options.userId ?? flaskLoginUser,
    dataOf: options.data ?? ((legacy: LegacyData) => withoutKeys(legacy, FRAMEWORK_KEYS)),
  };
}

/**
 * A decoded Flask value as JSON: tuples become arrays, datetimes ISO text, UUIDs and Markup
 * their text, bytes base64. A latchkey session stores JSON only.
 */
export function jsonValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof FlaskTuple) return value.items.map(jsonValue);
  if (value instanceof Markup) return value.html;
  if (value instanceof FlaskUuid) return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(jsonValue);
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value)) out[key] = jsonValue(item);
  return out;
}
