// What `session.csrfToken()` binds to, straight on the engine (no HTTP), for server-side and
// sealed-cookie sessions: stable across rotation, replaced at login and reauthentication.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  attachCsrfContext,
  requestTokenMatches,
  resolvePreSessionCookie,
} from "../../packages/latchkey/src/csrf/pre-session.ts";
import {
  createSessions,
  isLatchkeyError,
  type Session,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";

type Data = { n: number };

for (const [mode, store] of [
  ["server store", () => memoryStore()],
  ["sealed cookie", () => cookieStore()],
] as const) {
  describe(`csrfToken() binding (${mode})`, () => {
    const clock = fakeClock();
    const sessions = createSessions<Data>({
      secrets: [testSecret()],
      store: store(),
      rotateEvery: "10m",
      now: clock.now,
    });
    let cookie: string | undefined;

    /** One request: load with the current cookie, run `work`, save, keep the new cookie. */
    async function requestWith<R>(work: (session: Session<Data>) => R | Promise<R>): Promise<R> {
      const session = await sessions.load({ cookie });
      const result = await work(session);
      const headers = await sessions.commit(session);
      if (headers !== null) {
        const pair = headers.setCookie.split(";")[0] as string;
        cookie = pair.endsWith("=") ? undefined : pair;
      }
      return result;
    }
    const valid = (token: string) =>
      requestWith((session) => requestTokenMatches(session, undefined, sessions.csrf, token));

    it("throws a clear error before a session exists when no CSRF middleware is attached", async () => {
      const session = await sessions.load({});
      assert.throws(
        () => session.csrfToken(),
        (error: unknown) =>
          isLatchkeyError(error, "config-invalid") && /csrfMiddleware/.test(String(error)),
      );
    });

    it("stays valid across periodic rotation; is replaced at login and at reauthentication", async () => {
      await requestWith((s) => s.set("n", 1));
      const anonymous = await requestWith((s) => s.csrfToken());
      assert.equal(await valid(anonymous), true);

      const beforeRotation = cookie;
      clock.advance(11 * MINUTE);
      await requestWith(() => {}); // periodic rotation: a new cookie, the same session
      assert.notEqual(cookie, beforeRotation);
      assert.equal(await valid(anonymous), true, "rotation keeps the binding");

      await requestWith((s) => s.login("alice"));
      assert.equal(await valid(anonymous), false, "login replaces it");
      const loggedIn = await requestWith((s) => s.csrfToken());
      assert.equal(await valid(loggedIn), true);

      await requestWith((s) => s.reauthenticate());
      assert.equal(await valid(loggedIn), false, "reauthentication replaces it");
      assert.equal(await valid(await requestWith((s) => s.csrfToken())), true);
    });

    it("a pre-session token is accepted only while nobody is logged in", async () => {
      cookie = undefined;
      const preCookie = resolvePreSessionCookie();
      const first = await sessions.load({});
      const context = attachCsrfContext(first, preCookie, undefined);
      const preToken = first.csrfToken();
      assert.match(context.issued ?? "", /^[A-Za-z0-9_-]{43}$/);
      const header = `${preCookie.name}=${context.issued}`;

      const anonymous = await sessions.load({ cookie: header });
      const anonymousContext = attachCsrfContext(anonymous, preCookie, header);
      assert.equal(requestTokenMatches(anonymous, anonymousContext, sessions.csrf, preToken), true);
      assert.equal(
        requestTokenMatches(
          anonymous,
          attachCsrfContext(anonymous, preCookie, undefined),
          sessions.csrf,
          preToken,
        ),
        false,
        "without the pre-session cookie",
      );

      await anonymous.login("bob");
      assert.equal(
        requestTokenMatches(anonymous, anonymousContext, sessions.csrf, preToken),
        false,
      );
    });
  });
}

describe("sessions.csrf", () => {
  it("is per configuration: another app's tokens do not verify", async () => {
    const a: Sessions = createSessions({ secrets: [testSecret()], store: memoryStore() });
    const b: Sessions = createSessions({ secrets: [testSecret()], store: memoryStore() });
    assert.equal(b.csrf.verify("sid:x", a.csrf.issue("sid:x")), false);
    assert.equal(a.csrf.verify("sid:x", a.csrf.issue("sid:x")), true);
  });
});
