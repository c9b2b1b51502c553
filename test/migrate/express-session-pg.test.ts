// From express-session on connect-pg-simple (Passport) to latchkey, with real components: the
// legacy app keeps its sessions in PostgreSQL, in a table connect-pg-simple creates in a schema
// of this run's own; the latchkey app reads them from the same database and removes each row
// once its session moved. The table name has a quote in it, so both sides must quote it alike.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import pg from "pg";
import type { SessionEvent } from "../../packages/latchkey/src/index.ts";
import {
  connectPgSessions,
  expressSessionReader,
} from "../../packages/latchkey/src/migrate/index.ts";
import { parseSetCookie, request } from "../helpers/http.ts";
import {
  DATABASE_URL,
  dropSchema,
  postgresUnreachable,
  runId,
  skipReason,
} from "../stores/support/services.ts";
import { LEGACY_SECRET, latchkeyApp, legacyExpressAppOn } from "./legacy-apps.ts";

const skip = skipReason(await postgresUnreachable());

describe("migrating from express-session on connect-pg-simple", { skip: skip ?? false }, () => {
  const schemaName = runId("migrate_pg");
  const tableName = 'legacy "sessions"';
  const table = `"${schemaName}"."legacy ""sessions"""`;
  let pool: pg.Pool;
  let store: InstanceType<ReturnType<typeof connectPgSimple>>;

  before(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    await pool.query(`CREATE SCHEMA "${schemaName}"`);
    const PgStore = connectPgSimple(session);
    store = new PgStore({
      pool,
      schemaName,
      tableName,
      createTableIfMissing: true,
      pruneSessionInterval: false,
    });
  });
  after(async () => {
    await store?.close();
    await pool?.end();
    await dropSchema(schemaName);
  });

  /** Logs `user` in on a fresh legacy server, closes it; answers the connect.sid pair and sid. */
  async function legacyLogin(user: string): Promise<{ pair: string; sid: string }> {
    const legacy = await legacyExpressAppOn(store);
    try {
      const reply = await request(`${legacy.url}/login?user=${user}`, { method: "POST" });
      assert.equal(reply.status, 200, reply.body);
      const line = reply.setCookies.find((l) => l.startsWith("connect.sid="));
      assert.ok(line, "the legacy app set its cookie");
      const pair = line.split(";")[0] as string;
      const value = decodeURIComponent(pair.slice("connect.sid=".length));
      return { pair, sid: value.slice(2, value.lastIndexOf(".")) };
    } finally {
      await legacy.close();
    }
  }

  async function rowCount(sid: string): Promise<number> {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE sid = $1`, [
      sid,
    ]);
    return rows[0].n as number;
  }

  const reader = () =>
    expressSessionReader({
      secrets: [LEGACY_SECRET],
      store: connectPgSessions(pool, { schemaName, tableName }),
    });

  test("a legacy cookie is logged in on latchkey, its row removed, a replay anonymous", async () => {
    const { pair, sid } = await legacyLogin("alice");
    assert.equal(await rowCount(sid), 1, "connect-pg-simple stored the session");

    const events: SessionEvent[] = [];
    const app = await latchkeyApp(reader(), events);
    try {
      const first = await request(`${app.url}/me`, { cookie: pair });
      assert.equal(first.status, 200);
      assert.deepEqual(JSON.parse(first.body), { userId: "alice", cart: ["book", "lamp"] });
      const cookies = first.setCookies.map(parseSetCookie);
      const latchkey = cookies.find((c) => c.name === "__Host-session");
      const legacy = cookies.find((c) => c.name === "connect.sid");
      assert.ok(latchkey && latchkey.value !== "", "latchkey's cookie is set");
      assert.equal(legacy?.value, "");
      assert.equal(legacy?.attributes.get("max-age"), "0");
      // express-session's cookie.maxAge made it persistent: latchkey's is persistent too.
      assert.ok(latchkey.attributes.has("max-age"));
      assert.ok(events.some((e) => e.type === "login" && e.userId === "alice"));
      // express-session's own `cookie` and Passport's `passport` are not application data.
      for (const key of ["cookie", "passport"]) {
        const value = await request(`${app.url}/data/${key}`, {
          cookie: `__Host-session=${latchkey.value}`,
        });
        assert.equal(JSON.parse(value.body), null, key);
      }

      assert.equal(await rowCount(sid), 0, "the legacy row is removed");
      const replay = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(replay.body), { userId: null, cart: null });
      assert.equal(replay.setCookies.length, 0);
      assert.ok(!events.some((e) => e.type === "tampered"));
    } finally {
      await app.close();
    }
  });

  test("a forged connect.sid signature is refused: anonymous, a tampered event, the row kept", async () => {
    const { pair, sid } = await legacyLogin("bob");
    const value = decodeURIComponent(pair.slice("connect.sid=".length));
    const signature = value.slice(value.lastIndexOf(".") + 1);
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    // Signed the way cookie-signature signs, with a secret that is not the app's.
    const otherSecret = createHmac("sha256", "not the legacy secret")
      .update(sid)
      .digest("base64")
      .replace(/=+$/, "");
    const forgeries = [
      `s:${sid}.${flipped}`, // the signature altered
      `s:${sid}.${otherSecret}`, // signed with another secret
      `s:${sid}`, // unsigned
      sid, // a bare id
      `s:${sid}.${signature}=`, // the signature padded
      `s:${sid}x.${signature}`, // another id under the same signature
    ];
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(reader(), events);
    try {
      for (const forged of forgeries) {
        const reply = await request(`${app.url}/me`, {
          cookie: `connect.sid=${encodeURIComponent(forged)}`,
        });
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null }, forged);
        assert.equal(reply.setCookies.length, 0, forged);
      }
      assert.deepEqual(
        events.map((e) => [e.type, e.reason]),
        Array(forgeries.length).fill(["tampered", "bad-mac"]),
      );
      assert.equal(await rowCount(sid), 1, "a forgery retires nothing");
      const genuine = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(genuine.body), { userId: "bob", cart: ["book", "lamp"] });
      assert.equal(await rowCount(sid), 0);
    } finally {
      await app.close();
    }
  });

  test("a row past its expire is no session, as it was not for connect-pg-simple", async () => {
    const { pair, sid } = await legacyLogin("carol");
    await pool.query(`UPDATE ${table} SET expire = now() - interval '1 minute' WHERE sid = $1`, [
      sid,
    ]);
    // connect-pg-simple itself no longer finds it.
    const legacyView = await new Promise((resolve, reject) =>
      store.get(sid, (error, found) => (error ? reject(error) : resolve(found))),
    );
    assert.equal(legacyView ?? null, null);
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(reader(), events);
    try {
      const reply = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null });
      assert.equal(reply.setCookies.length, 0);
      assert.ok(!events.some((e) => e.type === "tampered" || e.type === "login"));
    } finally {
      await app.close();
    }
  });

  test("a text sess column (older setups): a valid row migrates, a corrupt one is no session, not a 500", async () => {
    const textTable = `"${schemaName}"."text_sessions"`;
    await pool.query(
      `CREATE TABLE ${textTable} (sid varchar PRIMARY KEY, sess text NOT NULL, expire timestamp(6) NOT NULL)`,
    );
    const sess = { cookie: { originalMaxAge: null }, passport: { user: "dave" }, cart: ["pen"] };
    await pool.query(
      `INSERT INTO ${textTable} VALUES ('valid-sid', $1, now() + interval '1 hour'), ('corrupt-sid', '{"passport": {', now() + interval '1 hour')`,
      [JSON.stringify(sess)],
    );
    // Signed as express-session signs (cookie-signature), with the legacy secret.
    const cookieFor = (sid: string) => {
      const mac = createHmac("sha256", LEGACY_SECRET).update(sid).digest("base64");
      return `connect.sid=${encodeURIComponent(`s:${sid}.${mac.replace(/=+$/, "")}`)}`;
    };
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(
      expressSessionReader({
        secrets: [LEGACY_SECRET],
        store: connectPgSessions(pool, { schemaName, tableName: "text_sessions" }),
      }),
      events,
    );
    try {
      const corrupt = await request(`${app.url}/me`, { cookie: cookieFor("corrupt-sid") });
      assert.equal(corrupt.status, 200, corrupt.body);
      assert.deepEqual(JSON.parse(corrupt.body), { userId: null, cart: null });
      const valid = await request(`${app.url}/me`, { cookie: cookieFor("valid-sid") });
      assert.deepEqual(JSON.parse(valid.body), { userId: "dave", cart: ["pen"] });
      // originalMaxAge null: express-session's browser-session cookie, not a persistent one.
      const latchkey = valid.setCookies
        .map(parseSetCookie)
        .find((c) => c.name === "__Host-session");
      assert.ok(latchkey && !latchkey.attributes.has("max-age"));
      const { rows } = await pool.query(`SELECT sid FROM ${textTable} ORDER BY sid`);
      assert.deepEqual(rows, [{ sid: "corrupt-sid" }]);
    } finally {
      await app.close();
    }
  });
});
