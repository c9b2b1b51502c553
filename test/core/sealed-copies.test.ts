// What happens to copies of a sealed cookie when the session is replaced or ended. With a
// revocation store they stop working at once, for every method; without one they cannot be ended,
// and every method says so in its result, and production startup warns.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import {
  type CredentialChange,
  createSessions,
  LatchkeyError,
  type Session,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
const clock = fakeClock();

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

function sealed(withRevocation: boolean): Sessions {
  return createSessions({
    secrets: [testSecret()],
    store: cookieStore(withRevocation ? { revocation: memoryStore() } : {}),
    now: clock.now,
  });
}

async function loggedIn(sessions: Sessions, userId = "alice"): Promise<string> {
  const session = await sessions.load({});
  await session.login(userId);
  return cookieOf((await sessions.commit(session))?.setCookie) as string;
}

const open = (sessions: Sessions, cookie: string) =>
  sessions.load({ cookie: `${COOKIE}=${cookie}` });

type Method = "logout" | "login" | "rotate" | "reauthenticate";
const act: Record<Method, (session: Session) => Promise<CredentialChange>> = {
  logout: (session) => session.logout(),
  login: (session) => session.login("alice"),
  rotate: (session) => session.rotate(),
  reauthenticate: (session) => session.reauthenticate(),
};

for (const method of Object.keys(act) as Method[]) {
  describe(`sealed cookies: ${method}()`, () => {
    it("with a revocation store, a copy of the previous cookie no longer authenticates", async () => {
      const sessions = sealed(true);
      const before = await loggedIn(sessions);
      clock.advance(MINUTE);
      const session = await open(sessions, before);
      session.set("stale" as never, false as never);
      const result = await act[method](session);
      const after = cookieOf((await sessions.commit(session))?.setCookie);
      assert.deepEqual(result, { copiesRemainValid: false });
      assert.equal((await open(sessions, before)).userId, null, "the copy");
      if (method !== "logout") {
        assert.ok(after !== undefined && after !== before);
        assert.equal((await open(sessions, after)).userId, "alice", "the response's cookie");
      }
    });

    it("without one, the result says copies remain valid (and they do)", async () => {
      const sessions = sealed(false);
      const before = await loggedIn(sessions);
      clock.advance(MINUTE);
      const session = await open(sessions, before);
      const result = await act[method](session);
      await sessions.commit(session);
      assert.deepEqual(result, { copiesRemainValid: true });
      assert.equal((await open(sessions, before)).userId, "alice");
    });
  });
}

describe("sealed cookies without a revocation store", () => {
  it("nothing to retire gives copiesRemainValid false (a session never saved)", async () => {
    const sessions = sealed(false);
    const session = await sessions.load({});
    assert.deepEqual(await session.logout(), { copiesRemainValid: false });
  });

  it("warns once at startup in production, naming the fix", async () => {
    const warned = once(process, "warning");
    createSessions({ secrets: [testSecret()], store: cookieStore(), production: true });
    const [warning] = (await warned) as [Error & { code?: string }];
    assert.equal(warning.code, "LATCHKEY_SEALED_NO_REVOCATION");
    assert.match(warning.message, /copies of a sealed cookie stay valid until they expire/);
    assert.match(warning.message, /cookieStore\(\{ revocation: redisStore/);
  });

  it("does not warn with a revocation store, or outside production", async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on("warning", listener);
    createSessions({
      secrets: [testSecret()],
      store: cookieStore({ revocation: memoryStore() }),
      production: true,
    });
    createSessions({ secrets: [testSecret()], store: cookieStore(), production: false });
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", listener);
    assert.deepEqual(
      seen.filter((w) => (w as { code?: string }).code === "LATCHKEY_SEALED_NO_REVOCATION"),
      [],
    );
  });
});

describe("listSessions() with sealed cookies", () => {
  for (const withRevocation of [false, true]) {
    it(`is refused as not-supported, naming the fix (revocation store: ${withRevocation})`, async () => {
      const sessions = sealed(withRevocation);
      await assert.rejects(
        sessions.listSessions("alice"),
        (error: unknown) =>
          error instanceof LatchkeyError &&
          error.code === "not-supported" &&
          /redisStore\(\) or postgresStore\(\)/.test(error.message),
      );
    });
  }
});

describe("rotationGrace", () => {
  it("must be shorter than rotateEvery: refused at startup with the fix", () => {
    for (const rotationGrace of ["10m", "11m"]) {
      assert.throws(
        () => createSessions({ secrets: [testSecret()], rotateEvery: "10m", rotationGrace }),
        (error: unknown) =>
          error instanceof LatchkeyError &&
          error.code === "timeout-order" &&
          /rotationGrace must be shorter than rotateEvery/.test(error.message),
      );
    }
    createSessions({ secrets: [testSecret()], rotateEvery: "10m", rotationGrace: "9m" });
    // Unset, it fits any period.
    createSessions({ secrets: [testSecret()], rotateEvery: "20s" });
  });
});
