// From express-session (connect-redis on a node-redis client, Passport) to latchkey, with real
// components: users log in on the legacy app, the server is replaced by the latchkey app on the
// same Redis, and their next request is logged in on latchkey.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient, type RedisClientType } from "redis";
import type { SessionEvent } from "../../packages/latchkey/src/index.ts";
import {
  connectRedisSessions,
  expressSessionReader,
} from "../../packages/latchkey/src/migrate/index.ts";
import { parseSetCookie, request } from "../helpers/http.ts";
import { REDIS_URL, redisUnreachable, runId, skipReason } from "../stores/support/services.ts";
import { LEGACY_SECRET, latchkeyApp, legacyExpressApp } from "./legacy-apps.ts";

const skip = skipReason(await redisUnreachable());

describe("migrating from express-session on connect-redis (node-redis)", {
  skip: skip ?? false,
}, () => {
  const prefix = `${runId("migrate")}:sess:`;
  let client: RedisClientType;

  before(async () => {
    client = createClient({ url: REDIS_URL });
    await client.connect();
  });
  after(async () => {
    for (const key of await client.keys(`${prefix}*`)) await client.del(key);
    await client.quit();
  });

  /** Logs `user` in on a fresh legacy server, closes it, and answers the connect.sid pair. */
  async function legacyLogin(user: string): Promise<string> {
    const legacy = await legacyExpressApp(client, prefix);
    try {
      const reply = await request(`${legacy.url}/login?user=${user}`, { method: "POST" });
      assert.equal(reply.status, 200);
      const line = reply.setCookies.find((l) => l.startsWith("connect.sid="));
      assert.ok(line, "the legacy app set its cookie");
      return line.split(";")[0] as string;
    } finally {
      await legacy.close();
    }
  }

  const reader = () =>
    expressSessionReader({
      secrets: [LEGACY_SECRET],
      store: connectRedisSessions(client, { prefix }),
    });

  test("a legacy cookie is logged in on latchkey, gets latchkey's cookie and loses its own", async () => {
    const legacyCookie = await legacyLogin("alice");
    const sid = decodeURIComponent(legacyCookie.split("=")[1] as string)
      .slice(2)
      .split(".")[0];
    assert.ok(await client.exists(`${prefix}${sid}`));

    const events: SessionEvent[] = [];
    const app = await latchkeyApp(reader(), events);
    try {
      const first = await request(`${app.url}/me`, { cookie: legacyCookie });
      assert.equal(first.status, 200);
      assert.deepEqual(JSON.parse(first.body), { userId: "alice", cart: ["book", "lamp"] });
      const cookies = first.setCookies.map(parseSetCookie);
      const latchkey = cookies.find((c) => c.name === "__Host-session");
      const expired = cookies.find((c) => c.name === "connect.sid");
      assert.ok(latchkey && latchkey.value !== "", "latchkey's cookie is set");
      assert.ok(expired, "the legacy cookie is answered");
      assert.equal(expired.value, "");
      assert.equal(expired.attributes.get("max-age"), "0");
      assert.equal(expired.attributes.get("path"), "/");
      // express-session's maxAge made it a persistent cookie: latchkey's is persistent too.
      assert.ok(latchkey.attributes.has("max-age"));
      assert.ok(events.some((e) => e.type === "login" && e.userId === "alice"));

      // The browser now sends latchkey's cookie only: the same user, nothing migrated again.
      const second = await request(`${app.url}/me`, { cookie: `__Host-session=${latchkey.value}` });
      assert.deepEqual(JSON.parse(second.body), { userId: "alice", cart: ["book", "lamp"] });
      assert.equal(second.setCookies.length, 0);

      // The legacy record is gone: a copy of the old cookie cannot be imported a second time.
      assert.equal(await client.exists(`${prefix}${sid}`), 0);
      const replay = await request(`${app.url}/me`, { cookie: legacyCookie });
      assert.deepEqual(JSON.parse(replay.body), { userId: null, cart: null });
      assert.equal(replay.setCookies.length, 0);
    } finally {
      await app.close();
    }
  });

  test("a tampered legacy cookie is refused: anonymous, a tampered event, nothing imported", async () => {
    const legacyCookie = await legacyLogin("bob");
    const value = decodeURIComponent(legacyCookie.slice("connect.sid=".length));
    const sid = value.slice(2, value.lastIndexOf("."));
    const signature = value.slice(value.lastIndexOf(".") + 1);
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    const forgeries = [
      `s:${sid}.${flipped}`, // the signature altered
      `s:${sid}`, // unsigned
      sid, // a bare id
      `s:${sid}.${signature}x`, // the signature extended
      `s:${sid.slice(1)}.${signature}`, // another id under the same signature
    ];
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(reader(), events);
    try {
      for (const forged of forgeries) {
        const reply = await request(`${app.url}/me`, {
          cookie: `connect.sid=${encodeURIComponent(forged)}`,
        });
        assert.equal(reply.status, 200);
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null }, forged);
        assert.equal(reply.setCookies.length, 0, forged);
      }
      assert.equal(events.filter((e) => e.type === "tampered").length, forgeries.length);
      assert.ok(!events.some((e) => e.type === "login"));
      // Two legacy cookies of one name: which one counts would be the attacker's choice.
      const twice = await request(`${app.url}/me`, {
        cookie: `${legacyCookie}; connect.sid=${encodeURIComponent(`s:${sid}.${flipped}`)}`,
      });
      assert.deepEqual(JSON.parse(twice.body), { userId: null, cart: null });
      assert.equal(events.at(-1)?.reason, "ambiguous-cookie");
      // The genuine session was never read as anyone's: it still exists and still migrates.
      assert.equal(await client.exists(`${prefix}${sid}`), 1);
      const genuine = await request(`${app.url}/me`, { cookie: legacyCookie });
      assert.deepEqual(JSON.parse(genuine.body), { userId: "bob", cart: ["book", "lamp"] });
    } finally {
      await app.close();
    }
  });

  test("a corrupt legacy record is no session: the request goes on anonymous, not a 500", async () => {
    const sid = "corrupt-record";
    await client.set(`${prefix}${sid}`, '{"passport": {"user": "mallory"');
    const mac = createHmac("sha256", LEGACY_SECRET).update(sid).digest("base64");
    const cookie = `connect.sid=${encodeURIComponent(`s:${sid}.${mac.replace(/=+$/, "")}`)}`;
    const app = await latchkeyApp(reader());
    try {
      // Every request of that browser would fail while it keeps the legacy cookie.
      for (let i = 0; i < 2; i++) {
        const reply = await request(`${app.url}/me`, { cookie });
        assert.equal(reply.status, 200, reply.body);
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null });
      }
    } finally {
      await app.close();
    }
  });
});
