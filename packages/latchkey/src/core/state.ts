import type { SessionMeta } from "../stores/types.ts";

/**
 * Everything the engine knows about one request's session. The public `Session` is a view onto
 * it; the backends (server store or sealed cookie) read and update it.
 */
export interface RequestState {
  /** Store ref (server mode) or session id inside the seal (cookie mode); null until saved. */
  ref: string | null;
  /** Null for a session that has not been saved yet. */
  meta: SessionMeta | null;
  /** Values as the store returned them (JSON text per key); decoded lazily into `values`. */
  raw: Record<string, string> | null;
  /** Decoded values, and every value set in this request. */
  values: Record<string, unknown>;
  changed: Set<string>;
  deleted: Set<string>;
  /** JSON text of object values handed out by get(), to notice changes made in place. */
  snapshots: Map<string, string> | null;
  /** Server mode: the token this request presented, to re-send it with a fresh Max-Age. */
  presentedToken: string | null;
  /** A token issued during this request: the response must carry it. */
  newToken: string | null;
  /** logout() ran: the response expires the cookie. */
  ended: boolean;
  /** The request presented a cookie that is dead (expired or tampered): expire it. */
  clearStaleCookie: boolean;
  /** Cookie mode: the seal was opened with an older secret, so re-seal with the newest. */
  reseal: boolean;
  /** The persistent flag changed: the cookie's Max-Age must be re-sent. */
  persistentChanged: boolean;
  /** Server mode: the session was reached through a rotated-away token inside its grace window. */
  viaGrace: boolean;
  userAgent: string | null;
}

export function freshState(userAgent: string | null): RequestState {
  return {
    ref: null,
    meta: null,
    raw: null,
    values: Object.create(null),
    changed: new Set(),
    deleted: new Set(),
    snapshots: null,
    presentedToken: null,
    newToken: null,
    ended: false,
    clearStaleCookie: false,
    reseal: false,
    persistentChanged: false,
    viaGrace: false,
    userAgent,
  };
}

/** Back to an empty, unsaved session (after logout, expiry or a failed load). Keeps request facts. */
export function resetState(state: RequestState): void {
  state.ref = null;
  state.meta = null;
  state.raw = null;
  state.values = Object.create(null);
  state.changed.clear();
  state.deleted.clear();
  state.snapshots = null;
  state.viaGrace = false;
  state.reseal = false;
  state.persistentChanged = false;
}

export function hasDataChanges(state: RequestState): boolean {
  if (state.changed.size > 0 || state.deleted.size > 0) return true;
  if (state.snapshots === null) return false;
  for (const [key, before] of state.snapshots) {
    if (JSON.stringify(state.values[key]) !== before) return true;
  }
  return false;
}

/** This request's changes as JSON text per key, including objects changed in place. */
export function collectChanges(state: RequestState): {
  set: Record<string, string>;
  delete: string[];
} {
  const set: Record<string, string> = Object.create(null);
  for (const key of state.changed) set[key] = encodeValue(state.values[key]);
  if (state.snapshots !== null) {
    for (const [key, before] of state.snapshots) {
      if (state.changed.has(key) || state.deleted.has(key)) continue;
      const now = encodeValue(state.values[key]);
      if (now !== before) set[key] = now;
    }
  }
  return { set, delete: [...state.deleted] };
}

/** All values after this request's changes, as JSON text per key (what a new store entry holds). */
export function mergedData(state: RequestState): Record<string, string> {
  const { raw, values, changed, deleted, snapshots } = state;
  const data: Record<string, string> = Object.create(null);
  if (raw !== null) {
    for (const key of Object.keys(raw)) if (!deleted.has(key)) data[key] = raw[key] as string;
  }
  for (const key of Object.keys(values)) {
    if (deleted.has(key)) continue;
    // A value only read keeps its stored text; one set, new, or possibly changed in place (an
    // object handed out by get()) is encoded again.
    if (changed.has(key) || raw === null || !Object.hasOwn(raw, key) || snapshots?.has(key)) {
      data[key] = encodeValue(values[key]);
    }
  }
  return data;
}

/** Marks the data as saved: the current values become the baseline for the next change. */
export function markSaved(state: RequestState, data: Record<string, string> | null): void {
  if (data !== null) state.raw = data;
  state.changed.clear();
  state.deleted.clear();
  state.snapshots = null;
}

export function decodedValue(state: RequestState, key: string): unknown {
  if (key in state.values) return state.values[key];
  if (state.deleted.has(key)) return undefined;
  const raw = state.raw;
  if (raw === null || !Object.hasOwn(raw, key)) return undefined;
  const text = raw[key] as string;
  const value: unknown = JSON.parse(text);
  state.values[key] = value;
  if (value !== null && typeof value === "object") {
    state.snapshots ??= new Map();
    state.snapshots.set(key, text);
  }
  return value;
}

function encodeValue(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
