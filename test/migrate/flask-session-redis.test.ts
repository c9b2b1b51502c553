// From Flask-Session 0.8 on Redis (msgpack, Flask-Login) to latchkey, with real components: the
// Flask app stores its sessions in the local Redis under a prefix of this run's own; the latchkey
// app reads them from the same Redis, through an ioredis and a node-redis client, and deletes
// each legacy key once its session moved.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { createClient, type RedisClientType } from "redis";
import type { SessionEvent } from "../../packages/latchkey/src/index.ts";
import {
  flaskSessionRedisReader,
  type LegacyRedisBytesClient,
} from "../../packages/latchkey/src/migrate/index.ts";
import { decodeMsgpack } from "../../packages/latchkey/src/migrate/msgpack.ts";
import { parseSetCookie, type RunningServer, request } from "../helpers/http.ts";
import { ensurePython } from "../helpers/python.ts";
import {
  dropRedisPrefix,
  REDIS_URL,
  redisUnreachable,
  runId,
  skipReason,
} from "../stores/support/services.ts";
import { cookiePair, startFlaskApp } from "./flask-app.ts";
import { latchkeyApp } from "./legacy-apps.ts";

const SECRET_KEY = "the Flask app's SECRET_KEY, long enough";

const python = ensurePython({
  flask: "flask",
  flask_login: "flask-login",
  flask_session: "flask-session",
  redis: "redis",
});
const skip = skipReason(
  python.ok ? await redisUnreachable() : `python3/Flask-Session not reachable: ${python.reason}`,
);

describe("migrating from Flask-Session on Redis (msgpack, Flask-Login)", {
  skip: skip ?? false,
}, () => {
  const prefix = `${runId("flask")}:session:`;
  const signedPrefix = `${runId("flask_signed")}:session:`;
  let flask: RunningServer;
  let signedFlask: RunningServer;
  let ioredis: Redis;
  let nodeRedis: RedisClientType;

  before(async () => {
    ioredis = new Redis(REDIS_URL);
    nodeRedis = createClient({ url: REDIS_URL });
    await nodeRedis.connect();
    [flask, signedFlask] = await Promise.all([
      startFlaskApp({ secretKey: SECRET_KEY, redis: { url: REDIS_URL, prefix } }),
      startFlaskApp({
        secretKey: SECRET_KEY,
        redis: { url: REDIS_URL, prefix: signedPrefix, useSigner: true },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([flask?.close(), signedFlask?.close()]);
    ioredis?.disconnect();
    await nodeRedis?.quit();
    await dropRedisPrefix(REDIS_URL, prefix);
    await dropRedisPrefix(REDIS_URL, signedPrefix);
  });

  /** Logs `user` in on a Flask app; answers its `session=…` pair, checked by Flask itself. */
  async function flaskLogin(app: RunningServer, user: string): Promise<string> {
    const reply = await request(`${app.url}/login?user=${user}`, { method: "POST" });
    assert.equal(reply.status, 200, reply.body);
    const pair = cookiePair(reply.setCookies, "session");
    const me = await request(`${app.url}/me`, { cookie: pair });
    assert.equal(me.body, user, "Flask itself reads its session as logged in");
    return pair;
  }

  const clients: Array<[string, () => LegacyRedisBytesClient]> = [
    ["ioredis", () => ioredis],
    ["node-redis", () => nodeRedis as unknown as LegacyRedisBytesClient],
  ];
  for (const [name, client] of clients) {
    test(`${name}: the Flask-Login user moves to latchkey and the legacy key is deleted`, async () => {
      const user = `${name}-user`;
      const pair = await flaskLogin(flask, user);
      const sid = pair.slice("session=".length);
      // What Flask-Session stored is msgpack, and holds Flask-Login's user id.
      const stored = await ioredis.getBuffer(prefix + sid);
      assert.ok(stored, "Flask-Session stored the session under the prefix");
      assert.equal((decodeMsgpack(stored) as Record<string, unknown>)._user_id, user);

      const events: SessionEvent[] = [];
      const app = await latchkeyApp(flaskSessionRedisReader({ client: client(), prefix }), events);
      try {
        const first = await request(`${app.url}/me`, { cookie: pair });
        assert.deepEqual(JSON.parse(first.body), { userId: user, cart: ["book", "lamp"] });
        const cookies = first.setCookies.map(parseSetCookie);
        const latchkey = cookies.find((c) => c.name === "__Host-session");
        const legacy = cookies.find((c) => c.name === "session");
        assert.ok(latchkey && latchkey.value !== "", "latchkey's cookie is set");
        assert.equal(legacy?.value, "");
        assert.equal(legacy?.attributes.get("max-age"), "0");
        assert.ok(events.some((e) => e.type === "login" && e.userId === user));
        // The key is deleted once latchkey's session is stored.
        assert.equal(await ioredis.exists(prefix + sid), 0);

        const own = `__Host-session=${latchkey.value}`;
        const again = await request(`${app.url}/me`, { cookie: own });
        assert.deepEqual(JSON.parse(again.body), { userId: user, cart: ["book", "lamp"] });
        // A datetime before 1970, which msgspec stores as a 96-bit timestamp.
        const since = await request(`${app.url}/data/since`, { cookie: own });
        assert.equal(JSON.parse(since.body), "1969-07-20T20:17:40.000Z");

        // A copy of the old cookie finds nothing to import: anonymous, and no alarm (the
        // session is merely gone, as after a logout).
        const replay = await request(`${app.url}/me`, { cookie: pair });
        assert.deepEqual(JSON.parse(replay.body), { userId: null, cart: null });
        assert.equal(replay.setCookies.length, 0);
        assert.ok(!events.some((e) => e.type === "tampered"));
        // Flask agrees: its own session is gone.
        assert.equal((await request(`${flask.url}/me`, { cookie: pair })).body, "anonymous");
      } finally {
        await app.close();
      }
    });
  }

  test("ids that are not Flask-Session's are never looked up; unknown ones are anonymous", async () => {
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(flaskSessionRedisReader({ client: ioredis, prefix }), events);
    try {
      // A key outside the alphabet could reach another key under the prefix ("*", "../").
      await ioredis.set(
        `${prefix}x:y`,
        Buffer.from([0x81, 0xa8, ...Buffer.from("_user_id"), 0xa1, 0x31]),
      );
      for (const cookie of ["x:y", "*", "short", "A".repeat(200)]) {
        const reply = await request(`${app.url}/me`, { cookie: `session=${cookie}` });
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null }, cookie);
      }
      assert.deepEqual(
        events.map((e) => [e.type, e.reason]),
        Array(4).fill(["tampered", "malformed"]),
      );
      const unknown = await request(`${app.url}/me`, { cookie: `session=${"A".repeat(43)}` });
      assert.deepEqual(JSON.parse(unknown.body), { userId: null, cart: null });
      assert.equal(events.length, 4, "an unknown id is no tampering: it may simply have expired");
    } finally {
      await app.close();
    }
  });

  test("SESSION_USE_SIGNER: the signed id is verified with SECRET_KEY; a forged signature is refused", async () => {
    const pair = await flaskLogin(signedFlask, "signed-user");
    const value = pair.slice("session=".length);
    const dot = value.lastIndexOf(".");
    assert.ok(dot > 0, `Flask-Session signed the id: ${value}`);
    const [sid, signature] = [value.slice(0, dot), value.slice(dot + 1)];
    const events: SessionEvent[] = [];
    const reader = flaskSessionRedisReader({
      client: ioredis,
      prefix: signedPrefix,
      signerKey: SECRET_KEY,
    });
    const app = await latchkeyApp(reader, events);
    try {
      const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
      for (const forged of [`${sid}.${flipped}`, sid, `${sid.slice(1)}.${signature}`]) {
        const reply = await request(`${app.url}/me`, { cookie: `session=${forged}` });
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null }, forged);
      }
      assert.deepEqual(
        events.map((e) => [e.type, e.reason]),
        Array(3).fill(["tampered", "bad-mac"]),
      );
      assert.equal(await ioredis.exists(signedPrefix + sid), 1, "nothing was retired");
      const genuine = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(genuine.body), { userId: "signed-user", cart: ["book", "lamp"] });
      assert.equal(await ioredis.exists(signedPrefix + sid), 0);
    } finally {
      await app.close();
    }
  });

  test("SESSION_SERIALIZATION_FORMAT = json: the JSON session migrates as well", async () => {
    const jsonPrefix = `${runId("flask_json")}:session:`;
    const jsonFlask = await startFlaskApp({
      secretKey: SECRET_KEY,
      redis: { url: REDIS_URL, prefix: jsonPrefix, format: "json" },
    });
    const app = await latchkeyApp(flaskSessionRedisReader({ client: ioredis, prefix: jsonPrefix }));
    try {
      const pair = await flaskLogin(jsonFlask, "json-user");
      const sid = pair.slice("session=".length);
      const stored = await ioredis.get(jsonPrefix + sid);
      assert.equal(JSON.parse(stored ?? "null")._user_id, "json-user", "stored as JSON text");
      const reply = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(reply.body), { userId: "json-user", cart: ["book", "lamp"] });
      assert.equal(await ioredis.exists(jsonPrefix + sid), 0);
    } finally {
      await Promise.all([app.close(), jsonFlask.close()]);
      await dropRedisPrefix(REDIS_URL, jsonPrefix);
    }
  });
});
