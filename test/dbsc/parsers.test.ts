// The DBSC parsers on hostile input: never throw, bounded, and exact about what they accept.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { keyObjectFor, publicJwkFor } from "../../packages/latchkey/src/dbsc/jwk.ts";
import { parseProof, signatureValid } from "../../packages/latchkey/src/dbsc/proof.ts";
import {
  MAX_HEADER_LENGTH,
  readStringHeader,
} from "../../packages/latchkey/src/dbsc/structured.ts";
import { deviceKey, proof } from "./client.ts";

describe("readStringHeader", () => {
  it("reads sf-strings (parameters ignored) and bare tokens, and nothing else", () => {
    assert.equal(readStringHeader('"abc.def"'), "abc.def");
    assert.equal(readStringHeader(' "a\\"b\\\\c" '), 'a"b\\c');
    assert.equal(readStringHeader('"abc";id="x"'), "abc");
    assert.equal(readStringHeader("abc.def_-"), "abc.def_-");
    for (const bad of [
      '"abc',
      '"a"b',
      '"\\x"',
      '"\u00e9"',
      "a b",
      "",
      '"abc" x',
      null,
      undefined,
    ]) {
      assert.equal(readStringHeader(bad), null, String(bad));
    }
    assert.equal(readStringHeader(`"${"a".repeat(MAX_HEADER_LENGTH)}"`), null);
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const value = readStringHeader(text);
        assert.ok(value === null || typeof value === "string");
      }),
    );
  });
});

describe("parseProof", () => {
  it("accepts a real proof and verifies it only with its own key", async () => {
    for (const alg of ["ES256", "RS256"] as const) {
      const key = await deviceKey(alg);
      const parsed = parseProof(await proof(key, "c".repeat(43), true), ["ES256", "RS256"]);
      assert.ok(typeof parsed === "object");
      const jwk = publicJwkFor(parsed.jwk, parsed.alg);
      assert.ok(jwk);
      const keyObject = keyObjectFor(jwk);
      assert.ok(keyObject);
      assert.equal(signatureValid(parsed, keyObject), true);
      const other = keyObjectFor(publicJwkFor((await deviceKey(alg)).jwk, alg) as never);
      assert.equal(signatureValid(parsed, other as never), false);
      // An algorithm left out of the configuration is refused.
      const only = alg === "ES256" ? "RS256" : "ES256";
      assert.equal(parseProof(await proof(key, "c".repeat(43), true), [only]), "algorithm-refused");
    }
  });

  it("refuses RSA keys under 2048 bits", () => {
    assert.equal(keyObjectFor({ kty: "RSA", n: "AQAB".repeat(10), e: "AQAB" }), null);
  });

  it("never throws on random compact-JWS-shaped or arbitrary text", () => {
    const part = fc.string({ maxLength: 80 }).map((s) => Buffer.from(s).toString("base64url"));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.tuple(part, part, part).map((p) => p.join(".")),
        ),
        (text) => {
          const parsed = parseProof(text, ["ES256", "RS256"]);
          assert.ok(typeof parsed === "string" || typeof parsed === "object");
        },
      ),
    );
  });

  it("stops at the length cap without looking further", () => {
    assert.equal(parseProof("a.".repeat(MAX_HEADER_LENGTH), ["ES256"]), "malformed");
  });
});
