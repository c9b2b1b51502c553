// Session-bound CSRF tokens: masking (BREACH), binding, key rotation, hostile input.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { deriveKeyRing } from "../../packages/latchkey/src/crypto/keys.ts";
import {
  CSRF_TOKEN_LENGTH,
  csrfSecret,
  csrfTokens,
  issueCsrfToken,
  maskCsrfSecret,
  unmaskCsrfToken,
  verifyCsrfToken,
} from "../../packages/latchkey/src/csrf/tokens.ts";

const key = randomBytes(32);
const binding = "sid:abc";

describe("CSRF tokens", () => {
  it("are 86 base64url characters carrying a 256-bit secret, masked differently every time", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => issueCsrfToken(key, binding)));
    assert.equal(tokens.size, 200);
    for (const token of tokens) {
      assert.equal(token.length, CSRF_TOKEN_LENGTH);
      assert.match(token, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(unmaskCsrfToken(token), csrfSecret(key, binding));
    }
    assert.equal(csrfSecret(key, binding).length * 8, 256);
  });

  it("no two masked tokens share a byte position more than chance allows (the secret never repeats)", () => {
    // With a fresh pad per token, the second half of two tokens for the same secret agrees at a
    // position only when the pads do: about 1/256 of positions.
    const a = Buffer.from(issueCsrfToken(key, binding), "base64url").subarray(32);
    const b = Buffer.from(issueCsrfToken(key, binding), "base64url").subarray(32);
    let same = 0;
    for (let i = 0; i < 32; i++) if (a[i] === b[i]) same++;
    assert.ok(same < 6, `${same} equal bytes`);
  });

  it("verify: valid for its binding only; tampered, unmasked, truncated and foreign tokens fail", () => {
    const token = issueCsrfToken(key, binding);
    assert.equal(verifyCsrfToken([key], binding, token), true);
    assert.equal(verifyCsrfToken([key], "sid:other", token), false, "another session's");
    assert.equal(verifyCsrfToken([randomBytes(32)], binding, token), false, "another key");
    const unmasked = csrfSecret(key, binding).toString("base64url");
    assert.equal(verifyCsrfToken([key], binding, unmasked), false, "the unmasked secret");
    assert.equal(verifyCsrfToken([key], binding, token.slice(0, -1)), false, "truncated");
    assert.equal(verifyCsrfToken([key], "", token), false, "no binding");
    for (const hostile of [
      undefined,
      null,
      42,
      {},
      [],
      "",
      "a".repeat(86),
      `${token}=`,
      "é".repeat(86),
    ]) {
      assert.equal(verifyCsrfToken([key], binding, hostile), false, String(hostile));
    }
  });

  it("verify: every single-character change is refused", () => {
    const token = issueCsrfToken(key, binding);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.nat(alphabet.length - 1), (at, c) => {
        const replacement = alphabet[c] as string;
        fc.pre(replacement !== token[at]);
        const tampered = token.slice(0, at) + replacement + token.slice(at + 1);
        return verifyCsrfToken([key], binding, tampered) === false;
      }),
    );
  });

  it("mask/unmask round-trips any secret; unmask rejects non-canonical spellings", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        const token = maskCsrfSecret(secret);
        return Buffer.from(secret).equals(unmaskCsrfToken(token) as Buffer);
      }),
    );
    // The last character carries 2 unused bits: a spelling with them set is not the same token.
    const token = issueCsrfToken(key, binding);
    const last = token.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sloppy = alphabet[alphabet.indexOf(last) | 1] as string;
    if (sloppy !== last) assert.equal(unmaskCsrfToken(token.slice(0, -1) + sloppy), null);
  });

  it("hostile strings never throw", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        assert.equal(verifyCsrfToken([key], binding, text), false);
        unmaskCsrfToken(text);
      }),
    );
  });

  it("secret rotation: tokens issued under the previous secret still verify while it is listed", () => {
    const old = csrfTokens(deriveKeyRing([randomBytes(32).toString("base64url")]));
    const previousSecret = randomBytes(32).toString("base64url");
    const before = csrfTokens(deriveKeyRing([previousSecret]));
    const rotated = csrfTokens(
      deriveKeyRing([randomBytes(32).toString("base64url"), previousSecret]),
    );
    const token = before.issue(binding);
    assert.equal(rotated.verify(binding, token), true);
    assert.equal(rotated.verify(binding, rotated.issue(binding)), true);
    assert.equal(old.verify(binding, token), false);
  });
});
