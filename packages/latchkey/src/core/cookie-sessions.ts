import { hash } from "node:crypto";
import type { SessionKey } from "../crypto/keys.ts";
import { open, seal } from "../crypto/seal.ts";
import type { SessionMeta, Store } from "../stores/types.ts";
import { BoundedMap } from "./bounded-map.ts";
import { headersOnly, NOTHING_TO_COMMIT, type PendingCommit } from "./commit.ts";
import type { ResolvedConfig } from "./config.ts";
import { expiredCookieHeaders, MAX_COOKIE_BYTES, sessionCookieHeaders } from "./cookies.ts";
import { LatchkeyError } from "./errors.ts";
import { previousOf, userOf } from "./events.ts";
import {
  cookieMaxAge,
  deadlines,
  expiryReason,
  newMeta,
  rotationDue,
  storeCall,
  storeDeadline,
  touchDue,
} from "./lifecycle.ts";
import type { LoginOptions, SessionLifecycle } from "./session.ts";
import { hasDataChanges, markSaved, mergedData, type RequestState, resetState } from "./state.ts";

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
interface OpenedSeal {
  readonly payload: Readonly<Omit<SealedPayload, "d">>;
  readonly raw: Readonly<Record<string, string>>;
  readonly key: SessionKey;
}

export interface CookieBackend extends SessionLifecycle {
  /** Undefined when the session was loaded without waiting for a store. */
  load(state: RequestState, cookieValue: string): Promise<void> | undefined;
  prepare(state: RequestState): PendingCommit;
}

// A browser sends the same sealed value on every request until it changes, and opening it (AES-GCM)
// is most of a read-only request's cost. Values that opened are remembered, bounded, oldest first
// out. Opening is a pure function of the value and the key ring, so the answer is the same;
// whoever can read this process's memory has the keys anyway. What is kept is immutable (frozen
// fields, values as JSON text): each request decodes the values it reads into objects of its own.
const OPENED_KEPT = 10_000;

export function cookieBackend(
  config: ResolvedConfig,
  revocation: Store | undefined,
): CookieBackend {
  const { emit, now: clock, keys } = config;
  const opened = new BoundedMap<string, OpenedSeal>(OPENED_KEPT);

  /** Records that a sealed session is dead, when there is a store to remember it. */
  async function markRevoked(key: string, now: number): Promise<void> {
    if (revocation === undefined) return;
    await storeCall(config, "markRevoked", () =>
      revocation.markRevoked(key, now, now + config.absoluteMs),
    );
  }

  async function isRevoked(payload: OpenedSeal["payload"]): Promise<boolean> {
    if (revocation === undefined) return false;
    const marks =
      payload.u === null ? ["*", `s:${payload.s}`] : ["*", `s:${payload.s}`, `u:${payload.u}`];
    const since = await storeCall(config, "revokedSince", () => revocation.revokedSince(marks));
    // A mark covers everything issued up to and including its millisecond.
    return payload.i <= since;
  }

  async function login(state: RequestState, userId: string, persistent: boolean, reason?: string) {
    const now = clock();
    const previous = state.ref;
    // Without a server entry to delete, the pre-login seal is retired by a revocation mark.
    if (previous !== null) await markRevoked(`s:${previous}`, now);
    state.meta = newMeta(config, now, {
      userId,
      authTime: now,
      persistent,
      userAgent: state.userAgent,
    });
    state.ref = state.meta.sid;
    state.newToken = "sealed at commit";
    emit({
      type: "login",
      at: now,
      ref: state.ref,
      userId,
      ...previousOf(previous),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  const aadFor = (keyId: string) => Buffer.from(`latchkey:${FORMAT}:${config.cookieName}:${keyId}`);
  const primaryAad = aadFor(keys.primary.id);

  function unseal(
    value: string,
  ): OpenedSeal | { reason: "malformed" | "unknown-key" | "does-not-open" | "bad-payload" } {
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
    const bytes = open(key.sealKey, aadFor(keyId), value.slice(HEADER_CHARS));
    if (bytes === null) return { reason: "does-not-open" };
    const payload = parsePayload(bytes.toString("utf8"));
    if (payload === null) return { reason: "bad-payload" };
    const { d, ...fields } = payload;
    const raw: Record<string, string> = Object.create(null);
    for (const name of Object.keys(d)) raw[name] = JSON.stringify(d[name]);
    const entry: OpenedSeal = {
      payload: Object.freeze(fields),
      raw: Object.freeze(raw),
      key,
    };
    opened.set(value, entry);
    return entry;
  }

  /** The cookie value for `meta` and `data` (values as JSON text per key). */
  function sealState(meta: SessionMeta, data: Readonly<Record<string, string>>): string {
    // The payload's JSON is written directly: values are already JSON text per key, so nothing is
    // decoded only to be encoded again. Same bytes as JSON.stringify of a SealedPayload.
    let values = "";
    for (const name of Object.keys(data)) {
      values += `${values === "" ? "" : ","}${JSON.stringify(name)}:${data[name]}`;
    }
    const agent = meta.userAgent === null ? "" : `,"h":"${userAgentHash(meta.userAgent)}"`;
    const json =
      `{"s":${JSON.stringify(meta.sid)},"c":${meta.createdAt},"l":${meta.lastSeenAt},` +
      `"i":${meta.issuedAt},"u":${JSON.stringify(meta.userId)},"a":${JSON.stringify(meta.authTime)},` +
      `"p":${meta.persistent ? 1 : 0}${agent},"d":{${values}}}`;
    const sealed = `${FORMAT}.${keys.primary.id}.${seal(keys.primary.sealKey, primaryAad, json)}`;
    const size = Buffer.byteLength(config.cookieName) + 1 + sealed.length;
    if (size > MAX_COOKIE_BYTES) {
      throw new LatchkeyError(
        "cookie-too-large",
        `The sealed session cookie would be ${size} bytes; browsers drop cookies over ${MAX_COOKIE_BYTES} bytes. ` +
          "Keep less in the session (ids, not records), or use a server store (sqliteStore, redisStore, postgresStore).",
      );
    }
    return sealed;
  }

  /** The last check (User-Agent binding), then the opened seal becomes this request's session. */
  function accept(
    state: RequestState,
    opened: OpenedSeal,
    meta: SessionMeta,
    now: number,
  ): Promise<void> | undefined {
    const { payload } = opened;
    if (
      config.userAgentBinding !== "off" &&
      payload.h !== undefined &&
      payload.h !== userAgentHash(state.userAgent ?? "")
    ) {
      emit({ type: "user-agent-changed", at: now, ref: payload.s, ...userOf(payload.u) });
      if (config.userAgentBinding === "end") {
        const destroyed = () => {
          emit({
            type: "destroyed",
            at: now,
            ref: payload.s,
            reason: "user-agent-changed",
            ...userOf(payload.u),
          });
          state.clearStaleCookie = true;
        };
        if (revocation === undefined) {
          destroyed();
          return undefined;
        }
        return markRevoked(`s:${payload.s}`, now).then(destroyed);
      }
    }
    state.ref = payload.s;
    state.meta = meta;
    state.raw = opened.raw;
    // Opened with an older secret: re-seal under the newest on this response (key rotation).
    state.reseal = opened.key !== keys.primary;
    return undefined;
  }

  function cookieFor(state: RequestState, meta: SessionMeta, now: number): PendingCommit {
    // Sealing happens here, synchronously, so a too-large session fails before anything is sent.
    const data = mergedData(state);
    const value = sealState(meta, data);
    markSaved(state, data);
    return headersOnly(sessionCookieHeaders(config, value, cookieMaxAge(config, meta, now)));
  }

  return {
    load(state: RequestState, cookieValue: string): Promise<void> | undefined {
      const now = clock();
      const opened = unseal(cookieValue);
      if ("reason" in opened) {
        emit({ type: "tampered", at: now, reason: opened.reason });
        state.clearStaleCookie = true;
        return;
      }
      const { payload } = opened;
      const meta: SessionMeta = {
        sid: payload.s,
        createdAt: payload.c,
        lastSeenAt: payload.l,
        issuedAt: payload.i,
        expiresAt: 0,
        userId: payload.u,
        authTime: payload.a,
        persistent: payload.p === 1,
        userAgent: state.userAgent,
        successor: null,
      };
      meta.expiresAt = storeDeadline(config, meta);
      const expired = expiryReason(config, meta, now);
      if (expired !== null) {
        emit({ type: "expired", at: now, ref: payload.s, reason: expired, ...userOf(payload.u) });
        state.clearStaleCookie = true;
        return;
      }
      // Without a revocation store there is nothing to wait for: the request goes on at once.
      if (revocation === undefined) return accept(state, opened, meta, now);
      return isRevoked(payload).then((revoked) => {
        if (!revoked) return accept(state, opened, meta, now);
        emit({
          type: "unknown-id",
          at: now,
          ref: payload.s,
          reason: "revoked",
          ...userOf(payload.u),
        });
        state.clearStaleCookie = true;
        return undefined;
      });
    },

    login: (state: RequestState, userId: string, options: LoginOptions) =>
      login(state, userId, options.persistent ?? false),

    reauthenticate: (state: RequestState) => {
      const meta = state.meta as SessionMeta;
      return login(state, meta.userId as string, meta.persistent, "reauthenticate");
    },

    now: clock,

    async rotate(state: RequestState) {
      if (state.meta === null) return;
      const now = clock();
      // The seal is new on every write anyway; rotation restarts the rotation clock and says so.
      state.meta = { ...state.meta, issuedAt: now };
      state.newToken = "sealed at commit";
      emit({ type: "rotated", at: now, ref: state.ref as string, reason: "manual" });
    },

    async logout(state: RequestState) {
      if (state.ref !== null) {
        await markRevoked(`s:${state.ref}`, clock());
        emit({
          type: "destroyed",
          at: clock(),
          ref: state.ref,
          ...userOf(state.meta?.userId),
        });
      }
      resetState(state);
      state.newToken = null;
      state.ended = true;
    },

    timeouts: (state: RequestState) => deadlines(config, state.meta),

    prepare(state: RequestState): PendingCommit {
      if (state.ended) return headersOnly(expiredCookieHeaders(config, true));
      const now = clock();
      let meta = state.meta;
      if (meta === null) {
        if (!hasDataChanges(state)) {
          return state.clearStaleCookie
            ? headersOnly(expiredCookieHeaders(config, false))
            : NOTHING_TO_COMMIT;
        }
        meta = newMeta(config, now, {
          userId: null,
          authTime: null,
          persistent: false,
          userAgent: state.userAgent,
        });
        state.meta = meta;
        state.ref = meta.sid;
        const pending = cookieFor(state, meta, now);
        emit({ type: "created", at: now, ref: state.ref });
        return pending;
      }
      if (state.newToken === null && rotationDue(config, meta, now)) {
        meta = { ...meta, issuedAt: now, lastSeenAt: now };
        const pending = cookieFor(state, meta, now);
        emit({ type: "rotated", at: now, ref: meta.sid, reason: "periodic" });
        return pending;
      }
      const touched = touchDue(config, meta, now);
      if (
        state.newToken === null &&
        !touched &&
        !state.reseal &&
        !state.persistentChanged &&
        !hasDataChanges(state)
      ) {
        return NOTHING_TO_COMMIT;
      }
      return cookieFor(state, { ...meta, lastSeenAt: now }, now);
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

function userAgentHash(userAgent: string): string {
  let hashed = userAgentHashes.get(userAgent);
  if (hashed === undefined) {
    hashed = hash("sha256", userAgent, "base64url").slice(0, 8);
    userAgentHashes.set(userAgent, hashed);
  }
  return hashed;
}
