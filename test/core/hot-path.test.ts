// The request path takes shortcuts for speed (Set-Cookie text built from a template, randomness
// drawn from a pool, remembered results). Each must give exactly what the slow way gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serialize } from "cookie";
import fc from "fast-check";
import { BoundedMap } from "../../packages/latchkey/src/core/bounded-map.ts";
import { resolveConfig } from "../../packages/latchkey/src/core/config.ts";
import { sessionCookieHeaders } from "../../packages/latchkey/src/core/cookies.ts";
import type { SessionsOptions } from "../../packages/latchkey/src/core/options.ts";
import { deriveKey } from "../../packages/latchkey/src/crypto/keys.ts";
import { randomBytesPooled } from "../../packages/latchkey/src/crypto/random.ts";
import { open } from "../../packages/latchkey/src/crypto/seal.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { testSecret } from "../helpers/secrets.ts";

const cookieOptions: Array<SessionsOptions["cookie"]> = [
  undefined,
  { name: "sid", secure: false, sameSite: "strict" },
  { name: "__Secure-s", domain: "example.com", path: "/app", sameSite: "none" },
  { name: "__Host-x", partitioned: true, sameSite: "none" },
];

describe("Set-Cookie text", () => {
  it("is exactly what the cookie library serializes, for every attribute set and lifetime", () => {
    const base64urlValue = fc.stringMatching(/^[A-Za-z0-9_-]{1,200}(\.[A-Za-z0-9_-]{1,200}){0,2}$/);
    for (const cookie of cookieOptions) {
      const config = resolveConfig({
        secrets: [testSecret()],
        store: cookieStore(),
        production: false,
        ...(cookie === undefined ? {} : { cookie }),
      });
      fc.assert(
        fc.property(base64urlValue, fc.option(fc.nat({ max: 400 * 86_400 })), (value, maxAge) => {
          const expected = serialize(config.cookieName, value, {
            ...config.cookieAttributes,
            ...(maxAge === null ? {} : { maxAge }),
          });
          assert.equal(sessionCookieHeaders(config, value, maxAge).setCookie, expected);
        }),
      );
    }
  });
});

describe("pooled randomness", () => {
  it("never hands out the same bytes twice, across pool refills", () => {
    const seen = new Set<string>();
    // 4000 × 12 bytes spans several 8 KiB pool refills; 96-bit values never collide by chance.
    for (let i = 0; i < 4000; i++) {
      const iv = randomBytesPooled(12).toString("hex");
      assert.ok(!seen.has(iv), "an IV repeated");
      seen.add(iv);
    }
  });

  it("gives each caller a buffer of its own that later draws do not change", () => {
    const first = randomBytesPooled(32);
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i++) randomBytesPooled(33);
    assert.deepEqual(first, copy);
    assert.equal(first.length, 32);
  });

  it("serves sizes larger than the pool, filled with fresh random bytes", () => {
    const [a, b] = [randomBytesPooled(20_000), randomBytesPooled(20_000)];
    assert.equal(a.length, 20_000);
    assert.notDeepEqual(a, b);
    // 160 000 bits: mean 80 000, sd 200; 6 sd either way. Unfilled memory is rarely this balanced.
    let ones = 0;
    for (const byte of a) ones += popcount(byte);
    assert.ok(Math.abs(ones - 80_000) < 1_200, `${ones} ones in 160 000 bits`);
  });

  it("looks uniform: each bit set about half the time over 100 000 bytes", () => {
    let ones = 0;
    for (let i = 0; i < 1000; i++) {
      for (const byte of randomBytesPooled(100)) ones += popcount(byte);
    }
    // 800 000 bits: mean 400 000, sd ≈ 447; 6 sd either way.
    assert.ok(Math.abs(ones - 400_000) < 2_700, `${ones} ones in 800 000 bits`);
  });
});

describe("BoundedMap", () => {
  it("keeps at most its limit, dropping the oldest insertion first", () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ["a", "b", "c", "d"].entries()) map.set(key, i);
    assert.equal(map.size, 3);
    assert.equal(map.get("a"), undefined);
    assert.equal(map.get("d"), 3);
    // Updating a present key evicts nothing.
    map.set("b", 10);
    assert.equal(map.size, 3);
    assert.equal(map.get("c"), 2);
    assert.equal(map.get("b"), 10);
  });
});

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b >>= 1) n += b & 1;
  return n;
}

describe("sealed cookie payload", () => {
  const secret = testSecret();
  const sessions = createSessions<Record<string, unknown>>({
    secrets: [secret],
    store: cookieStore(),
    production: false,
  });
  const cookieOf = (setCookie: string) => setCookie.slice(0, setCookie.indexOf(";"));
  const values = {
    plain: "text",
    'quote"key\\': 'a "quoted" \\ value',
    unicode: "línea\u2028sep\u2029 ☃ 😀",
    nested: { list: [1, 2.5, -3e-7, null, true], deep: { x: "y" } },
    zero: 0,
    none: null,
  };

  it("is the canonical JSON of its fields, written without decoding values again", async () => {
    const first = await sessions.load({ userAgent: "test-agent" });
    for (const [key, value] of Object.entries(values)) first.set(key, value);
    const headers = await sessions.commit(first);
    assert.ok(headers);
    const value = cookieOf(headers.setCookie).split("=")[1] as string;
    const [, keyId, body] = value.split(".");
    const key = deriveKey(secret);
    assert.equal(keyId, key.id);
    const plaintext = open(
      key.sealKey,
      Buffer.from(`latchkey:1:${sessions.cookieName}:${keyId}`),
      body as string,
    );
    assert.ok(plaintext);
    const text = plaintext.toString("utf8");
    const parsed = JSON.parse(text);
    assert.equal(JSON.stringify(parsed), text);
    assert.deepEqual(Object.keys(parsed), ["s", "c", "l", "i", "u", "a", "p", "h", "d"]);
    assert.deepEqual(parsed.d, values);
  });

  it("gives every request values of its own: a change in place never reaches the next request", async () => {
    const first = await sessions.load({});
    first.set("nested", { list: [1] });
    const headers = await sessions.commit(first);
    assert.ok(headers);
    const cookie = cookieOf(headers.setCookie);
    const a = await sessions.load({ cookie });
    (a.get("nested") as { list: number[] }).list.push(2);
    const b = await sessions.load({ cookie });
    assert.deepEqual(b.get("nested"), { list: [1] });
    // The change made in place in request a is saved by a's commit.
    const saved = await sessions.commit(a);
    assert.ok(saved);
    const c = await sessions.load({ cookie: cookieOf(saved.setCookie) });
    assert.deepEqual(c.get("nested"), { list: [1, 2] });
  });

  it("drops deleted keys and keeps the rest across several writes", async () => {
    let session = await sessions.load({});
    session.set("a", 1);
    session.set("b", { c: 2 });
    let headers = await sessions.commit(session);
    for (const step of [0, 1]) {
      assert.ok(headers);
      session = await sessions.load({ cookie: cookieOf(headers.setCookie) });
      if (step === 0) session.delete("a");
      else session.set("d", [step]);
      headers = await sessions.commit(session);
    }
    assert.ok(headers);
    const last = await sessions.load({ cookie: cookieOf(headers.setCookie) });
    assert.equal(last.get("a"), undefined);
    assert.deepEqual(last.get("b"), { c: 2 });
    assert.deepEqual(last.get("d"), [1]);
  });
});

describe("PendingCommit.writes", () => {
  it("is false when persist() has nothing to do, true when the store must be written first", async () => {
    const secrets = [testSecret()];
    const sealed = createSessions<{ n: number }>({
      secrets,
      store: cookieStore(),
      production: false,
    });
    const stored = createSessions<{ n: number }>({
      secrets,
      store: memoryStore(),
      production: false,
    });
    for (const [sessions, writes] of [
      [sealed, false],
      [stored, true],
    ] as const) {
      const first = await sessions.load({});
      first.set("n", 1);
      const pending = sessions.prepare(first);
      assert.ok(pending.headers, "a new session sends a cookie");
      assert.equal(pending.writes, writes);
      await pending.persist();
      const cookie = pending.headers.setCookie.slice(0, pending.headers.setCookie.indexOf(";"));
      const readOnly = sessions.prepare(await sessions.load({ cookie }));
      assert.equal(readOnly.headers, null);
      assert.equal(readOnly.writes, false);
    }
  });
});
