// From Flask's default signed cookie session (Flask-Login) to latchkey, over HTTP with real
// Flask: the Flask app logs users in, the latchkey app receives the browser's next request
// carrying Flask's cookie. A cookie that does not verify under the legacy SECRET_KEY (altered,
// or signed with another key) leaves the request anonymous.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createSessions, type SessionEvent } from "../../packages/latchkey/src/index.ts";
import { flaskCookieReader, withMigration } from "../../packages/latchkey/src/migrate/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { parseSetCookie, type RunningServer, request } from "../helpers/http.ts";
import { ensurePython } from "../helpers/python.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipReason } from "../stores/support/services.ts";
import { cookiePair, startFlaskApp } from "./flask-app.ts";
import { latchkeyApp } from "./legacy-apps.ts";

const SECRET_KEY = "the Flask app's SECRET_KEY, long enough";
const OTHER_KEY = "another Flask app's SECRET_KEY, long enough";

const python = ensurePython({ flask: "flask", flask_login: "flask-login" });
const skip = skipReason(python.ok ? null : `python3/Flask-Login not reachable: ${python.reason}`);

describe("migrating from Flask's signed cookie session (Flask-Login)", {
  skip: skip ?? false,
}, () => {
  let flask: RunningServer;
  let otherFlask: RunningServer;
  before(async () => {
    [flask, otherFlask] = await Promise.all([
      startFlaskApp({ secretKey: SECRET_KEY }),
      startFlaskApp({ secretKey: OTHER_KEY }),
    ]);
  });
  after(async () => {
    await Promise.all([flask?.close(), otherFlask?.close()]);
  });

  /** Logs `user` in on a Flask app; answers its `session=…` pair, checked by Flask itself. */
  async function flaskLogin(app: RunningServer, query: string): Promise<string> {
    const reply = await request(`${app.url}/login?${query}`, { method: "POST" });
    assert.equal(reply.status, 200, reply.body);
    const pair = cookiePair(reply.setCookies, "session");
    const me = await request(`${app.url}/me`, { cookie: pair });
    assert.notEqual(me.body, "anonymous", "Flask itself reads its cookie as logged in");
    return pair;
  }

  test("Flask-Login's user is logged in on latchkey; latchkey's cookie set, Flask's expired", async () => {
    const pair = await flaskLogin(flask, "user=42&permanent=1&remember=1");
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(flaskCookieReader({ secretKey: SECRET_KEY }), events);
    try {
      const first = await request(`${app.url}/me`, { cookie: pair });
      assert.equal(first.status, 200);
      assert.deepEqual(JSON.parse(first.body), { userId: "42", cart: ["book", "lamp"] });
      const cookies = first.setCookies.map(parseSetCookie);
      const latchkey = cookies.find((c) => c.name === "__Host-session");
      const legacy = cookies.find((c) => c.name === "session");
      assert.ok(latchkey && latchkey.value !== "", "latchkey's cookie is set");
      assert.ok(legacy, "Flask's cookie is answered");
      assert.equal(legacy.value, "");
      assert.equal(legacy.attributes.get("max-age"), "0");
      assert.equal(legacy.attributes.get("path"), "/");
      // session.permanent = True in Flask: latchkey's cookie outlives the browser too.
      assert.ok(latchkey.attributes.has("max-age"));
      assert.ok(events.some((e) => e.type === "login" && e.userId === "42"));
      assert.ok(!events.some((e) => e.type === "tampered"));

      // From now on the browser sends latchkey's cookie: the same user and data.
      const own = `__Host-session=${latchkey.value}`;
      const second = await request(`${app.url}/me`, { cookie: own });
      assert.deepEqual(JSON.parse(second.body), { userId: "42", cart: ["book", "lamp"] });
      // Flask's datetime (an HTTP date in its tagged JSON) arrives as ISO text.
      const since = await request(`${app.url}/data/since`, { cookie: own });
      assert.equal(JSON.parse(since.body), "1969-07-20T20:17:40.000Z");
      // Flask-Login's bookkeeping is not application data.
      for (const key of ["_user_id", "_fresh", "_id", "_remember", "_permanent"]) {
        const value = await request(`${app.url}/data/${key}`, { cookie: own });
        assert.equal(JSON.parse(value.body), null, key);
      }
    } finally {
      await app.close();
    }
  });

  test("Flask-Login's remember_token is expired (never read) with the session; rememberCookie: false keeps it", async () => {
    const reply = await request(`${flask.url}/login?user=42&remember=1`, { method: "POST" });
    const cookie = `${cookiePair(reply.setCookies, "session")}; ${cookiePair(reply.setCookies, "remember_token")}`;
    const expiredBy = async (reader: ReturnType<typeof flaskCookieReader>) => {
      const sessions = withMigration(
        createSessions({ secrets: [testSecret()], store: memoryStore() }),
        { from: reader },
      );
      const session = await sessions.load({ cookie });
      assert.equal(session.userId, "42");
      const headers = await sessions.commit(session);
      return (headers?.alsoSetCookie ?? [])
        .map(parseSetCookie)
        .filter((c) => c.value === "" && c.attributes.get("max-age") === "0")
        .map((c) => `${c.name} ${c.attributes.get("path")}`)
        .sort();
    };
    assert.deepEqual(await expiredBy(flaskCookieReader({ secretKey: SECRET_KEY })), [
      "remember_token /",
      "session /",
    ]);
    assert.deepEqual(
      await expiredBy(flaskCookieReader({ secretKey: SECRET_KEY, rememberCookie: false })),
      ["session /"],
    );
  });

  test("a copy of Flask's cookie is imported once by default; with marks: false it signs in again after logout and revokeUser, until maxAge (docs/migrating.md)", async () => {
    // The browser's copy is expired at migration, but a copy kept elsewhere (stolen, or a second
    // browser profile) still verifies under the legacy key. By default latchkey's own store
    // remembers each imported cookie (its hash), so the copy is refused.
    const pair = await flaskLogin(flask, "user=42");
    const replayAfterLogout = async (sessions: ReturnType<typeof withMigration>) => {
      const migrated = await sessions.load({ cookie: pair });
      assert.equal(migrated.userId, "42");
      const own = (await sessions.commit(migrated))?.setCookie.split(";", 1)[0] ?? "";
      const leaving = await sessions.load({ cookie: own });
      await leaving.logout();
      await sessions.commit(leaving);
      await sessions.revokeUser("42");
      return (await sessions.load({ cookie: pair })).userId;
    };
    const guarded = withMigration(
      createSessions({ secrets: [testSecret()], store: memoryStore() }),
      { from: flaskCookieReader({ secretKey: SECRET_KEY }) },
    );
    assert.equal(await replayAfterLogout(guarded), null, "imported once: the copy is refused");

    // Opting out of the marks: the documented limit of stateless legacy cookies.
    const unguarded = withMigration(
      createSessions({ secrets: [testSecret()], store: memoryStore() }),
      { from: flaskCookieReader({ secretKey: SECRET_KEY }), marks: false },
    );
    assert.equal(await replayAfterLogout(unguarded), "42", "without marks the copy signs in again");

    // A short maxAge (PERMANENT_SESSION_LIFETIME) bounds it: an older copy is no session.
    await sleep(2_100);
    const events: SessionEvent[] = [];
    const bounded = withMigration(
      createSessions({
        secrets: [testSecret()],
        store: memoryStore(),
        onEvent: (e) => events.push(e),
      }),
      { from: flaskCookieReader({ secretKey: SECRET_KEY, maxAge: 1 }) },
    );
    const late = await bounded.load({ cookie: pair });
    assert.equal(late.userId, null);
    assert.equal(await bounded.commit(late), null);
    assert.ok(!events.some((e) => e.type === "login" || e.type === "tampered"));
  });

  test("a session that was not permanent in Flask gets a browser-session cookie", async () => {
    const pair = await flaskLogin(flask, "user=7");
    const app = await latchkeyApp(flaskCookieReader({ secretKey: SECRET_KEY }));
    try {
      const reply = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(reply.body), { userId: "7", cart: ["book", "lamp"] });
      const latchkey = reply.setCookies
        .map(parseSetCookie)
        .find((c) => c.name === "__Host-session");
      assert.ok(latchkey && latchkey.value !== "");
      assert.ok(!latchkey.attributes.has("max-age"));
      assert.ok(!latchkey.attributes.has("expires"));
    } finally {
      await app.close();
    }
  });

  test("a tampered Flask cookie is refused: anonymous, a tampered event, no cookie set", async () => {
    const pair = await flaskLogin(flask, "user=43");
    const value = pair.slice("session=".length);
    const compressed = value.startsWith(".");
    const parts = (compressed ? value.slice(1) : value).split(".");
    assert.equal(parts.length, 3, value);
    const [payload, timestamp, signature] = parts as [string, string, string];
    const flip = (s: string, at: number) =>
      s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
    const admin = Buffer.from(JSON.stringify({ _user_id: "1" })).toString("base64url");
    const dot = compressed ? "." : "";
    const forgeries = [
      `${dot}${payload}.${timestamp}.${flip(signature, 3)}`, // the signature altered
      `${dot}${flip(payload, 5)}.${timestamp}.${signature}`, // the payload altered
      `${admin}.${timestamp}.${signature}`, // another user's payload under the signature
      `${dot}${payload}.${flip(timestamp, 1)}.${signature}`, // the timestamp altered
      `${dot}${payload}.${timestamp}`, // no signature
      `${dot}${payload}.${timestamp}.${signature}A`, // the signature extended
    ];
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(flaskCookieReader({ secretKey: SECRET_KEY }), events);
    try {
      for (const forged of forgeries) {
        const reply = await request(`${app.url}/me`, { cookie: `session=${forged}` });
        assert.equal(reply.status, 200);
        assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null }, forged);
        assert.equal(reply.setCookies.length, 0, forged);
      }
      const tampered = events.filter((e) => e.type === "tampered");
      assert.equal(tampered.length, forgeries.length);
      assert.ok(!events.some((e) => e.type === "login"));
      // The genuine cookie was not spoiled by the attempts: it still migrates.
      const genuine = await request(`${app.url}/me`, { cookie: pair });
      assert.deepEqual(JSON.parse(genuine.body), { userId: "43", cart: ["book", "lamp"] });
    } finally {
      await app.close();
    }
  });

  test("a cookie another app signed with its own SECRET_KEY is refused; as a fallback key it opens", async () => {
    const foreign = await flaskLogin(otherFlask, "user=99&permanent=1");
    const events: SessionEvent[] = [];
    const app = await latchkeyApp(flaskCookieReader({ secretKey: SECRET_KEY }), events);
    try {
      const reply = await request(`${app.url}/me`, { cookie: foreign });
      assert.deepEqual(JSON.parse(reply.body), { userId: null, cart: null });
      assert.equal(reply.setCookies.length, 0);
      assert.deepEqual(
        events.map((e) => [e.type, e.reason]),
        [["tampered", "bad-mac"]],
      );
    } finally {
      await app.close();
    }
    // SECRET_KEY_FALLBACKS: the key the cookie was signed with, kept after a rotation.
    const rotated = await latchkeyApp(
      flaskCookieReader({ secretKey: SECRET_KEY, fallbacks: [OTHER_KEY] }),
    );
    try {
      const reply = await request(`${rotated.url}/me`, { cookie: foreign });
      assert.deepEqual(JSON.parse(reply.body), { userId: "99", cart: ["book", "lamp"] });
    } finally {
      await rotated.close();
    }
  });
});
