// What login() carries from the session it replaces. Values written before authentication may
// have been planted (login CSRF, a shared computer), so by default nothing carries over; the
// application names the keys that should (keepOnLogin, or login(userId, { keep })).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SessionsOptions } from "../../packages/latchkey/src/core/options.ts";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, SECOND } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
type Values = Record<string, unknown>;
type Session = Awaited<ReturnType<Sessions<Values>["load"]>>;

function cookieOf(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined;
  const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(";"));
  return value === "" ? undefined : value;
}

/** One request: load with `cookie`, act, prepare and persist; the session and the new cookie. */
async function request(
  sessions: Sessions<Values>,
  cookie: string | undefined,
  act: (session: Session) => Promise<void> | void = () => {},
) {
  const session = await sessions.load(
    cookie === undefined ? {} : { cookie: `${COOKIE}=${cookie}` },
  );
  await act(session);
  const pending = sessions.prepare(session);
  await pending.persist();
  return { session, cookie: cookieOf(pending.headers?.setCookie) ?? cookie };
}

/** An anonymous session holding a cart and a value someone else planted: its cookie. */
async function plantedSession(sessions: Sessions<Values>): Promise<string> {
  const { cookie } = await request(sessions, undefined, (session) => {
    session.set("cart", ["sku-1"]);
    session.set("role", "admin");
  });
  return cookie as string;
}

/** Logs in from `cookie` with `keep` (if given); what the logged-in session holds afterwards. */
async function logIn(
  sessions: Sessions<Values>,
  cookie: string,
  keep?: SessionsOptions["keepOnLogin"],
) {
  let sameRequest: Values = {};
  const login = await request(sessions, cookie, async (session) => {
    await session.login("alice", keep === undefined ? {} : { keep });
    sameRequest = { cart: session.get("cart"), role: session.get("role") };
  });
  const next = await request(sessions, login.cookie);
  assert.equal(next.session.userId, "alice");
  return { sameRequest, next: { cart: next.session.get("cart"), role: next.session.get("role") } };
}

const modes = [
  { mode: "server store", store: () => memoryStore() },
  { mode: "sealed cookie", store: () => cookieStore() },
] as const;

for (const { mode, store } of modes) {
  describe(`login carry-over (${mode})`, () => {
    const engine = (options: Partial<SessionsOptions> = {}) =>
      createSessions<Values>({ secrets: [testSecret()], store: store(), ...options });

    it("by default, a value planted before login does not reach the logged-in session", async () => {
      const sessions = engine();
      const { sameRequest, next } = await logIn(sessions, await plantedSession(sessions));
      const empty = { cart: undefined, role: undefined };
      assert.deepEqual(sameRequest, empty, "not even within the login request");
      assert.deepEqual(next, empty);
    });

    it("keepOnLogin carries only the named keys", async () => {
      const sessions = engine({ keepOnLogin: ["cart"] });
      const { sameRequest, next } = await logIn(sessions, await plantedSession(sessions));
      assert.deepEqual(sameRequest, { cart: ["sku-1"], role: undefined });
      assert.deepEqual(next, { cart: ["sku-1"], role: undefined });
    });

    it('keepOnLogin "all" carries everything', async () => {
      const sessions = engine({ keepOnLogin: "all" });
      const { next } = await logIn(sessions, await plantedSession(sessions));
      assert.deepEqual(next, { cart: ["sku-1"], role: "admin" });
    });

    it("login({ keep }) overrides the option for one call", async () => {
      const open = engine({ keepOnLogin: "all" });
      assert.deepEqual((await logIn(open, await plantedSession(open), "none")).next, {
        cart: undefined,
        role: undefined,
      });
      const closed = engine();
      assert.deepEqual((await logIn(closed, await plantedSession(closed), ["cart"])).next, {
        cart: ["sku-1"],
        role: undefined,
      });
    });

    it("drops values set earlier in the login request; keeps those set after login()", async () => {
      const sessions = engine();
      const { cookie } = await request(sessions, undefined, async (session) => {
        session.set("before", 1);
        await session.login("alice");
        session.set("after", 2);
      });
      const next = await request(sessions, cookie);
      assert.equal(next.session.get("before"), undefined);
      assert.equal(next.session.get("after"), 2);
    });

    it("reauthenticate() keeps every value of the logged-in session", async () => {
      const sessions = engine();
      const login = await request(sessions, undefined, async (session) => {
        await session.login("alice");
        session.set("theme", "dark");
      });
      const stepUp = await request(sessions, login.cookie, async (session) => {
        await session.reauthenticate();
      });
      assert.equal((await request(sessions, stepUp.cookie)).session.get("theme"), "dark");
    });

    it("refuses a malformed keep: the option at startup, the argument before anything changes", async () => {
      assert.throws(
        () => engine({ keepOnLogin: "some" as never }),
        (error: { code?: string }) => error.code === "config-invalid",
      );
      assert.throws(
        () => engine({ keepOnLogin: ["cart", ""] }),
        (error: { code?: string }) => error.code === "config-invalid",
      );
      const sessions = engine();
      const cookie = await plantedSession(sessions);
      const refused = await request(sessions, cookie, async (session) => {
        await assert.rejects(
          session.login("alice", { keep: [42] as never }),
          (error: { code?: string }) => error.code === "argument-invalid",
        );
      });
      assert.equal(refused.session.userId, null);
      assert.deepEqual(refused.session.get("cart"), ["sku-1"], "the anonymous session is intact");
    });
  });
}

describe("login carry-over racing a periodic rotation (server store)", () => {
  it("keeps only the named keys of the successor the login's claim moved to", async () => {
    const clock = fakeClock();
    const store = memoryStore();
    const rotations: unknown[] = [];
    const sessions = createSessions<Values>({
      secrets: [testSecret()],
      store,
      now: clock.now,
      onEvent: (event) => {
        if (event.type === "rotated") rotations.push(event.reason);
      },
      rotateEvery: "1m",
      keepOnLogin: ["cart"],
    });
    const cookie = await plantedSession(sessions);
    clock.advance(61 * SECOND); // every request is due to rotate
    const loggingIn = await sessions.load({ cookie: `${COOKIE}=${cookie}` });
    // Another request, with the same cookie, rotates first and writes a key of its own.
    await request(sessions, cookie, (session) => session.set("late", true));
    assert.deepEqual(rotations, ["periodic"], "the other request rotated the session first");
    await loggingIn.login("alice");
    const pending = sessions.prepare(loggingIn);
    await pending.persist();

    const [summary] = await store.listByUser("alice");
    const entry = await store.get(summary?.ref as string);
    assert.deepEqual(Object.keys(entry?.data ?? {}), ["cart"], "only the kept key is stored");
    const next = await request(sessions, cookieOf(pending.headers?.setCookie));
    assert.deepEqual(next.session.get("cart"), ["sku-1"]);
    assert.equal(next.session.get("late"), undefined);
    assert.equal(next.session.get("role"), undefined);
  });
});
