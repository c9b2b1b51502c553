import type { SessionMeta } from "../stores/types.ts";

/**
 * One request's session, as both modes share it. Two owners, kept apart:
 * - the change set (`read`, `write`, `remove`, `setPersistent`): what `Session` does;
 * - the lifecycle (`ref`, `meta`, `raw`, `ended`, `staleCookie`): what the mode writes when it
 *   loads, logs in, rotates or logs out.
 * Each mode extends it with what only that mode knows (the presented token; the key a seal opened
 * with), so one object per request holds everything.
 */
export class RequestState {
  /** Store ref (server mode) or session id inside the seal (cookie mode); null until saved. */
  ref: string | null = null;
  /** Null for a session that has not been saved yet. */
  meta: SessionMeta | null = null;
  /** Values as loaded (JSON text per key); decoded lazily into `values`. */
  raw: Readonly<Record<string, string>> | null = null;
  /** `logout()` ran: the response expires the cookie. */
  ended = false;
  /** The request presented a cookie that is dead (expired, tampered, ended): expire it. */
  staleCookie = false;
  /** The persistent flag changed: the cookie's Max-Age must be re-sent. */
  persistentChanged = false;
  /**
   * The presented credential was replaced by a rotation moments ago and reached this session
   * through its grace window (both modes have one): such a request never rotates again.
   */
  viaGrace = false;

  get superseded(): boolean {
    return this.viaGrace;
  }
  readonly userAgent: string | null;

  /** Decoded values, and every value set in this request. */
  values: Record<string, unknown> = Object.create(null);
  readonly changed = new Set<string>();
  readonly deleted = new Set<string>();
  /** JSON text of object values handed out by read(), to notice changes made in place. */
  snapshots: Map<string, string> | null = null;

  constructor(userAgent: string | null) {
    this.userAgent = userAgent;
  }

  /** The value under `key`; objects are remembered as handed out, so in-place changes are saved. */
  read(key: string): unknown {
    const value = this.#decoded(key);
    if (
      value !== null &&
      typeof value === "object" &&
      !this.changed.has(key) &&
      !this.snapshots?.has(key)
    ) {
      this.snapshots ??= new Map();
      this.snapshots.set(key, JSON.stringify(value));
    }
    return value;
  }

  has(key: string): boolean {
    return this.#decoded(key) !== undefined;
  }

  write(key: string, value: unknown): void {
    this.values[key] = value;
    this.changed.add(key);
    this.deleted.delete(key);
  }

  remove(key: string): void {
    delete this.values[key];
    this.changed.delete(key);
    this.snapshots?.delete(key);
    this.deleted.add(key);
  }

  /** Changes "remember me" on a saved session. */
  setPersistent(meta: SessionMeta, value: boolean): void {
    if (meta.persistent === value) return;
    // Copy, never change in place: stores may hand out shared, frozen snapshots.
    this.meta = { ...meta, persistent: value };
    this.persistentChanged = true;
  }

  get dataChanged(): boolean {
    if (this.changed.size > 0 || this.deleted.size > 0) return true;
    if (this.snapshots === null) return false;
    for (const [key, before] of this.snapshots) {
      if (JSON.stringify(this.values[key]) !== before) return true;
    }
    return false;
  }

  /** Back to an empty, unsaved session (after logout). Keeps what the request presented. */
  reset(): void {
    this.ref = null;
    this.meta = null;
    this.raw = null;
    this.values = Object.create(null);
    this.changed.clear();
    this.deleted.clear();
    this.snapshots = null;
    this.persistentChanged = false;
    this.viaGrace = false;
  }

  #decoded(key: string): unknown {
    if (key in this.values) return this.values[key];
    if (this.deleted.has(key)) return undefined;
    const raw = this.raw;
    if (raw === null || !Object.hasOwn(raw, key)) return undefined;
    const text = raw[key] as string;
    const value: unknown = JSON.parse(text);
    this.values[key] = value;
    if (value !== null && typeof value === "object") {
      this.snapshots ??= new Map();
      this.snapshots.set(key, text);
    }
    return value;
  }
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
    // object handed out by read()) is encoded again.
    if (changed.has(key) || raw === null || !Object.hasOwn(raw, key) || snapshots?.has(key)) {
      data[key] = encodeValue(values[key]);
    }
  }
  return data;
}

/**
 * Marks the data as saved: the current values become the baseline for the next change. A value
 * decoded earlier whose key `data` does not hold (left behind at login) is forgotten with it.
 */
export function markSaved(state: RequestState, data: Record<string, string>): void {
  for (const key of Object.keys(state.values)) {
    if (!Object.hasOwn(data, key)) delete state.values[key];
  }
  state.raw = data;
  state.changed.clear();
  state.deleted.clear();
  state.snapshots = null;
}

function encodeValue(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** `base` (JSON text per key) with a change set applied: what a new entry holds. */
export function applyChanges(
  base: Readonly<Record<string, string>> | null,
  changes: { set: Record<string, string>; delete: readonly string[] },
): Record<string, string> {
  const data: Record<string, string> = Object.assign(Object.create(null), base, changes.set);
  for (const key of changes.delete) delete data[key];
  return data;
}
