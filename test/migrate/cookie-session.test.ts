// From cookie-session (signed with keygrip) to latchkey: a real cookie-session app signs the
// cookies; the latchkey app imports a valid pair and refuses an altered one.
import assert from "node:assert/strict";
import { test } from "node:test";
import cookieSession from "cookie-session";
import express from "express";
import type { SessionEvent } from "../../packages/latchkey/src/index.ts";
import { cookieSessionReader } from "../../packages/latchkey/src/migrate/index.ts";
import { listen, request } from "../helpers/http.ts";
import { latchkeyApp } from "./legacy-apps.ts";

const KEYS = ["cookie-session key of the legacy app, long enough"];

test("cookie-session: a signed pair migrates; an altered value or signature is refused", async () => {
  const legacy = express();
  legacy.use(cookieSession({ keys: KEYS }));
  legacy.post("/login", (req, res) => {
    // latchkey/express types req.session as latchkey's session; here it is cookie-session's.
    (req as unknown as { session: object }).session = { passport: { user: 42 }, cart: ["pen"] };
    res.end();
  });
  const server = await listen(legacy as never);
  const reply = await request(`${server.url}/login`, { method: "POST" });
  await server.close();
  const pair = reply.setCookies.map((line) => line.split(";")[0]).join("; ");
  assert.match(pair, /^session=[^;]+; session\.sig=/);

  const events: SessionEvent[] = [];
  const app = await latchkeyApp(cookieSessionReader({ keys: KEYS }), events);
  try {
    const moved = await request(`${app.url}/me`, { cookie: pair });
    assert.deepEqual(JSON.parse(moved.body), { userId: "42", cart: ["pen"] });
    const names = moved.setCookies.map((line) => line.split("=")[0]);
    assert.deepEqual(names.sort(), ["__Host-session", "session", "session.sig"]);

    const value = pair.split("; ")[0]?.slice("session=".length) as string;
    const forged = Buffer.from(JSON.stringify({ passport: { user: 1 } })).toString("base64");
    for (const cookie of [
      pair.replace(value, forged),
      pair.replace(/sig=.*$/, `sig=${"A".repeat(27)}`),
      `session=${value}`,
    ]) {
      const refused = await request(`${app.url}/me`, { cookie });
      assert.deepEqual(JSON.parse(refused.body), { userId: null, cart: null }, cookie);
      assert.equal(refused.setCookies.length, 0);
    }
    assert.equal(events.filter((e) => e.type === "tampered").length, 3);
  } finally {
    await app.close();
  }
});
