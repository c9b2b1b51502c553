// A user's sessions in Redis: one hash per user (`<prefix>user:<userId>`), field = ref, value =
// "<createdAt>:<expiresAt>:<state>" (scripts.ts). It carries what the session limit needs, so the
// limit is one script on one key, atomic on a Cluster too.
//
// Earlier versions kept a plain set of refs (`<prefix>u:<userId>`). Listings and revocations still
// read it, and a listing moves what it finds into the hash, so nothing of an older deployment is
// missed and the old key empties itself.
import type { Cluster, Redis } from "ioredis";
import type { SessionLimit, SessionMeta, SessionSummary, StoredSession } from "../types.ts";
import { INDEX_PUT, INDEX_TOUCH, LIMIT, run } from "./scripts.ts";

/** The state a member records: live, rotated away, or evicted by the limit. */
export type MemberState = "0" | "1" | "2";

export function memberValue(
  createdAt: number,
  expiresAt: number,
  successor: string | null,
): string {
  return `${createdAt}:${expiresAt}:${successor === null ? "0" : "1"}`;
}

export interface UserIndex {
  /** Adds (or replaces) a session's member. */
  put(
    userId: string,
    ref: string,
    meta: Pick<SessionMeta, "createdAt" | "expiresAt" | "successor">,
  ): Promise<void>;
  /** Moves a listed session's expiry (and state, unless ""); a member that is gone stays gone. */
  touch(userId: string, ref: string, expiresAt: number, state: MemberState | ""): Promise<void>;
  /** Forgets refs of the user. */
  remove(userId: string, refs: readonly string[]): Promise<void>;
  /** Forgets refs of the user in the old set. */
  forgetLegacy(userId: string, refs: readonly string[]): Promise<void>;
  /** Every ref the index knows for the user, from both layouts (one round trip). */
  refs(userId: string): Promise<{ refs: string[]; legacy: string[] }>;
  /** Whether an older deployment left refs in the old set. */
  hasLegacy(userId: string): Promise<boolean>;
  /** Runs the limit script; the new member is added when there is room. */
  admit(
    userId: string,
    ref: string,
    meta: StoredSession["meta"],
    limit: SessionLimit,
  ): Promise<{ created: true; evicted: string[] } | { created: false; live: number }>;
  /**
   * The user's existing sessions, read one by one. Members whose session is gone are dropped,
   * members that disagree with their session are corrected, old-set refs move into the hash;
   * `changed` says whether any of that happened.
   */
  listed(
    userId: string,
    read: (ref: string) => Promise<StoredSession | null>,
  ): Promise<{ live: SessionSummary[]; changed: boolean }>;
}

export function userIndex(client: Redis | Cluster, prefix: string): UserIndex {
  const key = (userId: string) => `${prefix}user:${userId}`;
  const legacyKey = (userId: string) => `${prefix}u:${userId}`;
  const lifetime = (expiresAt: number) => expiresAt - Date.now();

  const index: UserIndex = {
    async put(userId, ref, meta) {
      const value = memberValue(meta.createdAt, meta.expiresAt, meta.successor);
      await run(client, INDEX_PUT, key(userId), [lifetime(meta.expiresAt), ref, value]);
    },
    async touch(userId, ref, expiresAt, state) {
      await run(client, INDEX_TOUCH, key(userId), [lifetime(expiresAt), ref, expiresAt, state]);
    },
    async remove(userId, refs) {
      if (refs.length > 0) await client.hdel(key(userId), ...refs);
    },
    async forgetLegacy(userId, refs) {
      if (refs.length > 0) await client.srem(legacyKey(userId), ...refs);
    },
    async refs(userId) {
      const [refs, legacy] = await Promise.all([
        client.hkeys(key(userId)),
        client.smembers(legacyKey(userId)),
      ]);
      return { refs: [...new Set([...refs, ...legacy])], legacy };
    },
    async hasLegacy(userId) {
      return (await client.exists(legacyKey(userId))) === 1;
    },
    async admit(userId, ref, meta, limit) {
      const reply = (await run(client, LIMIT, key(userId), [
        limit.now,
        limit.limit,
        limit.policy,
        limit.exceptRef ?? "",
        ref,
        memberValue(meta.createdAt, meta.expiresAt, meta.successor),
        lifetime(meta.expiresAt),
      ])) as [number, ...Array<string | number>];
      if (reply[0] !== 1) return { created: false, live: Number(reply[1]) };
      return { created: true, evicted: reply.slice(1).map(String) };
    },
    async listed(userId, read) {
      const [members, legacy] = await Promise.all([
        client.hgetall(key(userId)),
        client.smembers(legacyKey(userId)),
      ]);
      const refs = [...new Set([...Object.keys(members), ...legacy])];
      const entries = await Promise.all(refs.map(read));
      const live: SessionSummary[] = [];
      const gone: string[] = [];
      const writes: Array<Promise<unknown>> = [];
      entries.forEach((entry, i) => {
        const ref = refs[i] as string;
        if (entry === null) {
          gone.push(ref);
          return;
        }
        if (entry.meta.userId !== userId) return;
        live.push({ ref, meta: entry.meta });
        const { createdAt, expiresAt, successor } = entry.meta;
        const member = members[ref];
        if (member === undefined) writes.push(index.put(userId, ref, entry.meta));
        else if (
          !member.endsWith(":2") &&
          member !== memberValue(createdAt, expiresAt, successor)
        ) {
          // A process that stopped between a write and its index update left the member behind.
          writes.push(index.touch(userId, ref, expiresAt, successor === null ? "0" : "1"));
        }
      });
      const changed = writes.length > 0 || gone.length > 0 || legacy.length > 0;
      writes.push(index.remove(userId, gone));
      writes.push(index.forgetLegacy(userId, legacy));
      await Promise.all(writes);
      return { live, changed };
    },
  };
  return index;
}
