import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MIN_SECRET_BITS, secretWeakness } from "../../packages/latchkey/src/index.ts";

// Secrets people make up, each at least 32 bytes (so the length rule alone lets them through),
// and a piece of the reason it must be refused with.
const weak: Array<[string, RegExp]> = [
  ["abcdefgh".repeat(4), /one 8-character pattern repeated/],
  ["passwordpasswordpasswordpassword", /one 8-character pattern repeated/],
  ["a".repeat(64), /one character repeated/],
  ["ab".repeat(20), /one 2-character pattern repeated/],
  ["Xk9#Xk9#Xk9#Xk9#Xk9#Xk9#Xk9#Xk9#Xk9#", /one 4-character pattern repeated/],
  ["qwertyuiopasdfghjklzxcvbnm123456", /keyboard walks/],
  ["poiuytrewq;lkjhgfdsa/.,mnbvcxz0987654321", /keyboard walks/],
  ["abcdefghijklmnopqrstuvwxyz0123456789", /sequences such as abcdef or 123456/],
  ["zyxwvutsrqponmlkjihgfedcba9876543210", /sequences/],
  ["correct horse battery staple correct horse", /common words/],
  ["MySuperSecretSessionKeyForProduction2024!", /common words/],
  ["P@ssw0rdP@ssw0rd!!P@ssw0rd2024xyz", /common words/],
  ["s3cr3t-s3ss10n-k3y-f0r-my-4pp-2024", /common words/],
  ["complex_password_at_least_32_characters_long2024", /common words or well-known/],
  ["keyboard cat 12345678901234567890", /common words or well-known/],
  ["xK9#mQ2$hello world hello world hello world ", /repeats parts of itself/],
  ["12345678901234567890123456789012", /pattern repeated|sequences/],
  ["83920174658392017465839201746583", /pattern repeated/],
  ["00000000000000000000000000000000000000000000000000000000000000000001", /./],
  ["93847561029384756102938475610293847561", /pattern repeated/],
  ["keyboard cat", /well-known/],
  ["01101001011010010110100101101001", /./],
];

describe("secretWeakness refuses secrets a person made up", () => {
  for (const [secret, reason] of weak) {
    it(`refuses ${JSON.stringify(secret)}`, () => {
      const why = secretWeakness(secret);
      assert.ok(why !== null, "refused");
      assert.match(why, reason);
    });
  }

  it("never repeats the secret, or a piece of it, in the reason", () => {
    for (const [secret] of weak) {
      const why = secretWeakness(secret) ?? "";
      for (let i = 0; i + 8 <= secret.length; i++) {
        assert.ok(!why.includes(secret.slice(i, i + 8)), `${why} quotes ${secret}`);
      }
    }
  });

  it("says how far below the floor the estimate is", () => {
    assert.match(secretWeakness("abcdefgh".repeat(4)) ?? "", /about \d+ bits .* 128 are needed/);
    assert.equal(MIN_SECRET_BITS, 128);
  });

  it("refuses a well-known secret with digits appended, whatever digits", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,12}$/), (digits) => {
        assert.notEqual(
          secretWeakness(`complex_password_at_least_32_characters_long${digits}`),
          null,
        );
      }),
    );
  });

  it("refuses any 1–16 character block repeated to 32 characters or more", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 16 }), (block) => {
        const secret = block.repeat(Math.ceil(64 / block.length));
        assert.notEqual(secretWeakness(secret), null, JSON.stringify(secret));
      }),
    );
  });
});

describe("secretWeakness accepts every random secret", () => {
  // Random bytes come from fast-check, so a failure names a seed that replays it; each encoding
  // is the one `randomBytes(n).toString(…)` or `randomUUID()` would apply to them.
  const encodings: Array<[string, number, (bytes: Buffer) => string]> = [
    ["randomBytes(32) as base64", 32, (b) => b.toString("base64")],
    ["randomBytes(32) as base64url", 32, (b) => b.toString("base64url")],
    ["randomBytes(32) as hex", 32, (b) => b.toString("hex")],
    ["randomUUID() + randomUUID()", 32, (b) => uuid(b.subarray(0, 16)) + uuid(b.subarray(16))],
    ["randomBytes(24) as base64url, 32 characters", 24, (b) => b.toString("base64url")],
  ];
  for (const [name, size, encode] of encodings) {
    it(`accepts ${name}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: size, maxLength: size }), (bytes) => {
          const secret = encode(Buffer.from(bytes));
          assert.equal(secretWeakness(secret), null, secret);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it("accepts the real generators' output", () => {
    for (let i = 0; i < 300; i++) {
      for (const secret of [
        randomBytes(32).toString("base64url"),
        randomBytes(32).toString("hex"),
        randomUUID() + randomUUID(),
      ]) {
        assert.equal(secretWeakness(secret), null, secret);
      }
    }
  });

  it("checks a 1 MiB value on its first 4 KiB, quickly", () => {
    const started = performance.now();
    assert.equal(secretWeakness(randomBytes(786_432).toString("base64")), null);
    assert.notEqual(secretWeakness("a".repeat(1 << 20)), null);
    assert.notEqual(secretWeakness(`${"ab".repeat(2048)}${randomBytes(64).toString("hex")}`), null);
    assert.ok(performance.now() - started < 1000, "bounded work");
  });
});

/** RFC 9562 version 4 layout, as randomUUID() writes it. */
function uuid(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
