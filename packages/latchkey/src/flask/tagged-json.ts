// Flask's TaggedJSONSerializer (flask/json/tag.py): Python types JSON lacks travel as a
// one-key object whose key is a tag — {" t": [...]} for a tuple, {" b": "base64"} for bytes,
// and so on. Tags are tried in Flask's order; untagging mirrors `_untag_scan`.
import { LatchkeyError } from "../core/errors.ts";
import type { JsonValue } from "./python-json.ts";
import type { FlaskValue } from "./values.ts";
import { FlaskTuple, FlaskUuid, Markup } from "./values.ts";

const TAGS = new Set([" di", " t", " b", " m", " u", " d"]);

export function tag(value: FlaskValue): JsonValue {
  if (value === null || typeof value === "boolean" || typeof value === "number") return value;
  if (typeof value === "string") return value;
  if (value instanceof FlaskTuple) return { " t": value.items.map(tag) };
  if (Array.isArray(value)) return value.map(tag);
  if (value instanceof Uint8Array) return { " b": Buffer.from(value).toString("base64") };
  if (value instanceof Markup) return { " m": value.html };
  if (value instanceof FlaskUuid) return { " u": value.hex };
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid("invalid Date in Flask session");
    return { " d": value.toUTCString() };
  }
  if (typeof value !== "object")
    throw invalid(`${typeof value} cannot be stored in a Flask session`);
  const keys = Object.keys(value);
  // A dict whose only key looks like a tag is itself tagged, so it is not mistaken for one.
  if (keys.length === 1 && TAGS.has(keys[0]!)) {
    const key = keys[0]!;
    return { " di": { [`${key}__`]: tag(value[key]!) } };
  }
  return Object.fromEntries(keys.map((k) => [k, tag(value[k]!)]));
}

/**
 * Undoes `tag`. Throws a `flask-value-invalid` LatchkeyError on a malformed tag payload; the
 * cookie codec turns that into "malformed".
 */
export function untag(value: unknown): FlaskValue {
  if (Array.isArray(value)) return value.map(untag);
  if (value === null || typeof value !== "object") {
    if (value === null || ["boolean", "number", "string"].includes(typeof value)) {
      return value as FlaskValue;
    }
    throw invalid("not a JSON value");
  }
  const scanned: { [key: string]: FlaskValue } = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, untag(v)]),
  );
  const keys = Object.keys(scanned);
  if (keys.length !== 1 || !TAGS.has(keys[0]!)) return scanned;
  const key = keys[0]!;
  return fromTag(key, scanned[key]!);
}

function fromTag(key: string, inner: FlaskValue): FlaskValue {
  switch (key) {
    case " di": {
      const entries = Object.entries(asObject(inner));
      if (entries.length === 0) throw invalid("empty tagged dict");
      const [k, v] = entries[0]!;
      return { [k.slice(0, -2)]: v };
    }
    case " t":
      if (!Array.isArray(inner)) throw invalid("tuple tag without a list");
      return new FlaskTuple(inner);
    case " b":
      return new Uint8Array(Buffer.from(asString(inner), "base64"));
    case " m":
      return new Markup(asString(inner));
    case " u":
      return new FlaskUuid(asString(inner));
    default: {
      // werkzeug's parse_date returns None for text it cannot read; so do we.
      const time = Date.parse(asString(inner));
      return Number.isNaN(time) ? null : new Date(time);
    }
  }
}

function asString(v: FlaskValue): string {
  if (typeof v !== "string") throw invalid("tag payload is not a string");
  return v;
}

function asObject(v: FlaskValue): { [key: string]: FlaskValue } {
  if (
    v === null ||
    typeof v !== "object" ||
    Array.isArray(v) ||
    Object.getPrototypeOf(v) !== Object.prototype
  ) {
    throw invalid("tag payload is not an object");
  }
  return v as { [key: string]: FlaskValue };
}

function invalid(message: string): LatchkeyError {
  return new LatchkeyError("flask-value-invalid", `latchkey/flask: ${message}`);
}
