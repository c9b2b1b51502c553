import { hash } from "node:crypto";
import type { KeyRing, SessionKey } from "../crypto/keys.ts";
import { open, seal } from "../crypto/seal.ts";
import type { SessionMeta } from "../stores/types.ts";
import { BoundedMap } from "./bounded-map.ts";
import { MAX_COOKIE_BYTES } from "./cookies.ts";
import { LatchkeyError } from "./errors.ts";

// Sealed cookie: `1.<key id>.<base64url(iv ‖ AES-256-GCM(payload) ‖ tag)>`.
// The format version, key id and cookie name are bound as additional data, so a value cannot be
// moved to another cookie or re-labelled with another key id without failing authentication.
const FORMAT = "1";
const KEY_ID_CHARS = 8;
const HEADER_CHARS = FORMAT.length + 1 + KEY_ID_CHARS + 1;

/** What the seal holds. Short field names: every byte travels with every request. */
interface SealedPayload {
  s: string; // session id (random; the ref in events)
  c: number; // createdAt
  l: number; // lastSeenAt
  i: number; // issuedAt
  u: string | null; // userId
  a: number | null; // authTime
  p: 0 | 1; // persistent
  h?: string; // short hash of the User-Agent the session was created with
  d: Record<string, unknown>; // values
}

/** A seal that opened: its fields, and its values as JSON text per key (decoded when read). */
export interface OpenedSeal {
  readonly payload: Readonly<Omit<SealedPayload, "d">>;
  readonly raw: Readonly<Record<string, string>>;
  readonly key: SessionKey;
}

export type SealRefusal = { reason: "malformed" | "unknown-key" | "does-not-open" | "bad-payload" };

export interface SealCodec {
  /** The opened seal, or why it does not open. Never throws for hostile input. */
  unseal(value: string): OpenedSeal | SealRefusal;
  /** The cookie value for `meta` and `data` (values as JSON text per key); may throw `cookie-too-large`. */
  seal(meta: SessionMeta, data: Readonly<Record<string, string>>): string;
}

// A browser sends the same sealed value on every request until it changes, and opening it (AES-GCM)
// is most of a read-only request's cost. Values that opened are remembered, bounded, oldest first
// out. Opening is a pure function of the value and the key ring, so the answer is the same;
// whoever can read this process's memory has the keys anyway. What is kept is immutable (frozen
// fields, values as JSON text): each request decodes the values it reads into objects of its own.
const OPENED_KEPT = 10_000;

export function sealCodec(keys: KeyRing, cookieName: string): SealCodec {
  const opened = new BoundedMap<string, OpenedSeal>(OPENED_KEPT);
  // Each key's additional data, made once: an unseal that misses the cache allocates none.
  const aadById = new Map(
    keys.all.map((key) => [key.id, Buffer.from(`latchkey:${FORMAT}:${cookieName}:${key.id}`)]),
  );
  const primaryAad = aadById.get(keys.primary.id) as Buffer;
  const nameBytes = Buffer.byteLength(cookieName);

  return {
    unseal(value) {
      const known = opened.get(value);
      if (known !== undefined) return known;
      if (
        value.length <= HEADER_CHARS ||
        !value.startsWith(`${FORMAT}.`) ||
        value[HEADER_CHARS - 1] !== "."
      ) {
        return { reason: "malformed" };
      }
      const keyId = value.slice(FORMAT.length + 1, HEADER_CHARS - 1);
      const key = keys.byId.get(keyId);
      if (key === undefined) return { reason: "unknown-key" };
      const bytes = open(key.sealKey, aadById.get(keyId) as Buffer, value.slice(HEADER_CHARS));
      if (bytes === null) return { reason: "does-not-open" };
      const payload = parsePayload(bytes.toString("utf8"));
      if (payload === null) return { reason: "bad-payload" };
      const { d } = payload;
      const raw: Record<string, string> = Object.create(null);
      for (const name of Object.keys(d)) raw[name] = JSON.stringify(d[name]);
      // The fields named one by one (an object of one shape), not `{ d, ...fields }`: no copy by rest.
      const fields: Omit<SealedPayload, "d"> = {
        s: payload.s,
        c: payload.c,
        l: payload.l,
        i: payload.i,
        u: payload.u,
        a: payload.a,
        p: payload.p,
        h: payload.h,
      };
      const entry: OpenedSeal = { payload: Object.freeze(fields), raw: Object.freeze(raw), key };
      opened.set(value, entry);
      return entry;
    },

    seal(meta, data) {
      // The payload's JSON is written directly: values are already JSON text per key, so nothing is
      // decoded only to be encoded again. Same bytes as JSON.stringify of a SealedPayload.
      let values = "";
      for (const name of Object.keys(data)) {
        values += `${values === "" ? "" : ","}${JSON.stringify(name)}:${data[name]}`;
      }
      const agent = meta.userAgent === null ? "" : `,"h":"${userAgentHash(meta.userAgent)}"`;
      // null written as text: JSON.stringify(null) takes its slow generic path, on every seal of
      // a session without a user. Numbers as every other timestamp here (finite, from the clock).
      const user = meta.userId === null ? "null" : JSON.stringify(meta.userId);
      const authTime = meta.authTime === null ? "null" : `${meta.authTime}`;
      const json =
        `{"s":${JSON.stringify(meta.sid)},"c":${meta.createdAt},"l":${meta.lastSeenAt},` +
        `"i":${meta.issuedAt},"u":${user},"a":${authTime},` +
        `"p":${meta.persistent ? 1 : 0}${agent},"d":{${values}}}`;
      const sealed = `${FORMAT}.${keys.primary.id}.${seal(keys.primary.sealKey, primaryAad, json)}`;
      const size = nameBytes + 1 + sealed.length;
      if (size > MAX_COOKIE_BYTES) {
        throw new LatchkeyError(
          "cookie-too-large",
          `The sealed session cookie would be ${size} bytes; browsers drop cookies over ${MAX_COOKIE_BYTES} bytes. ` +
            "Keep less in the session (ids, not records), or use a server store (sqliteStore, redisStore, postgresStore).",
        );
      }
      return sealed;
    },
  };
}

function parsePayload(plaintext: string): SealedPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(plaintext);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const p = value as Record<string, unknown>;
  const ok =
    typeof p.s === "string" &&
    Number.isFinite(p.c) &&
    Number.isFinite(p.l) &&
    Number.isFinite(p.i) &&
    (p.u === null || typeof p.u === "string") &&
    (p.a === null || Number.isFinite(p.a)) &&
    (p.p === 0 || p.p === 1) &&
    (p.h === undefined || typeof p.h === "string") &&
    p.d !== null &&
    typeof p.d === "object" &&
    !Array.isArray(p.d);
  return ok ? (p as unknown as SealedPayload) : null;
}

// Hashed on every request with a session (to compare) and on every seal: remembered per string.
const userAgentHashes = new BoundedMap<string, string>(1_000);

/** The short User-Agent hash a seal carries (`h`), to notice a changed browser without storing the string. */
export function userAgentHash(userAgent: string): string {
  let hashed = userAgentHashes.get(userAgent);
  if (hashed === undefined) {
    hashed = hash("sha256", userAgent, "base64url").slice(0, 8);
    userAgentHashes.set(userAgent, hashed);
  }
  return hashed;
}
