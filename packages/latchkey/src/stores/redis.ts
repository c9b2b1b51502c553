import { type Cluster, Redis, type RedisOptions } from "ioredis";
import { LatchkeyError } from "../core/errors.ts";
import { type Removed, removeChain } from "./chain.ts";
import { checkConnectionUrl } from "./connection-url.ts";
import { limitedUser } from "./limit.ts";
import { lastConnectionError, withConnectionCause } from "./redis/connection-cause.ts";
import {
  asIoredis,
  isNodeRedis,
  type NodeRedisClient,
  type NodeRedisCluster,
} from "./redis/node-redis.ts";
import {
  CLAIM,
  CLAIM_ALL,
  CREATE,
  CREATE_ALL,
  CREATE_CLAIM,
  DELETE_CHAIN,
  DELETE_LINK,
  MARK,
  run,
  UPDATE,
  UPDATE_ALL,
  UPDATE_DATA,
} from "./redis/scripts.ts";
import { sweepSessions } from "./redis/sweep.ts";
import { memberValue, userIndex } from "./redis/user-index.ts";
import type { SessionChange, SessionMeta, Store, StoredSession } from "./types.ts";
import { withArgumentChecks } from "./validate.ts";

export interface RedisStoreOptions {
  /**
   * A connected client: ioredis (`new Redis(…)`, `new Cluster(…)`) or node-redis v4+
   * (`await createClient(…).connect()`, `await createCluster(…).connect()`). You keep ownership
   * (close() leaves it open).
   */
  client?: Redis | Cluster | NodeRedisClient | NodeRedisCluster;
  /** A standalone server's URL (`redis://…`, `rediss://…`) instead of `client`. */
  url?: string;
  /** Extra ioredis options when `url` is given. */
  redisOptions?: RedisOptions;
  /**
   * Prefix of every key. No `{` or `}` (those pick Cluster slots), nor in the client's own
   * `keyPrefix`, which is applied in front of it. Default `latchkey:`.
   */
  prefix?: string;
  /**
   * Called after each SCAN page `deleteAll()` (revokeAll) deleted, with how many sessions it
   * removed (progress, tests).
   */
  onSweepBatch?: (removed: number) => void;
}

/**
 * Sessions in Redis (standalone or Cluster), through ioredis or node-redis: for several app processes or machines.
 *
 * Each session is one hash (`<prefix>s:<ref>`): `h` the secret's hash, `m` the meta (one JSON
 * object), `d:<key>` each value's JSON text (records of the earlier format, one `m:<field>` per
 * meta field, are read as well, and rewritten as `m` when their meta changes). Reading a session is one `HGETALL`, so a read-only request between
 * touches costs exactly one Redis command and writes nothing. A change set is one Lua script
 * that sets and deletes only the fields it names, and does nothing when the session is gone (no
 * resurrection). Keys expire with the session (`PEXPIREAT meta.expiresAt`), so Redis prunes them.
 *
 * Cluster: every script touches one key. A user's sessions are listed in a hash
 * (`<prefix>user:<userId>`) that records each one's creation, expiry and state, so the session
 * limit is one script on that key; revocation marks share one hash tag (`<prefix>{r}:<key>`) so
 * checking them is one `MGET`; `deleteAll()` scans every master. A claim is one script on the
 * session's key; a revocation deletes key by key along the successor chain.
 *
 * With `url`, the store's own client gives up on a command after one reconnection attempt, so a
 * request fails (503) quickly while Redis is down instead of waiting in a queue. Configure a
 * client you pass the same way (`maxRetriesPerRequest`, `commandTimeout`).
 *
 * @example
 * ```ts
 * import { createSessions } from "latchkey";
 * import { redisStore } from "latchkey/stores/redis";
 * const sessions = createSessions({
 *   secrets: [process.env.SESSION_SECRET!],
 *   store: redisStore({ url: process.env.REDIS_URL!, prefix: "myapp:session:" }),
 * });
 * ```
 */
export function redisStore(options: RedisStoreOptions): Store {
  const prefix = options.prefix ?? "latchkey:";
  if (/[{}]/.test(prefix)) {
    throw new LatchkeyError(
      "config-invalid",
      "redisStore: prefix must not contain { or } (they choose Cluster slots)",
    );
  }
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new LatchkeyError("config-invalid", "redisStore: pass exactly one of `client` or `url`");
  }
  const owned = options.client === undefined;
  const url =
    options.url === undefined
      ? undefined
      : checkConnectionUrl(options.url, {
          option: "redisStore: url",
          schemes: ["redis:", "rediss:"],
          example: "redis://localhost:6379",
          otherwise: "`client: new Redis({ path })` for a Unix socket",
        });
  const given = options.client;
  const client =
    given === undefined
      ? new Redis(url as string, {
          maxRetriesPerRequest: 1,
          // Reconnect at least once a second: when Redis is back, sessions work again within a second.
          retryStrategy: (attempt: number) => Math.min(attempt * 50, 1_000),
          connectTimeout: 5_000,
          commandTimeout: 5_000,
          ...options.redisOptions,
        })
      : isNodeRedis(given)
        ? asIoredis(given)
        : given;
  // Connection errors surface as rejected commands (and 503s), with the latest one as their
  // cause. A client you pass keeps its own error handling.
  const connectionError = owned ? lastConnectionError(client) : undefined;

  const sessionKey = (ref: string) => `${prefix}s:${ref}`;
  const markKey = (key: string) => `${prefix}{r}:${key}`;
  const userPrefix = `${prefix}user:`;
  const users = userIndex(client, prefix);
  // Standalone, each write is one script that keeps the user's index too (scripts.ts); a Cluster
  // keeps a session and its user's index in different slots, so there the index is a second script.
  const standalone = !client.isCluster;

  async function read(ref: string): Promise<StoredSession | null> {
    return sessionOf(await client.hgetall(sessionKey(ref)));
  }

  /** The session's fields as HSET arguments. */
  function fieldsOf(session: StoredSession, args: Array<string | number>): Array<string | number> {
    args.push("h", session.secretHash, "m", JSON.stringify(session.meta));
    for (const key in session.data) args.push(`d:${key}`, session.data[key] as string);
    return args;
  }

  async function createEntry(ref: string, session: StoredSession): Promise<void> {
    await run(client, CREATE, sessionKey(ref), fieldsOf(session, [session.meta.expiresAt]));
  }

  /**
   * Deletes `first` and its successor chain; each removed link leaves its user's index as well.
   * `userId`: delete `first` only if it is that user's. Standalone: one script.
   */
  async function removeWithChain(first: string, userId?: string): Promise<string[]> {
    const only = userId === undefined ? "" : json(userId);
    if (standalone) {
      const keys = [sessionKey(first), userPrefix, sessionKey("")];
      return (await run(client, DELETE_CHAIN, keys, [only, first])) as string[];
    }
    const unindexed: Array<Promise<void>> = [];
    const removed = await removeChain(first, async (ref): Promise<Removed> => {
      const reply = (await run(client, DELETE_LINK, sessionKey(ref), [
        ref === first ? only : "",
      ])) as string[];
      if (reply.length === 0) return { removed: false, successor: null };
      const owner = JSON.parse(reply[0] as string) as string | null;
      if (owner !== null) unindexed.push(users.remove(owner, [ref]));
      return { removed: true, successor: JSON.parse(reply[1] as string) as string | null };
    });
    await Promise.all(unindexed);
    return removed;
  }

  const store = withArgumentChecks({
    kind: "server",
    get: read,

    async create(ref, session) {
      const { meta } = session;
      if (standalone && meta.userId !== null) {
        const member = memberValue(meta.createdAt, meta.expiresAt, meta.successor);
        const lifetime = meta.expiresAt - Date.now();
        const args = fieldsOf(session, [meta.expiresAt, ref, member, lifetime]);
        await run(client, CREATE_ALL, [sessionKey(ref), userPrefix + meta.userId], args);
        return;
      }
      await createEntry(ref, session);
      // Indexed only once it exists: a listing never mistakes a session being created for a stale entry.
      const userId = session.meta.userId;
      if (userId !== null) await users.put(userId, ref, session.meta);
    },

    async claim(ref, successorRef, pointerUntil) {
      const reply = (
        standalone
          ? await run(
              client,
              CLAIM_ALL,
              [sessionKey(ref), userPrefix],
              [json(successorRef), pointerUntil, ref, Date.now()],
            )
          : await run(client, CLAIM, sessionKey(ref), [json(successorRef), pointerUntil])
      ) as [number, string?, string?];
      if (reply[0] !== 1) {
        const successor = reply[1] === undefined ? null : (JSON.parse(reply[1]) as string | null);
        return { claimed: false, successor };
      }
      if (standalone) return { claimed: true }; // the script kept the index
      const userId = JSON.parse(reply[1] as string) as string | null;
      if (userId !== null) {
        // Until this lands the index still counts the old token as live: the limit errs low.
        if (pointerUntil === 0) await users.remove(userId, [ref]);
        else await users.touch(userId, ref, pointerUntil, "1");
      }
      return { claimed: true };
    },

    // Standalone only: on a Cluster the two sessions' keys are in different slots (docs/stores.md),
    // and the engine falls back to create(), claim() and, when the claim fails, delete().
    ...(standalone
      ? {
          async createAndClaim(ref: string, session: StoredSession, old: string, until: number) {
            const { meta } = session;
            const keys = [sessionKey(old), userPrefix, sessionKey(ref)];
            if (meta.userId !== null) keys.push(userPrefix + meta.userId);
            const args: Array<string | number> = [json(ref), until, old, Date.now(), ref];
            args.push(memberValue(meta.createdAt, meta.expiresAt, meta.successor));
            args.push(meta.expiresAt - Date.now(), meta.expiresAt);
            const reply = (await run(client, CREATE_CLAIM, keys, fieldsOf(session, args))) as [
              number,
              string?,
            ];
            if (reply[0] === 1) return { claimed: true as const };
            const successor =
              reply[1] === undefined ? null : (JSON.parse(reply[1]) as string | null);
            return { claimed: false as const, successor };
          },
        }
      : {}),

    async createWithinLimit(ref, session, limit) {
      const userId = limitedUser(session, limit);
      // The entry exists before the index admits it (a listing never drops a member whose entry
      // is still to come); until then nobody holds its token, so a refusal simply deletes it.
      const [, legacy] = await Promise.all([createEntry(ref, session), users.hasLegacy(userId)]);
      if (legacy) await users.listed(userId, read);
      let admitted = await users.admit(userId, ref, session.meta, limit);
      if (!admitted.created) {
        // The index may count a session whose deletion was cut short; a listing drops such
        // members, and one more try then decides on the corrected count.
        const { changed } = await users.listed(userId, read);
        if (changed) admitted = await users.admit(userId, ref, session.meta, limit);
      }
      if (!admitted.created) {
        await client.unlink(sessionKey(ref));
        return admitted;
      }
      // Marked evicted in the index (so a revocation still finds them if this process stops
      // here), the evicted entries are deleted now, with any successor a rotation gave them.
      await Promise.all(admitted.evicted.map((evicted) => removeWithChain(evicted)));
      return admitted;
    },

    async update(ref, change: SessionChange) {
      const { meta, set } = change;
      // Only the fields it names: the script merges them into the stored meta.
      let metaText = "";
      if (meta !== undefined) {
        const named: Record<string, unknown> = {};
        let any = false;
        for (const field in meta) {
          const value = meta[field as keyof SessionMeta];
          if (value !== undefined) {
            named[field] = value;
            any = true;
          }
        }
        if (any) metaText = JSON.stringify(named);
      }
      const deleted = change.delete ?? [];
      const pairs: string[] = [];
      if (set !== undefined) {
        for (const key in set) {
          if (!deleted.includes(key)) pairs.push(`d:${key}`, set[key] as string);
        }
      }
      const tail: Array<string | number> = [metaText, pairs.length, ...pairs];
      for (const key of new Set(deleted)) tail.push(`d:${key}`);
      const expiresAt = meta?.expiresAt;
      const successorChange = meta?.successor;
      const indexChange =
        typeof meta?.userId === "string"
          ? "put"
          : expiresAt !== undefined || successorChange !== undefined
            ? "touch"
            : "";
      if (indexChange === "") {
        return (await run(client, UPDATE_DATA, sessionKey(ref), ["", ...tail])) === 1;
      }
      if (standalone) {
        const state = successorChange === undefined ? "" : successorChange === null ? "0" : "1";
        const args = [expiresAt ?? "", Date.now(), indexChange, ref, state, ...tail];
        return (await run(client, UPDATE_ALL, [sessionKey(ref), userPrefix], args)) === 1;
      }
      const args = [expiresAt ?? "", ...tail];
      const stored = (await run(client, UPDATE, sessionKey(ref), args)) as Array<
        string | null
      > | null;
      if (stored === null) return false; // no such session, or a rotated-away one
      const [userId, createdAt, storedExpiry, successor] = stored.map((text) =>
        text === null ? null : JSON.parse(text),
      ) as [string | null, number, number, string | null];
      if (userId === null) return true;
      // The user's index records what the limit needs, and lives as long as the sessions it lists.
      if (typeof change.meta?.userId === "string") {
        await users.put(userId, ref, { createdAt, expiresAt: storedExpiry, successor });
      } else if (expiresAt !== undefined || change.meta?.successor !== undefined) {
        const state = change.meta?.successor === undefined ? "" : successor === null ? "0" : "1";
        await users.touch(userId, ref, storedExpiry, state);
      }
      return true;
    },

    async delete(ref) {
      await removeWithChain(ref);
    },

    async listByUser(userId) {
      const { live } = await users.listed(userId, read);
      return live.filter((s) => s.meta.successor === null);
    },

    async deleteByUser(userId) {
      // Every session of the user that is indexed when the listing runs is deleted with its
      // successor chain. A successor indexed after the listing belongs to a rotation of a listed
      // session (a login after the listing is simply later than the revocation): if its claim
      // ran before that session's deletion, the deletion reads the successor and follows it; if
      // after, the claim finds the session gone and fails, and the engine deletes the successor
      // it made. The index updates that follow a claim change only members still there, so none
      // comes back.
      const { refs, legacy } = await users.refs(userId);
      const chains = await Promise.all(refs.map((ref) => removeWithChain(ref, userId)));
      await Promise.all([users.remove(userId, refs), users.forgetLegacy(userId, legacy)]);
      return chains.reduce((sum, chain) => sum + chain.length, 0);
    },

    async deleteAll() {
      await sweepSessions({
        client,
        prefix,
        standalone,
        unindex: (userId, ref) => users.remove(userId, [ref]),
        removeChain: (ref) => removeWithChain(ref),
        ...(options.onSweepBatch === undefined ? {} : { onPage: options.onSweepBatch }),
      });
    },

    async markRevoked(key, at, until) {
      await run(client, MARK, markKey(key), [at, until - Date.now()]);
    },

    async revokedSince(keys) {
      if (keys.length === 0) return 0;
      const values = await client.mget(...keys.map(markKey));
      return values.reduce<number>((latest, v) => Math.max(latest, v === null ? 0 : Number(v)), 0);
    },

    async ping() {
      await client.ping();
    },

    async close() {
      if (owned) await (client as Redis).quit().catch(() => (client as Redis).disconnect());
    },
  });
  return connectionError === undefined ? store : withConnectionCause(store, connectionError);
}

/**
 * The hash fields of one session, or null when it does not exist. The meta is one JSON field `m`;
 * a record of the earlier format has one `m:<field>` per field instead.
 */
function sessionOf(fields: Record<string, string>): StoredSession | null {
  const secretHash = fields.h;
  if (secretHash === undefined) return null;
  const packed = fields.m;
  const meta: Record<string, unknown> = packed === undefined ? {} : JSON.parse(packed);
  const data: Record<string, string> = Object.create(null);
  for (const field in fields) {
    if (field.startsWith("d:")) data[field.slice(2)] = fields[field] as string;
    else if (packed === undefined && field.startsWith("m:")) {
      meta[field.slice(2)] = JSON.parse(fields[field] as string);
    }
  }
  return { secretHash, meta: meta as unknown as SessionMeta, data };
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
