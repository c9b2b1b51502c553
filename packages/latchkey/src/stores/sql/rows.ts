// Shared by the SQL stores: one row per session, meta in columns (so user and expiry can be
// indexed), values in one JSON object mapping each key to its JSON text *as a string* — so the
// database never re-formats a value, and a change set can be applied in one UPDATE.
import { LatchkeyError } from "../../core/errors.ts";
import type { SessionChange, SessionMeta, SessionSummary, StoredSession } from "../types.ts";

/** A session row as SQLite or pg returns it (pg returns BIGINT as a string). */
export interface SessionRow {
  ref: string;
  secret_hash: string;
  sid: string;
  created_at: number | string;
  last_seen_at: number | string;
  issued_at: number | string;
  expires_at: number | string;
  user_id: string | null;
  auth_time: number | string | null;
  persistent: number | boolean;
  user_agent: string | null;
  successor: string | null;
  data: string | Record<string, string>;
}

/** Column order used by INSERT statements. */
export const SESSION_COLUMNS = [
  "ref",
  "secret_hash",
  "sid",
  "created_at",
  "last_seen_at",
  "issued_at",
  "expires_at",
  "user_id",
  "auth_time",
  "persistent",
  "user_agent",
  "successor",
  "data",
] as const;

/** Meta field → column, for partial updates. */
export const META_COLUMNS: ReadonlyArray<
  readonly [keyof SessionMeta, string, "number" | "text" | "bool"]
> = [
  ["sid", "sid", "text"],
  ["createdAt", "created_at", "number"],
  ["lastSeenAt", "last_seen_at", "number"],
  ["issuedAt", "issued_at", "number"],
  ["expiresAt", "expires_at", "number"],
  ["userId", "user_id", "text"],
  ["authTime", "auth_time", "number"],
  ["persistent", "persistent", "bool"],
  ["userAgent", "user_agent", "text"],
  ["successor", "successor", "text"],
];

export function metaOf(row: SessionRow): SessionMeta {
  return {
    sid: row.sid,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    userId: row.user_id,
    authTime: row.auth_time === null ? null : Number(row.auth_time),
    persistent: row.persistent === true || row.persistent === 1,
    userAgent: row.user_agent,
    successor: row.successor,
  };
}

export function sessionOf(row: SessionRow): StoredSession {
  const parsed = typeof row.data === "string" ? JSON.parse(row.data) : row.data;
  // A null-prototype copy: a stored key named "__proto__" stays an ordinary key.
  const data: Record<string, string> = Object.create(null);
  for (const key of Object.keys(parsed)) data[key] = parsed[key];
  return { secretHash: row.secret_hash, meta: metaOf(row), data };
}

export function summaryOf(row: SessionRow): SessionSummary {
  return { ref: row.ref, meta: metaOf(row) };
}

/** The values as one JSON object of strings. */
export function dataText(data: Record<string, string>): string {
  return JSON.stringify(Object.assign(Object.create(null), data));
}

/** The meta fields a change sets, as a JSON object (fields absent from it are kept). */
export function metaPatchText(change: SessionChange): string {
  const patch: Record<string, unknown> = {};
  const meta = change.meta ?? {};
  for (const [field] of META_COLUMNS) {
    if (Object.hasOwn(meta, field) && meta[field] !== undefined) patch[field] = meta[field];
  }
  return JSON.stringify(patch);
}

/** The keys a change sets; a key both set and deleted ends up deleted (as in memoryStore). */
export function setOf(change: SessionChange): Record<string, string> {
  const set: Record<string, string> = Object.create(null);
  if (change.set) for (const key of Object.keys(change.set)) set[key] = change.set[key] as string;
  if (change.delete) for (const key of change.delete) delete set[key];
  return set;
}

/** Checks a table or schema name before it is written into SQL (identifiers cannot be bound). */
export function checkIdentifier(kind: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new LatchkeyError(
      "config-invalid",
      `latchkey: ${kind} ${JSON.stringify(name)} must be letters, digits and underscores, starting with a letter or underscore`,
    );
  }
  return name;
}
