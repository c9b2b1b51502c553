// Revocation, session limits, step-up and the User-Agent signal, through a real Express app.
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import express from "express";
import { sessionMiddleware } from "../../packages/latchkey/src/adapters/express.ts";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
  type SessionsOptions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { CookieJar, listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const clock = fakeClock();
const events: SessionEvent[] = [];
const servers: RunningServer[] = [];

async function app(options: Partial<SessionsOptions> = {}) {
  const sessions: Sessions = createSessions({
    secrets: [testSecret()],
    store: memoryStore(),
    now: clock.now,
    onEvent: (e) => events.push(e),
    ...options,
  });
  const a = express();
  a.use(sessionMiddleware(sessions));
  a.post("/login", async (req, res, next) => {
    try {
      await req.session.login(String(req.query.user));
      res.json({ userId: req.session.userId });
    } catch (error) {
      next(error);
    }
  });
  a.get("/me", (req, res) => {
    res.json({
      userId: req.session.userId,
      ref: req.session.ref,
      fresh: req.session.isFresh("5m"),
    });
  });
  a.get("/devices", async (req, res) => {
    res.json(await sessions.listSessions(req.session.userId as string, req.session));
  });
  a.post("/revoke-others", async (req, res) => {
    res.json({ removed: await sessions.revokeOthers(req.session) });
  });
  a.post("/reauth", async (req, res) => {
    await req.session.reauthenticate();
    res.json({ fresh: req.session.isFresh("5m") });
  });
  a.use(
    (
      error: { code?: string },
      _q: express.Request,
      res: express.Response,
      _n: express.NextFunction,
    ) => {
      res.status(409).json({ error: error.code });
    },
  );
  const server = await listen(a as never);
  servers.push(server);
  return { sessions, server };
}

async function loginAs(server: RunningServer, user: string, userAgent = "browser-a") {
  const jar = new CookieJar("__Host-session");
  const reply = await request(`${server.url}/login?user=${user}`, {
    method: "POST",
    headers: { "user-agent": userAgent },
  });
  jar.take(reply);
  return { jar, reply };
}

async function me(server: RunningServer, jar: CookieJar, userAgent = "browser-a") {
  const reply = await request(`${server.url}/me`, {
    cookie: jar.header,
    headers: { "user-agent": userAgent },
  });
  return JSON.parse(reply.body) as { userId: string | null; ref: string | null; fresh: boolean };
}

beforeEach(() => {
  events.length = 0;
});
after(async () => {
  for (const s of servers) await s.close();
});

describe("revocation", () => {
  it("lists a user's sessions with metadata and the current flag, never a token", async () => {
    const { server } = await app();
    const laptop = await loginAs(server, "alice", "Laptop/1.0");
    const phone = await loginAs(server, "alice", "Phone/2.0");
    await loginAs(server, "bob");
    const reply = await request(`${server.url}/devices`, {
      cookie: laptop.jar.header,
      headers: { "user-agent": "Laptop/1.0" },
    });
    const list = JSON.parse(reply.body) as Array<{
      ref: string;
      userAgent: string;
      current: boolean;
      createdAt: number;
      lastSeenAt: number;
      expiresAt: number;
    }>;
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((s) => s.userAgent).sort(), ["Laptop/1.0", "Phone/2.0"]);
    assert.deepEqual(
      list.filter((s) => s.current).map((s) => s.userAgent),
      ["Laptop/1.0"],
    );
    for (const s of list)
      assert.ok(s.createdAt > 0 && s.lastSeenAt > 0 && s.expiresAt > s.lastSeenAt);
    for (const token of [laptop.jar.value, phone.jar.value]) {
      for (const part of (token as string).split(".")) assert.ok(!reply.body.includes(part));
    }
  });

  it("revoke(ref) ends exactly that session", async () => {
    const { server, sessions } = await app();
    const laptop = await loginAs(server, "alice");
    const phone = await loginAs(server, "alice");
    const { ref } = await me(server, phone.jar);
    assert.equal(await sessions.revoke(ref as string), true);
    assert.equal(await sessions.revoke(ref as string), false, "already gone");
    assert.equal((await me(server, phone.jar)).userId, null);
    assert.equal((await me(server, laptop.jar)).userId, "alice");
  });

  it("revokeUser ends every session of that user and no other", async () => {
    const { server, sessions } = await app();
    const a1 = await loginAs(server, "alice");
    const a2 = await loginAs(server, "alice");
    const b = await loginAs(server, "bob");
    assert.equal(await sessions.revokeUser("alice"), 2);
    assert.equal((await me(server, a1.jar)).userId, null);
    assert.equal((await me(server, a2.jar)).userId, null);
    assert.equal((await me(server, b.jar)).userId, "bob");
    assert.ok(
      events.some((e) => e.type === "revoked" && e.reason === "user" && e.userId === "alice"),
    );
  });

  it("revokeOthers keeps the asking session under a new cookie and ends the user's other ones", async () => {
    const { server } = await app();
    const keep = await loginAs(server, "alice");
    const other = await loginAs(server, "alice");
    const bob = await loginAs(server, "bob");
    const copy = new CookieJar("__Host-session");
    copy.value = keep.jar.value;
    const reply = await request(`${server.url}/revoke-others`, {
      method: "POST",
      cookie: keep.jar.header,
      headers: { "user-agent": "browser-a" },
    });
    keep.jar.take(reply);
    assert.equal(JSON.parse(reply.body).removed, 1);
    assert.notEqual(keep.jar.value, copy.value, "the response carries a new cookie");
    assert.equal((await me(server, keep.jar)).userId, "alice");
    assert.equal((await me(server, copy)).userId, null, "a copy of the old cookie");
    assert.equal((await me(server, other.jar)).userId, null);
    assert.equal((await me(server, bob.jar)).userId, "bob");
  });

  it("revokeAll ends everybody's session", async () => {
    const { server, sessions } = await app();
    const a = await loginAs(server, "alice");
    const b = await loginAs(server, "bob");
    await sessions.revokeAll();
    assert.equal((await me(server, a.jar)).userId, null);
    assert.equal((await me(server, b.jar)).userId, null);
  });
});

describe("maxSessionsPerUser", () => {
  it("evict-oldest ends the oldest session when a login goes over the limit", async () => {
    const { server } = await app({ maxSessionsPerUser: 2 });
    const first = await loginAs(server, "alice");
    clock.advance(1);
    const second = await loginAs(server, "alice");
    clock.advance(1);
    const third = await loginAs(server, "alice");
    assert.equal((await me(server, first.jar)).userId, null);
    assert.equal((await me(server, second.jar)).userId, "alice");
    assert.equal((await me(server, third.jar)).userId, "alice");
    assert.ok(events.some((e) => e.type === "revoked" && e.reason === "session-limit"));
  });

  it("refuse rejects the login beyond the limit with session-limit", async () => {
    const { server } = await app({ maxSessionsPerUser: { limit: 1, policy: "refuse" } });
    const first = await loginAs(server, "alice");
    const second = await loginAs(server, "alice");
    assert.equal(second.reply.status, 409);
    assert.equal(JSON.parse(second.reply.body).error, "session-limit");
    assert.deepEqual(second.reply.setCookies, []);
    assert.equal((await me(server, first.jar)).userId, "alice");
  });
});

describe("step-up", () => {
  it("isFresh follows the auth time; reauthenticate rotates the token and refreshes it", async () => {
    const { server } = await app();
    const { jar } = await loginAs(server, "alice");
    assert.equal((await me(server, jar)).fresh, true);
    clock.advance(6 * MINUTE);
    assert.equal((await me(server, jar)).fresh, false);
    const before = jar.value as string;
    const reply = await request(`${server.url}/reauth`, {
      method: "POST",
      cookie: jar.header,
      headers: { "user-agent": "browser-a" },
    });
    assert.equal(JSON.parse(reply.body).fresh, true);
    jar.take(reply);
    assert.notEqual(jar.value, before);
    assert.equal((await me(server, new CookieJar("__Host-session"))).userId, null);
    const stale = new CookieJar("__Host-session");
    stale.value = before;
    assert.equal((await me(server, stale)).userId, null, "the pre-step-up token is dead");
    assert.equal((await me(server, jar)).fresh, true);
  });
});

describe("User-Agent binding", () => {
  it("reports a changed User-Agent and keeps the session by default", async () => {
    const { server } = await app();
    const { jar } = await loginAs(server, "alice", "Firefox/1");
    assert.equal((await me(server, jar, "curl/8")).userId, "alice");
    assert.ok(events.some((e) => e.type === "user-agent-changed" && e.userId === "alice"));
  });

  it('"end" ends the session on a changed User-Agent', async () => {
    const { server } = await app({ userAgentBinding: "end" });
    const { jar } = await loginAs(server, "alice", "Firefox/1");
    assert.equal((await me(server, jar, "curl/8")).userId, null);
    assert.equal((await me(server, jar, "Firefox/1")).userId, null, "and it stays ended");
  });
});
