// App tests made easy: `signIn` mints a logged-in session, and under the documented test
// configuration (`cookie: { name: "session", secure: false }`, refused in production)
// supertest's agent keeps its session over plain http.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import express from "express";
import request from "supertest";
import { sessionMiddleware } from "../../packages/latchkey/src/adapters/express.ts";
import {
  createSessions,
  isLatchkeyError,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { signIn } from "../../packages/latchkey/src/testing/index.ts";
import { testSecret } from "../helpers/secrets.ts";

function appOn(sessions: Sessions) {
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.post("/login", async (req, res) => {
    await req.session.login(String(req.query.user));
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => {
    const untyped = req.session as unknown as { get(key: string): unknown };
    res.json({ userId: req.session.userId, cart: untyped.get("cart") ?? null });
  });
  return app;
}

const testCookie = { name: "session", secure: false } as const;

describe("signIn", () => {
  for (const [mode, store] of [
    ["server store", () => memoryStore()],
    ["sealed cookie", () => undefined],
  ] as const) {
    test(`a minted session is logged in, with its data (${mode})`, async () => {
      const sessions = createSessions({ secrets: [testSecret()], store: store() });
      const cookie = await signIn(sessions, "user-7", { cart: ["book"] } as never);
      assert.match(cookie, /^__Host-session=[^;\s]+$/);
      const reply = await request(appOn(sessions)).get("/me").set("Cookie", cookie).expect(200);
      assert.deepEqual(reply.body, { userId: "user-7", cart: ["book"] });
      // Another instance with other secrets does not accept it: the cookie is a real credential.
      const other = createSessions({ secrets: [testSecret()], store: store() });
      const refused = await request(appOn(other)).get("/me").set("Cookie", cookie).expect(200);
      assert.deepEqual(refused.body, { userId: null, cart: null });
    });
  }
});

describe("supertest.agent over http", () => {
  test("keeps its session under the test configuration", async () => {
    const sessions = createSessions({
      secrets: [testSecret()],
      cookie: testCookie,
      production: false,
    });
    const agent = request.agent(appOn(sessions));
    await agent.post("/login?user=ann").expect(200);
    const me = await agent.get("/me").expect(200);
    assert.deepEqual(me.body, { userId: "ann", cart: null });
  });

  test("loses it with the default Secure cookie: that is why the test configuration exists", async () => {
    const sessions = createSessions({ secrets: [testSecret()] });
    const agent = request.agent(appOn(sessions));
    const login = await agent.post("/login?user=ann").expect(200);
    assert.match(String(login.headers["set-cookie"]), /; Secure/);
    const me = await agent.get("/me").expect(200);
    assert.deepEqual(me.body, { userId: null, cart: null });
  });

  test("the test configuration is refused in production", () => {
    assert.throws(
      () => createSessions({ secrets: [testSecret()], cookie: testCookie, production: true }),
      (error) => isLatchkeyError(error, "secure-disabled-in-production"),
    );
  });
});
