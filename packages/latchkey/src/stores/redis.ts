import { type Cluster, Command, Redis, type RedisOptions } from "ioredis";
import { CREATE, DELETE_IF_USER, INDEX, MARK, run, UPDATE } from "./redis/scripts.ts";
import type { SessionChange, SessionMeta, SessionSummary, Store, StoredSession } from "./types.ts";

export interface RedisStoreOptions {
  /** An ioredis client: `new Redis(…)` or `new Cluster(…)`. You keep ownership (close() leaves it open). */
  client?: Redis | Cluster;
  /** A standalone server's URL (`redis://…`, `rediss://…`) instead of `client`. */
  url?: string;
  /** Extra ioredis options when `url` is given. */
  redisOptions?: RedisOptions;
  /**
   * Prefix of every key. No `{` or `}` (those pick Cluster slots), nor in the client's own
   * `keyPrefix`, which is applied in front of it. Default `latchkey:`.
   */
  prefix?: string;
}

/**
 * Sessions in Redis (standalone or Cluster), through ioredis: for several app processes or machines.
 *
 * Each session is one hash (`<prefix>s:<ref>`): `h` the secret's hash, `m:<field>` the meta, `d:<key>`
 * each value's JSON text. Reading a session is one `HGETALL`, so a read-only request between
 * touches costs exactly one Redis command and writes nothing. A change set is one Lua script
 * that sets and deletes only the fields it names, and does nothing when the session is gone (no
 * resurrection). Keys expire with the session (`PEXPIREAT meta.expiresAt`), so Redis prunes them.
 *
 * Cluster: every script touches one key. A user's sessions are listed in a set
 * (`<prefix>u:<userId>`); revocation marks share one hash tag (`<prefix>{r}:<key>`) so checking
 * them is one `MGET`; `deleteAll()` scans every master.
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
    throw new RangeError("redisStore: prefix must not contain { or } (they choose Cluster slots)");
  }
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new TypeError("redisStore: pass exactly one of `client` or `url`");
  }
  const owned = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url as string, {
      maxRetriesPerRequest: 1,
      // Reconnect at least once a second: when Redis is back, sessions work again within a second.
      retryStrategy: (attempt: number) => Math.min(attempt * 50, 1_000),
      connectTimeout: 5_000,
      commandTimeout: 5_000,
      ...options.redisOptions,
    });
  if (owned) {
    // Connection errors surface as rejected commands (and 503s); without a listener ioredis
    // would also print each one.
    client.on("error", () => {});
  }

  const sessionKey = (ref: string) => `${prefix}s:${ref}`;
  const userKey = (userId: string) => `${prefix}u:${userId}`;
  const markKey = (key: string) => `${prefix}{r}:${key}`;

  async function index(userId: string, expiresAt: number, ref: string): Promise<void> {
    await run(client, INDEX, userKey(userId), [expiresAt - Date.now(), ref]);
  }

  async function read(ref: string): Promise<StoredSession | null> {
    return sessionOf(await client.hgetall(sessionKey(ref)));
  }

  return {
    kind: "server",
    get: read,

    async create(ref, session) {
      const args: Array<string | number> = [session.meta.expiresAt, "h", session.secretHash];
      for (const [field, value] of Object.entries(session.meta))
        args.push(`m:${field}`, json(value));
      for (const key of Object.keys(session.data))
        args.push(`d:${key}`, session.data[key] as string);
      await run(client, CREATE, sessionKey(ref), args);
      // Indexed only once it exists: a listing never mistakes a session being created for a stale entry.
      const userId = session.meta.userId;
      if (userId !== null) await index(userId, session.meta.expiresAt, ref);
    },

    async update(ref, change: SessionChange) {
      const pairs: string[] = [];
      for (const [field, value] of Object.entries(change.meta ?? {})) {
        if (value !== undefined) pairs.push(`m:${field}`, json(value));
      }
      const deleted = new Set(change.delete ?? []);
      for (const key of Object.keys(change.set ?? {})) {
        if (!deleted.has(key))
          pairs.push(`d:${key}`, (change.set as Record<string, string>)[key] as string);
      }
      const expiresAt = change.meta?.expiresAt;
      const args = [
        expiresAt ?? "",
        pairs.length,
        ...pairs,
        ...[...deleted].map((key) => `d:${key}`),
      ];
      const storedUser = await run(client, UPDATE, sessionKey(ref), args);
      if (typeof storedUser !== "string") return; // no such session
      const userId = JSON.parse(storedUser) as string | null;
      const movedToUser = typeof change.meta?.userId === "string";
      // The user's index must live as long as the session it lists.
      if (userId !== null && (expiresAt !== undefined || movedToUser)) {
        const until = expiresAt ?? (await read(ref))?.meta.expiresAt ?? Date.now();
        await index(userId, until, movedToUser ? ref : "");
      }
    },

    async delete(ref) {
      // The user's index keeps the ref until a listing notices it is gone.
      await client.unlink(sessionKey(ref));
    },

    async listByUser(userId) {
      const { live } = await listed(userId);
      return live.filter((s) => s.meta.successor === null);
    },

    async deleteByUser(userId) {
      const refs = await client.smembers(userKey(userId));
      const removed = await Promise.all(
        refs.map((ref) => run(client, DELETE_IF_USER, sessionKey(ref), [json(userId)])),
      );
      if (refs.length > 0) await client.srem(userKey(userId), ...refs);
      return removed.reduce<number>((sum, n) => sum + Number(n), 0);
    },

    async deleteAll() {
      // A command first: a Cluster client learns its masters when it connects.
      await client.ping();
      const masters = client.isCluster ? (client as Cluster).nodes("master") : [client as Redis];
      if (masters.length === 0) throw new Error("redisStore: no Redis Cluster master is connected");
      // SCAN patterns are not prefixed by ioredis (keys are): add its keyPrefix ourselves.
      const full = globEscape(
        ((client.options as { keyPrefix?: string }).keyPrefix ?? "") + prefix,
      );
      await Promise.all(
        masters.flatMap((node) => [
          unlinkMatching(node, `${full}s:*`),
          unlinkMatching(node, `${full}u:*`),
        ]),
      );
    },

    async markRevoked(key, at, until) {
      await run(client, MARK, markKey(key), [at, until - Date.now()]);
    },

    async revokedSince(keys) {
      if (keys.length === 0) return 0;
      const values = await client.mget(...keys.map(markKey));
      return values.reduce<number>((latest, v) => Math.max(latest, v === null ? 0 : Number(v)), 0);
    },

    async close() {
      if (owned) await (client as Redis).quit().catch(() => (client as Redis).disconnect());
    },
  };

  /** The user's sessions, and the index entries whose session is gone (removed as a side effect). */
  async function listed(userId: string): Promise<{ live: SessionSummary[] }> {
    const refs = await client.smembers(userKey(userId));
    const entries = await Promise.all(refs.map(read));
    const live: SessionSummary[] = [];
    const stale: string[] = [];
    entries.forEach((entry, i) => {
      const ref = refs[i] as string;
      if (entry !== null && entry.meta.userId === userId) live.push({ ref, meta: entry.meta });
      else if (entry === null) stale.push(ref);
    });
    if (stale.length > 0) await client.srem(userKey(userId), ...stale);
    return { live };
  }
}

/** The hash fields of one session, or null when it does not exist. */
function sessionOf(fields: Record<string, string>): StoredSession | null {
  const secretHash = fields.h;
  if (secretHash === undefined) return null;
  const meta: Record<string, unknown> = {};
  const data: Record<string, string> = Object.create(null);
  for (const field of Object.keys(fields)) {
    const value = fields[field] as string;
    if (field.startsWith("d:")) data[field.slice(2)] = value;
    else if (field.startsWith("m:")) meta[field.slice(2)] = JSON.parse(value);
  }
  return { secretHash, meta: meta as unknown as SessionMeta, data };
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/**
 * SCAN one node for keys matching `pattern` and unlink them, one key per command (Cluster forbids
 * cross-slot DEL). The keys are sent as SCAN returned them: raw commands skip ioredis' keyPrefix.
 */
async function unlinkMatching(node: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    await Promise.all(
      keys.map((key) => {
        const command = new Command("unlink", [key]);
        node.sendCommand(command);
        return command.promise;
      }),
    );
  } while (cursor !== "0");
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
