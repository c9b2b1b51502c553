// Import-once and revocation for signed legacy cookies (Flask's, cookie-session's), on every
// store latchkey remembers marks in: a legacy cookie moves to latchkey once; a copy replayed later
// (after a logout, or at all) stays anonymous and is expired; `revokeUser` and `revokeAll` refuse
// legacy cookies issued before them; other legacy cookies still move; the store keeps a hash of
// each imported cookie, never the cookie.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import pg from "pg";
import { signFlaskSession } from "../../packages/latchkey/src/flask/session-cookie.ts";
import {
  createSessions,
  type SessionEvent,
  type SessionHeaders,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import {
  cookieSessionReader,
  flaskCookieReader,
  type LegacyReader,
  withMigration,
} from "../../packages/latchkey/src/migrate/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { testSecret } from "../helpers/secrets.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
  skipReason,
} from "../stores/support/services.ts";

const SECRET_KEY = "the Flask app's SECRET_KEY, long enough";
const COOKIE_SESSION_KEY = "cookie-session key of the legacy app, long enough";

interface Target {
  name: string;
  unavailable(): Promise<string | null>;
  make(): Promise<{
    store: Store;
    /** Every text the store holds (keys and values), to look for a raw cookie in. */
    contents(): Promise<string[]>;
    cleanup(): Promise<void>;
  }>;
}

const targets: Target[] = [
  {
    name: "memory",
    unavailable: async () => null,
    // The memory store's marks are not reachable from outside: checked through its API only.
    make: async () => ({ store: memoryStore(), contents: async () => [], cleanup: async () => {} }),
  },
  {
    name: "sqlite",
    unavailable: async () => null,
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), "latchkey-replay-"));
      const db = new Database(join(dir, "sessions.db"));
      return {
        store: sqliteStore({ database: db }),
        contents: async () => {
          const rows = db.prepare("SELECT key, at, until FROM latchkey_sessions_revocations").all();
          const sessions = db.prepare("SELECT * FROM latchkey_sessions").all();
          return [...rows, ...sessions].map((row) => JSON.stringify(row));
        },
        cleanup: async () => {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "redis",
    unavailable: () => redisUnreachable(),
    make: async () => {
      const prefix = `${runId("replay")}:`;
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      return {
        store: redisStore({ client, prefix }),
        contents: async () => {
          const texts: string[] = [];
          for (const key of await client.keys(`${prefix}*`)) {
            texts.push(key);
            const type = await client.type(key);
            if (type === "string") texts.push(String(await client.get(key)));
            else if (type === "hash") texts.push(JSON.stringify(await client.hgetall(key)));
            else if (type === "zset") texts.push(...(await client.zrange(key, "0", "-1")));
            else if (type === "set") texts.push(...(await client.smembers(key)));
            else texts.push(`unread ${type}`);
          }
          return texts;
        },
        cleanup: async () => {
          client.disconnect();
          await dropRedisPrefix(REDIS_URL, prefix);
        },
      };
    },
  },
  {
    name: "postgres",
    unavailable: () => postgresUnreachable(),
    make: async () => {
      const schema = runId("replay");
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
      const store = postgresStore({ pool, schema });
      await store.migrate();
      return {
        store,
        contents: async () => {
          const marks = await pool.query(`SELECT * FROM ${schema}.latchkey_sessions_revocations`);
          const sessions = await pool.query(`SELECT * FROM ${schema}.latchkey_sessions`);
          return [...marks.rows, ...sessions.rows].map((row) => JSON.stringify(row));
        },
        cleanup: async () => {
          await pool.end();
          await dropSchema(schema);
        },
      };
    },
  },
];

/** A Flask session cookie of Flask-Login's user, signed `secondsAgo` before now. */
function flaskCookie(userId: string, secondsAgo = 5, extra: Record<string, unknown> = {}): string {
  const timestamp = Math.floor(Date.now() / 1000) - secondsAgo;
  const value = signFlaskSession(
    { _user_id: userId, cart: ["book"], ...extra },
    { secretKey: SECRET_KEY, timestamp },
  );
  return `session=${value}`;
}

/** cookie-session's pair for Passport's user: base64 JSON and its keygrip signature. */
function cookieSessionCookie(userId: number, cart: string[] = ["pen"]): string {
  const value = Buffer.from(JSON.stringify({ passport: { user: userId }, cart })).toString(
    "base64",
  );
  const sig = createHmac("sha1", COOKIE_SESSION_KEY).update(`session=${value}`).digest("base64url");
  return `session=${value}; session.sig=${sig}`;
}

function legacyValue(cookie: string): string {
  return (cookie.split("; ")[0] as string).slice("session=".length);
}

function markKey(value: string): string {
  return `l:${createHash("sha256").update(value, "utf8").digest("base64url")}`;
}

interface Visit {
  userId: string | null;
  headers: SessionHeaders | null;
  /** latchkey's own cookie pair, when the response set one. */
  latchkey: string | undefined;
  /** The names of the cookies the response expired. */
  expired: string[];
}

async function visit(sessions: Sessions, cookie: string): Promise<Visit> {
  const session = await sessions.load({ cookie });
  const headers = await sessions.commit(session);
  const lines = headers === null ? [] : [headers.setCookie, ...(headers.alsoSetCookie ?? [])];
  const pairs = lines.map((line) => line.split(";")[0] as string);
  const latchkey = pairs.find((p) => p.startsWith("__Host-session=") && p.length > 15);
  const expired = lines
    .filter((line) => /max-age=0/i.test(line))
    .map((line) => line.slice(0, line.indexOf("=")));
  return { userId: session.userId, headers, latchkey, expired };
}

function migrating(store: Store, from: LegacyReader, events: SessionEvent[]): Sessions {
  return withMigration(
    createSessions({ secrets: [testSecret()], store, onEvent: (e) => events.push(e) }),
    { from, marks: store },
  );
}

function replays(events: SessionEvent[]): SessionEvent[] {
  return events.filter((e) => e.type === "unknown-id" && e.reason === "legacy-replayed");
}

for (const target of targets) {
  describe(`legacy cookies move once (${target.name} store)`, async () => {
    const skip = skipReason(await target.unavailable());

    test("a Flask cookie is imported once; its copy after the logout stays anonymous and is expired", {
      skip: skip ?? false,
    }, async () => {
      const made = await target.make();
      try {
        const events: SessionEvent[] = [];
        const sessions = migrating(
          made.store,
          flaskCookieReader({ secretKey: SECRET_KEY }),
          events,
        );
        const legacy = flaskCookie("42");
        const first = await visit(sessions, legacy);
        assert.equal(first.userId, "42");
        assert.ok(first.latchkey, "latchkey's cookie is set");
        // Flask-Login's remember_token goes with the session cookie.
        assert.deepEqual(first.expired.sort(), ["remember_token", "session"]);
        assert.ok(
          (await made.store.revokedSince([markKey(legacyValue(legacy))])) > 0,
          "the import is remembered under the cookie's hash",
        );

        // The user logs out of latchkey; a copy of the Flask cookie arrives alone.
        const own = first.latchkey as string;
        const session = await sessions.load({ cookie: own });
        assert.equal(session.userId, "42");
        await session.logout();
        await sessions.commit(session);
        const replayed = await visit(sessions, legacy);
        assert.equal(replayed.userId, null, "not imported again");
        assert.equal(replayed.latchkey, undefined, "no latchkey session is created");
        assert.deepEqual(
          replayed.expired.sort(),
          ["remember_token", "session"],
          "the copy is expired in the response",
        );
        const [event] = replays(events);
        assert.equal(event?.userId, "42");
        assert.equal(event?.ref, markKey(legacyValue(legacy)).slice(2));
        assert.ok(!events.some((e) => e.type === "tampered"), "a replay is not tampering");

        // Another user's Flask cookie still moves, and so does a new cookie of the same user.
        assert.equal((await visit(sessions, flaskCookie("43"))).userId, "43");
        assert.equal((await visit(sessions, flaskCookie("42", 3, { n: 2 }))).userId, "42");
      } finally {
        await made.cleanup();
      }
    });

    test("a cookie-session cookie is imported once; other cookie-session cookies still move", {
      skip: skip ?? false,
    }, async () => {
      const made = await target.make();
      try {
        const events: SessionEvent[] = [];
        const sessions = migrating(
          made.store,
          cookieSessionReader({ keys: [COOKIE_SESSION_KEY] }),
          events,
        );
        const legacy = cookieSessionCookie(7);
        const first = await visit(sessions, legacy);
        assert.equal(first.userId, "7");
        assert.deepEqual(first.expired.sort(), ["session", "session.sig"]);
        const replayed = await visit(sessions, legacy);
        assert.equal(replayed.userId, null);
        assert.equal(replayed.latchkey, undefined);
        assert.deepEqual(replayed.expired.sort(), ["session", "session.sig"]);
        assert.equal(replays(events).length, 1);
        assert.equal((await visit(sessions, cookieSessionCookie(8))).userId, "8");
        assert.equal((await visit(sessions, cookieSessionCookie(7, ["lamp"]))).userId, "7");
      } finally {
        await made.cleanup();
      }
    });

    test("revokeUser refuses the user's legacy cookies issued before it (Flask: by its timestamp)", {
      skip: skip ?? false,
    }, async () => {
      const made = await target.make();
      try {
        const events: SessionEvent[] = [];
        const flask = migrating(made.store, flaskCookieReader({ secretKey: SECRET_KEY }), events);
        const before = flaskCookie("42");
        const otherUser = flaskCookie("43");
        await flask.revokeUser("42");
        assert.equal((await visit(flask, before)).userId, null, "issued before: refused");
        assert.equal(replays(events).length, 1);
        assert.equal((await visit(flask, otherUser)).userId, "43", "another user: moves");
        // A cookie the legacy app signed after the revocation moves (itsdangerous counts whole
        // seconds, so it is signed in a later second than the revocation).
        await sleep(1100);
        assert.equal((await visit(flask, flaskCookie("42", 0))).userId, "42");

        // cookie-session carries no issue time: every cookie of a revoked user counts as issued
        // before the revocation.
        const cs = migrating(made.store, cookieSessionReader({ keys: [COOKIE_SESSION_KEY] }), []);
        const csBefore = cookieSessionCookie(9);
        await cs.revokeUser("9");
        assert.equal((await visit(cs, csBefore)).userId, null);
        assert.equal((await visit(cs, cookieSessionCookie(10))).userId, "10");
      } finally {
        await made.cleanup();
      }
    });

    test("revokeAll refuses every legacy cookie issued before it", {
      skip: skip ?? false,
    }, async () => {
      const made = await target.make();
      try {
        const events: SessionEvent[] = [];
        const sessions = migrating(
          made.store,
          flaskCookieReader({ secretKey: SECRET_KEY }),
          events,
        );
        const cookies = [flaskCookie("1"), flaskCookie("2")];
        await sessions.revokeAll();
        for (const cookie of cookies) assert.equal((await visit(sessions, cookie)).userId, null);
        assert.equal(replays(events).length, 2);
      } finally {
        await made.cleanup();
      }
    });

    test("the store holds a hash of each imported cookie, never the cookie", {
      skip: skip ?? false,
    }, async () => {
      const made = await target.make();
      try {
        const flask = migrating(made.store, flaskCookieReader({ secretKey: SECRET_KEY }), []);
        const cs = migrating(made.store, cookieSessionReader({ keys: [COOKIE_SESSION_KEY] }), []);
        const flaskLegacy = flaskCookie("42");
        const csLegacy = cookieSessionCookie(7);
        assert.equal((await visit(flask, flaskLegacy)).userId, "42");
        assert.equal((await visit(cs, csLegacy)).userId, "7");
        const values = [legacyValue(flaskLegacy), legacyValue(csLegacy)];
        for (const value of values) {
          assert.ok((await made.store.revokedSince([markKey(value)])) > 0, "marked by its hash");
          assert.equal(await made.store.revokedSince([`l:${value}`]), 0, "never by its value");
        }
        const contents = await made.contents();
        if (target.name !== "memory") {
          assert.ok(
            contents.some((text) => text.includes(markKey(values[0] as string))),
            "the mark is found in the store's contents",
          );
        }
        assert.ok(!contents.some((text) => text.startsWith("unread ")), "every key was read");
        for (const text of contents) {
          for (const value of values) {
            // The signed part of a Flask cookie, and cookie-session's whole payload.
            assert.ok(!text.includes(value.slice(0, 24)), "no part of a legacy cookie is stored");
          }
        }
      } finally {
        await made.cleanup();
      }
    });
  });
}

test("sealed cookie sessions: the migrated session survives revokeOthers; the user's older legacy cookies do not", async () => {
  const revocation = memoryStore();
  const events: SessionEvent[] = [];
  const sessions = withMigration(
    createSessions({
      secrets: [testSecret()],
      store: cookieStore({ revocation }),
      onEvent: (e) => events.push(e),
    }),
    { from: flaskCookieReader({ secretKey: SECRET_KEY }), marks: revocation },
  );
  const otherDevice = flaskCookie("42", 60);
  const moved = await visit(sessions, flaskCookie("42"));
  assert.equal(moved.userId, "42");
  const current = await sessions.load({ cookie: moved.latchkey as string });
  await sessions.revokeOthers(current);
  const resealed = await sessions.commit(current);
  assert.ok(resealed, "the current session is re-sealed");
  const pair = resealed.setCookie.split(";")[0] as string;
  assert.equal((await sessions.load({ cookie: pair })).userId, "42", "the current one lives on");
  assert.equal((await visit(sessions, otherDevice)).userId, null, "the other device's does not");
  assert.equal(replays(events).length, 1);
});
