// The memory store stays bounded without hurting the users who matter: a flood of cookieless
// visitors evicts anonymous sessions, not a logged-in one; revocation marks cost the same per
// mark at 100,000 as at 1, stay under their cap, and are never un-revoked by it.
import assert from "node:assert/strict";
import { Agent, request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { revocationMarks } from "../../packages/latchkey/src/stores/memory-marks.ts";
import type { StoredSession } from "../../packages/latchkey/src/stores/types.ts";
import { CookieJar, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { startApp, type Values } from "./support/app.ts";

const COOKIE = "__Host-session";

function entry(userId: string | null): StoredSession {
  const now = Date.now();
  return {
    secretHash: "h",
    meta: {
      sid: "s",
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + 3_600_000,
      userId,
      authTime: userId === null ? null : now,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: {},
  };
}

/** POSTs `path` without a cookie `count` times, `parallel` at a time, on kept-alive sockets. */
async function cookielessFlood(url: string, path: string, count: number, parallel: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: parallel });
  let sent = 0;
  let created = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      const setsCookie = await new Promise<boolean>((resolve, reject) => {
        const req = httpRequest(`${url}${path}`, { method: "POST", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200 && "set-cookie" in res.headers));
        });
        req.on("error", reject);
        req.end();
      });
      if (setsCookie) created++;
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    agent.destroy();
  }
  return created;
}

describe("memoryStore: anonymous sessions go first", () => {
  it("20,000 cookieless session-creating requests leave a logged-in session intact (real app, defaults)", async () => {
    const sessions = createSessions<Values>({ secrets: [testSecret()], store: memoryStore() });
    const server = await startApp(sessions);
    try {
      const jar = new CookieJar(COOKIE);
      const login = await request(`${server.url}/login?user=alice`, { method: "POST" });
      jar.take(login);
      assert.equal(login.status, 200);
      const created = await cookielessFlood(server.url, "/set?key=visited&value=1", 20_000, 16);
      assert.equal(created, 20_000, "every cookieless request created a session");
      const after = await request(`${server.url}/read`, { cookie: jar.header });
      assert.equal(after.status, 200);
      assert.equal(JSON.parse(after.body).userId, "alice", "alice is still logged in");
    } finally {
      await server.close();
      await sessions.close();
    }
  });

  it("anonymous sessions are capped on their own; logged-in ones fill the rest", async () => {
    const store = memoryStore({ maxSessions: 10, maxAnonymousSessions: 4 });
    for (let i = 0; i < 5; i++) await store.create(`user-${i}`, entry(`u${i}`));
    for (let i = 0; i < 20; i++) await store.create(`anon-${i}`, entry(null));
    for (let i = 0; i < 5; i++) assert.ok(await store.get(`user-${i}`), `user-${i} kept`);
    for (let i = 0; i < 16; i++) assert.equal(await store.get(`anon-${i}`), null);
    for (let i = 16; i < 20; i++) assert.ok(await store.get(`anon-${i}`), `anon-${i} kept`);
    // A logged-in newcomer at the total cap evicts an anonymous session before any user's.
    for (let i = 5; i < 7; i++) await store.create(`user-${i}`, entry(`u${i}`));
    for (let i = 0; i < 7; i++) assert.ok(await store.get(`user-${i}`), `user-${i} kept`);
    assert.equal(await store.get("anon-16"), null, "the least recently used anonymous one went");
  });

  it("with only logged-in sessions at the cap, the least recently used one goes", async () => {
    const store = memoryStore({ maxSessions: 3, maxAnonymousSessions: 1 });
    for (let i = 0; i < 3; i++) await store.create(`user-${i}`, entry(`u${i}`));
    await store.get("user-0"); // used: user-1 is now the least recently used
    for (let i = 0; i < 5; i++) await store.create(`anon-${i}`, entry(null));
    assert.equal(await store.get("user-1"), null, "the first anonymous newcomer made room");
    assert.ok(await store.get("user-0"));
    assert.ok(await store.get("user-2"), "later anonymous newcomers evict anonymous ones only");
  });

  it("a session that logs in by update() counts as logged in from then on", async () => {
    const store = memoryStore({ maxSessions: 10, maxAnonymousSessions: 2 });
    await store.create("promoted", entry(null));
    await store.update("promoted", { meta: { userId: "bob" } });
    for (let i = 0; i < 10; i++) await store.create(`anon-${i}`, entry(null));
    assert.equal((await store.get("promoted"))?.meta.userId, "bob");
  });

  it("maxAnonymousSessions must be a positive integer no larger than maxSessions", () => {
    for (const options of [
      { maxAnonymousSessions: 0 },
      { maxAnonymousSessions: 1.5 },
      { maxSessions: 10, maxAnonymousSessions: 11 },
      { maxRevocationMarks: 0 },
    ]) {
      assert.throws(() => memoryStore(options), { code: "config-invalid" });
    }
  });
});

describe("memoryStore: revocation marks", () => {
  it("100,000 marks: the cost per mark stays flat and the count stays at the cap", async () => {
    const store = memoryStore({ maxRevocationMarks: 10_000 });
    const now = Date.now();
    const batch = 10_000;
    const millis: number[] = [];
    for (let b = 0; b < 10; b++) {
      const start = performance.now();
      for (let i = 0; i < batch; i++) {
        const n = b * batch + i;
        await store.markRevoked(`s:${String(n).padStart(43, "0")}`, now + n, now + 3_600_000 + n);
      }
      millis.push(performance.now() - start);
    }
    const firstHalf = Math.min(...millis.slice(0, 5));
    const secondHalf = Math.min(...millis.slice(5));
    // A scan of every mark per write (the old behaviour) makes the last batches ~100× slower than
    // the first; a constant cost keeps them alike. The bound leaves room for a busy machine.
    assert.ok(
      secondHalf < firstHalf * 4 + 50,
      `per-batch ms ${millis.map((m) => m.toFixed(0)).join(", ")}`,
    );
    const latest = `s:${String(99_999).padStart(43, "0")}`;
    assert.equal(
      await store.revokedSince([latest]),
      now + 99_999,
      "the newest mark answers exactly",
    );
    const marks = revocationMarks(10_000);
    for (let n = 0; n < 100_000; n++) marks.mark(`s:${n}`, n, 10_000_000 + n, 0);
    assert.equal(marks.size, 10_000, "never more marks than the cap");
  });

  it("a mark is remembered exactly until its until, while live marks fit the cap", () => {
    const span = 1_000;
    const marks = revocationMarks(1_100);
    // One mark per time unit, each living `span`: about `span` marks are live at any moment.
    for (let t = 0; t < 20_000; t++) {
      marks.mark(`s:${t}`, t, t + span, t);
      if (t % 97 === 0) {
        for (const probe of [t, t - span + 1, t - Math.floor(span / 2)]) {
          if (probe >= 0) assert.equal(marks.latest([`s:${probe}`]), probe, `s:${probe} at ${t}`);
        }
        assert.equal(marks.latest([`s:unrelated`]), 0, "no floor was raised: nothing forced out");
      }
    }
    assert.ok(marks.size <= span + 2, `expired marks are dropped as new ones come (${marks.size})`);
  });

  it("a mark the cap forces out while still needed becomes a floor for its kind: over-revoke, never un-revoke", () => {
    const marks = revocationMarks(100);
    for (let n = 0; n < 150; n++) marks.mark(`s:${n}`, 1_000 + n, 1_000_000, 1_000);
    marks.mark("u:alice", 5_000, 1_000_000, 1_000);
    // s:0 … s:50 were forced out (the u: mark pushed one more); each still reads as revoked.
    for (let n = 0; n <= 50; n++) assert.ok(marks.latest([`s:${n}`]) >= 1_000 + n, `s:${n}`);
    assert.equal(marks.latest(["s:never-marked"]), 1_050, "older s: sessions count as revoked");
    assert.equal(marks.latest(["u:bob"]), 0, "other kinds of key are not touched");
    assert.equal(marks.latest(["u:alice"]), 5_000);
    assert.equal(marks.latest(["s:149"]), 1_149, "marks still held answer exactly");
  });

  it("a mark written again moves to the back and keeps its latest time", () => {
    const marks = revocationMarks(3);
    marks.mark("*", 10, 100, 0);
    marks.mark("s:a", 20, 100, 0);
    marks.mark("*", 5, 200, 0); // an earlier time never lowers a mark
    marks.mark("s:b", 30, 100, 0);
    marks.mark("s:c", 40, 100, 0); // forces out s:a, not "*"
    assert.equal(marks.latest(["*"]), 10);
    assert.equal(marks.latest(["s:a"]), 20, "s:a answers through the s: floor");
    assert.equal(marks.latest(["s:z"]), 20);
  });
});
