// How withMigration expires the legacy cookie: a browser drops a `__Secure-`/`__Host-` cookie
// without Secure, the expiring one too, which left a signed legacy cookie in the jar to be
// imported again after a revocation (test/browser/cutover-flask.test.ts shows it in Chromium).
// Names that cannot work are refused at startup.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sessionMiddleware } from "../../packages/latchkey/src/adapters/fetch.ts";
import type { SessionHeaders } from "../../packages/latchkey/src/core/commit.ts";
import {
  createSessions,
  isLatchkeyError,
  LatchkeyError,
  type SessionEvent,
  type Store,
} from "../../packages/latchkey/src/index.ts";
import { type LegacyReader, withMigration } from "../../packages/latchkey/src/migrate/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { parseSetCookie } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

/** A reader whose cookie `name` holding "genuine" is alice's session. */
function readerFor(name: string): LegacyReader {
  return {
    cookieNames: [name],
    async read(cookies) {
      return cookies.get(name) === "genuine"
        ? { outcome: "found", session: { userId: "alice", data: {}, persistent: false } }
        : { outcome: "absent" };
    },
  };
}

function migrating(name: string, legacyCookie?: { path?: string; domain?: string }) {
  return withMigration(createSessions({ secrets: [testSecret()], store: memoryStore() }), {
    from: readerFor(name),
    legacyCookie,
  });
}

/** The Set-Cookie line expiring the legacy cookie on the request that migrates it. */
async function expiryLine(name: string, legacyCookie?: { path?: string; domain?: string }) {
  const sessions = migrating(name, legacyCookie);
  const session = await sessions.load({ cookie: `${name}=genuine` });
  assert.equal(session.userId, "alice");
  const headers = await sessions.commit(session);
  const lines = (headers?.alsoSetCookie ?? []).map(parseSetCookie);
  assert.equal(lines.length, 1);
  const line = lines[0] as ReturnType<typeof parseSetCookie>;
  assert.equal(line.name, name);
  assert.equal(line.value, "");
  assert.equal(line.attributes.get("max-age"), "0");
  return line;
}

describe("the legacy cookie's expiry", () => {
  const cases: Array<{ name: string; secure: boolean }> = [
    { name: "connect.sid", secure: false },
    { name: "session", secure: false },
    { name: "__Host-flask", secure: true },
    { name: "__Secure-sid", secure: true },
    // Browsers match the prefixes without regard to case.
    { name: "__host-sid", secure: true },
    { name: "__SECURE-sid", secure: true },
    // Not a prefix: no leading double underscore.
    { name: "_Host-sid", secure: false },
  ];
  for (const { name, secure } of cases) {
    it(`${name}: ${secure ? "Secure, as browsers demand of the prefix" : "as it was set"}`, async () => {
      const line = await expiryLine(name);
      assert.equal(line.attributes.has("secure"), secure);
      assert.equal(line.attributes.get("path"), "/");
      assert.equal(line.attributes.has("domain"), false);
    });
  }

  it("keeps the configured path and domain, which a __Secure- cookie may have", async () => {
    const line = await expiryLine("__Secure-sid", { path: "/app", domain: "example.com" });
    assert.equal(line.attributes.get("path"), "/app");
    assert.equal(line.attributes.get("domain"), "example.com");
    assert.equal(line.attributes.has("secure"), true);
  });

  it("refuses, at startup, a legacy cookie of latchkey's own name", () => {
    assert.throws(
      () => migrating("__Host-session"),
      (error) =>
        isLatchkeyError(error, "cookie-name-invalid") && /another name/.test(error.message),
    );
  });

  it("refuses, at startup, a __Host- legacy cookie with a path or a domain", () => {
    for (const legacyCookie of [{ path: "/app" }, { domain: "example.com" }]) {
      assert.throws(
        () => migrating("__Host-flask", legacyCookie),
        (error) => isLatchkeyError(error, "cookie-prefix-invalid"),
      );
    }
  });
});

/** A reader whose cookie `sid` holding a user's name is that user's session. */
function usersReader(companionCookieNames?: readonly string[]): LegacyReader {
  return {
    cookieNames: ["sid"],
    companionCookieNames,
    async read(cookies) {
      const user = cookies.get("sid");
      return user === "alice" || user === "bob"
        ? { outcome: "found", session: { userId: user, data: {}, persistent: false } }
        : { outcome: "absent" };
    },
  };
}

function usersMigrating(options: { companions?: string[]; alsoExpire?: string[] } = {}) {
  const events: SessionEvent[] = [];
  const sessions = withMigration(
    createSessions({
      secrets: [testSecret()],
      store: memoryStore(),
      onEvent: (event) => events.push(event),
    }),
    { from: usersReader(options.companions), alsoExpire: options.alsoExpire },
  );
  return { sessions, events };
}

/** The names a commit's extra Set-Cookie lines expire. */
function expiredNames(headers: SessionHeaders | null): string[] {
  return (headers?.alsoSetCookie ?? [])
    .map(parseSetCookie)
    .filter((line) => line.value === "" && line.attributes.get("max-age") === "0")
    .map((line) => line.name)
    .sort();
}

describe("companion cookies (Flask-Login's remember_token)", () => {
  it("are expired with the session cookie when it moves, never read", async () => {
    const { sessions } = usersMigrating({
      companions: ["remember_token"],
      alsoExpire: ["legacy_csrf"],
    });
    // Two remember_token cookies are no ambiguity: companions are not read.
    const cookie = "sid=alice; remember_token=1|abc; remember_token=2|def; legacy_csrf=x";
    const session = await sessions.load({ cookie });
    assert.equal(session.userId, "alice");
    const headers = await sessions.commit(session);
    assert.deepEqual(expiredNames(headers), ["legacy_csrf", "remember_token", "sid"]);

    // A companion alone moves nothing: no session, no write, no cookie.
    const alone = await sessions.load({ cookie: "remember_token=1|abc" });
    assert.equal(alone.userId, null);
    assert.equal(await sessions.commit(alone), null);
  });

  it("are refused at startup under latchkey's own cookie name, or one no cookie can have", () => {
    for (const name of ["__Host-session", "remember token", "a;b"]) {
      assert.throws(
        () => usersMigrating({ alsoExpire: [name] }),
        (error) => isLatchkeyError(error, "cookie-name-invalid"),
        name,
      );
    }
  });
});

describe("a legacy cookie next to latchkey's", () => {
  /** bob's latchkey cookie, from a migration of his legacy cookie. */
  async function bobsCookie(sessions: ReturnType<typeof usersMigrating>["sessions"]) {
    const session = await sessions.load({ cookie: "sid=bob" });
    const headers = await sessions.commit(session);
    assert.ok(headers !== null);
    return headers.setCookie.split(";", 1)[0] ?? "";
  }

  it("of another user is never imported over a valid session, and expires with its logout", async () => {
    const { sessions, events } = usersMigrating();
    const bob = await bobsCookie(sessions);
    events.length = 0;
    const session = await sessions.load({ cookie: `${bob}; sid=alice` });
    assert.equal(session.userId, "bob", "latchkey's session wins");
    assert.equal(await sessions.commit(session), null, "nothing changed, nothing written");
    assert.ok(!events.some((e) => e.type === "login"), "alice was not logged in");

    const leaving = await sessions.load({ cookie: `${bob}; sid=alice` });
    await leaving.logout();
    const headers = await sessions.commit(leaving);
    assert.deepEqual(expiredNames(headers), ["sid"], "the logout expires the leftover too");
  });

  it("is not imported when latchkey's cookie has ended (revoked): no revocation undone", async () => {
    const { sessions, events } = usersMigrating();
    const bob = await bobsCookie(sessions);
    await sessions.revokeUser("bob");
    events.length = 0;
    // A leftover legacy cookie (an old instance answered during a rolling deploy).
    const session = await sessions.load({ cookie: `${bob}; sid=bob` });
    assert.equal(session.userId, null, "bob stays signed out");
    assert.ok(!events.some((e) => e.type === "login"));
    // Nothing to send yet; the ended latchkey cookie keeps the leftover from being read.
    assert.equal(await sessions.commit(session), null);
    // The sign-in that follows sets latchkey's cookie and expires the leftover with it.
    const signingIn = await sessions.load({ cookie: `${bob}; sid=bob` });
    await signingIn.login("bob");
    assert.deepEqual(expiredNames(await sessions.commit(signingIn)), ["sid"]);
  });
});

describe("a legacy store that is down", () => {
  it("is a 503 without a cookie, reported by a safe code, never the session id", async () => {
    const events: SessionEvent[] = [];
    const sessions = withMigration(
      createSessions({
        secrets: [testSecret()],
        store: memoryStore(),
        onEvent: (event) => events.push(event),
      }),
      {
        from: {
          cookieNames: ["sid"],
          async read(cookies) {
            // As drivers do: the key, here the legacy session id, in the message.
            const error = new Error(`connect ECONNREFUSED while GET sess:${cookies.get("sid")}`);
            throw Object.assign(error, { code: "ECONNREFUSED" });
          },
        },
      },
    );
    const secretSid = "s%3Athe-legacy-session-id.signature";
    await assert.rejects(
      sessions.load({ cookie: `sid=${secretSid}` }),
      (error) =>
        isLatchkeyError(error, "store-unavailable") &&
        !error.message.includes("the-legacy-session-id"),
    );
    const handler = sessionMiddleware(sessions, async () => new Response("signed in"));
    const response = await handler(
      new Request("https://app.example/", { headers: { cookie: `sid=${secretSid}` } }),
    );
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("set-cookie"), null);
    const reported = events.filter((e) => e.type === "store-unavailable");
    assert.equal(reported.length, 2);
    for (const event of reported) {
      assert.equal(event.reason, "migrate-read");
      assert.equal(event.cause, "ECONNREFUSED");
      assert.ok(!JSON.stringify(event).includes("the-legacy-session-id"));
    }
  });
});

/**
 * An app migrating a legacy `sid` cookie that is always ada's session, its import marks in
 * `marks` (default: the app's own store); `visit()` sends one request carrying that cookie.
 */
function importingAda(store: Store, marks?: Store) {
  const events: SessionEvent[] = [];
  const sessions = withMigration(
    createSessions({ secrets: [testSecret()], store, onEvent: (event) => events.push(event) }),
    {
      marks,
      from: {
        cookieNames: ["sid"],
        async read() {
          return { outcome: "found", session: { userId: "ada", data: {}, persistent: false } };
        },
      },
    },
  );
  const handler = sessionMiddleware(sessions, async () => new Response("signed in"));
  const visit = () =>
    handler(new Request("https://app.example/", { headers: { cookie: "sid=legacy" } }));
  return { events, visit };
}

describe("latchkey's own store down while a legacy cookie is checked against its marks", () => {
  it("fails closed through the engine's store: a 503, one store-unavailable event, nothing imported", async () => {
    const store = memoryStore();
    store.revokedSince = async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    };
    const { events, visit } = importingAda(store);
    const response = await visit();
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("set-cookie"), null);
    const reported = events.filter((e) => e.type === "store-unavailable");
    assert.equal(reported.length, 1, JSON.stringify(reported));
    assert.equal(reported[0]?.reason, "revokedSince");
    assert.equal(reported[0]?.cause, "ECONNREFUSED");
    assert.ok(!events.some((e) => e.type === "login"));
  });
});

describe("a store given as `marks` that throws store-unavailable itself", () => {
  it("is reported once as migrate-mark (only latchkey's own store reports its own failures)", async () => {
    const marks = memoryStore();
    // As sqliteStore does on a lock it waited out: the store's own store-unavailable error.
    marks.revokedSince = async () => {
      throw new LatchkeyError("store-unavailable", "locked by another connection");
    };
    const { events, visit } = importingAda(memoryStore(), marks);
    const response = await visit();
    assert.equal(response.status, 503);
    const reported = events.filter((e) => e.type === "store-unavailable");
    assert.equal(reported.length, 1, JSON.stringify(reported));
    assert.equal(reported[0]?.reason, "migrate-mark");
    assert.ok(!events.some((e) => e.type === "login"));
  });
});
