// Hostile DBSC requests: every one refused with a 4xx (never a 500), the session never bound by
// it, and the real browser unaffected.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import {
  DbscBrowser,
  deviceKey,
  parseChallenge,
  parseRegistration,
  proof,
  signJwt,
} from "./client.ts";
import { DEVICE_BOUND } from "./flow.ts";

const clock = fakeClock();
let server: RunningServer;
const sessions = createSessions<AppSession>({
  secrets: [testSecret()],
  store: memoryStore(),
  now: clock.now,
  deviceBound: DEVICE_BOUND,
});

before(async () => {
  server = await (mounts.express as NonNullable<typeof mounts.express>)(sessions);
});
after(async () => {
  await server.close();
  await sessions.close();
});

/** Logs in without registering: the cookie jar and the offered challenge. */
async function loginOnly(): Promise<{ cookie: string; challenge: string }> {
  const reply = await request(`${server.url}/login?user=mallory`, { method: "POST" });
  const offer = parseRegistration(reply.headers.get("secure-session-registration"));
  assert.ok(offer);
  const cookie = (reply.setCookies[0] as string).split(";")[0] as string;
  return { cookie, challenge: offer.challenge };
}

async function register(cookie: string, header: string) {
  return request(`${server.url}/dbsc/register`, {
    method: "POST",
    cookie,
    headers: { "secure-session-response": header },
  });
}

function assertRefused(reply: { status: number; body: string }, status: number, reason?: string) {
  assert.equal(reply.status, status, reply.body);
  if (reason !== undefined) assert.equal(JSON.parse(reply.body).reason, reason);
}

describe("DBSC registration refuses", () => {
  it("alg none, HS256, and an alg that does not match the key", async () => {
    const es = await deviceKey("ES256");
    const rs = await deviceKey("RS256");
    const { cookie, challenge } = await loginOnly();
    const body = Buffer.from(JSON.stringify({ jti: challenge })).toString("base64url");
    for (const alg of ["none", "HS256", "ES384", "PS256"]) {
      const head = Buffer.from(JSON.stringify({ alg, typ: "dbsc+jwt", jwk: es.jwk })).toString(
        "base64url",
      );
      assertRefused(await register(cookie, `"${head}.${body}.AAAA"`), 400, "algorithm-refused");
    }
    // Claims RS256 but carries an EC key (and the reverse): the key does not fit the algorithm.
    const mismatched = await signJwt(
      es,
      { alg: "ES256", typ: "dbsc+jwt", jwk: rs.jwk },
      { jti: challenge },
    );
    assertRefused(await register(cookie, `"${mismatched}"`), 400, "key-invalid");
    // Signed by one key, carrying another.
    const other = await deviceKey("ES256");
    const wrongKey = await signJwt(
      es,
      { alg: "ES256", typ: "dbsc+jwt", jwk: other.jwk },
      { jti: challenge },
    );
    assertRefused(await register(cookie, `"${wrongKey}"`), 400, "signature-invalid");
    // A private key in the JWK is never kept.
    const leaked = await signJwt(
      es,
      { alg: "ES256", typ: "dbsc+jwt", jwk: { ...es.jwk, d: "AAAA" } },
      { jti: challenge },
    );
    assertRefused(await register(cookie, `"${leaked}"`), 400, "key-invalid");
    // None of it used up the challenge: the real proof still registers.
    assert.equal((await register(cookie, `"${await proof(es, challenge, true)}"`)).status, 200);
  });

  it("a replayed challenge, another session's challenge, a made-up one, a second registration", async () => {
    const key = await deviceKey("ES256");
    const a = await loginOnly();
    const b = await loginOnly();
    // B's challenge presented with A's session.
    assertRefused(
      await register(a.cookie, `"${await proof(key, b.challenge, true)}"`),
      400,
      "challenge-invalid",
    );
    assertRefused(
      await register(a.cookie, `"${await proof(key, "x".repeat(43), true)}"`),
      400,
      "challenge-invalid",
    );
    const good = `"${await proof(key, a.challenge, true)}"`;
    assert.equal((await register(a.cookie, good)).status, 200);
    // The same proof again: the session is bound now, and the challenge is used up.
    assertRefused(await register(a.cookie, good), 400, "already-bound");
    // B can still use its own challenge (A's attempt with it did not burn it).
    assert.equal(
      (await register(b.cookie, `"${await proof(key, b.challenge, true)}"`)).status,
      200,
    );
  });

  it("an expired challenge", async () => {
    const key = await deviceKey("RS256");
    const { cookie, challenge } = await loginOnly();
    clock.advance(6 * MINUTE);
    assertRefused(
      await register(cookie, `"${await proof(key, challenge, true)}"`),
      400,
      "challenge-invalid",
    );
  });

  it("malformed, oversized and missing proofs, and no session", async () => {
    const { cookie } = await loginOnly();
    const hostile = [
      "",
      '"',
      '"abc"',
      '"a.b.c"',
      '"..."',
      '"e30.e30.AA"',
      '"\\x"',
      `"${"A".repeat(100 * 1024)}"`,
      `"${Buffer.from("[1]").toString("base64url")}.${Buffer.from("{}").toString("base64url")}.AA"`,
      `"${Buffer.from('{"alg":"ES256","typ":"dbsc+jwt"}').toString("base64url")}.${Buffer.from("not json").toString("base64url")}.AA"`,
      "a.b.c.d",
      "\u00e9",
    ];
    for (const header of hostile) {
      const reply = await register(cookie, header);
      assert.ok(
        reply.status >= 400 && reply.status < 500,
        `${reply.status} for ${header.slice(0, 30)}`,
      );
    }
    // 9 KiB passes Node's own header limit (16 KiB; 100 KB above got its 431) and meets latchkey's.
    assertRefused(await register(cookie, `"${"A".repeat(9 * 1024)}"`), 400, "proof-malformed");
    assertRefused(
      await request(`${server.url}/dbsc/register`, { method: "POST", cookie }),
      400,
      "proof-missing",
    );
    assertRefused(
      await request(`${server.url}/dbsc/register`, { method: "POST" }),
      401,
      "no-session",
    );
  });
});

describe("DBSC refresh refuses", () => {
  it("another session's key, a wrong session id, a replayed proof, a registration challenge", async () => {
    const mine = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
    await mine.fetch("/login?user=alice", { method: "POST" });
    assert.ok(mine.session);
    const { id } = mine.session;
    const cookie = mine.jar.header() as string;
    const ask = (headers: Record<string, string>) =>
      request(`${server.url}/dbsc/refresh`, { method: "POST", cookie, headers });

    assertRefused(await ask({}), 401, "session-id-mismatch");
    assertRefused(
      await ask({ "sec-secure-session-id": '"someone-elses-session0"' }),
      401,
      "session-id-mismatch",
    );
    const first = await ask({ "sec-secure-session-id": `"${id}"` });
    assert.equal(first.status, 403);
    const challenge = parseChallenge(first.headers.get("secure-session-challenge"));
    assert.ok(challenge);
    assert.equal(challenge.id, id);

    // Signed by a key that is not this session's.
    const stranger = await deviceKey("ES256");
    const forged = await proof(stranger, challenge.challenge, false);
    assertRefused(
      await ask({ "sec-secure-session-id": `"${id}"`, "secure-session-response": `"${forged}"` }),
      400,
      "signature-invalid",
    );
    // RS256 against an ES256 binding.
    const rsa = await proof(await deviceKey("RS256"), challenge.challenge, false);
    assertRefused(
      await ask({ "sec-secure-session-id": `"${id}"`, "secure-session-response": `"${rsa}"` }),
      400,
      "algorithm-refused",
    );

    const signed = `"${await proof(mine.key, challenge.challenge, false)}"`;
    const ok = await ask({ "sec-secure-session-id": `"${id}"`, "secure-session-response": signed });
    assert.equal(ok.status, 200);
    assert.ok(ok.setCookies.some((line) => line.startsWith("__Host-dbsc=")));
    // Replayed: answered with a fresh challenge, no cookie.
    const replay = await ask({
      "sec-secure-session-id": `"${id}"`,
      "secure-session-response": signed,
    });
    assert.equal(replay.status, 403);
    assert.ok(parseChallenge(replay.headers.get("secure-session-challenge")));
    assert.equal(
      replay.setCookies.filter((l) => l.startsWith("__Host-dbsc=") && !l.includes("Max-Age=0"))
        .length,
      0,
    );

    // 100 KB response header, malformed ones: 4xx.
    for (const header of [`"${"A".repeat(100 * 1024)}"`, '"a.b"', "\u00ff"]) {
      const reply = await ask({
        "sec-secure-session-id": `"${id}"`,
        "secure-session-response": header,
      });
      assert.ok(reply.status >= 400 && reply.status < 500, String(reply.status));
    }
  });

  it("a forged or foreign bound cookie is no bound cookie", async () => {
    const a = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
    const b = new DbscBrowser(server.url, await deviceKey("ES256"), clock.now);
    await a.fetch("/login?user=alice", { method: "POST" });
    await b.fetch("/login?user=bob", { method: "POST" });
    const aSession = a.jar.header(["__Host-session"]) as string;
    const bBound = b.jar.header(["__Host-dbsc"]) as string;
    const foreign = await request(`${server.url}/read`, { cookie: `${aSession}; ${bBound}` });
    assertRefused(foreign, 403, "bound-cookie-invalid");
    const forged = `__Host-dbsc=${clock.now() + 60_000}.${"A".repeat(43)}`;
    assertRefused(
      await request(`${server.url}/read`, { cookie: `${aSession}; ${forged}` }),
      403,
      "bound-cookie-invalid",
    );
  });
});
