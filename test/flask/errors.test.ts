// The Flask codec's errors: a value Flask cannot hold is the caller's mistake and throws a
// LatchkeyError with the stable code `flask-value-invalid`; a hostile cookie is never an
// exception, only `{ valid: false }` or `undefined`.
import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  decodeFlaskSession,
  FlaskUuid,
  type FlaskValue,
  fromTaggedJson,
  signFlaskSession,
  toTaggedJson,
  verifyFlaskSession,
} from "../../packages/latchkey/src/flask/index.ts";
import { isLatchkeyError } from "../../packages/latchkey/src/index.ts";

const secretKey = "a test secret that is only used here";
const T = 1_700_000_000;
const flaskValueInvalid = (error: unknown) => isLatchkeyError(error, "flask-value-invalid");

/** A cookie over `json` exactly as given, correctly signed: only its content is hostile. */
function signRaw(json: string): string {
  const key = createHmac("sha1", secretKey).update("cookie-session").digest();
  const value = `${Buffer.from(json).toString("base64url")}.${Buffer.from([0x65, 0x53, 0xf1, 0x00]).toString("base64url")}`;
  return `${value}.${createHmac("sha1", key).update(value, "latin1").digest("base64url")}`;
}

describe("Flask codec errors", () => {
  it("signing a value Flask cannot hold throws flask-value-invalid", () => {
    const bad: Record<string, FlaskValue>[] = [
      { f: (() => 1) as unknown as FlaskValue },
      { n: 10n as unknown as FlaskValue },
      { d: new Date(Number.NaN) },
      { nested: [{ s: Symbol("x") as unknown as FlaskValue }] },
    ];
    for (const data of bad) {
      assert.throws(() => signFlaskSession(data, { secretKey }), flaskValueInvalid);
    }
  });

  it("a FlaskUuid needs a UUID", () => {
    assert.throws(() => new FlaskUuid("not-a-uuid"), flaskValueInvalid);
    assert.equal(
      new FlaskUuid("{12345678-1234-5678-1234-567812345678}").hex,
      "12345678123456781234567812345678",
    );
  });

  it("untagging a malformed tag payload throws flask-value-invalid", () => {
    for (const tagged of [
      { " t": "not a list" },
      { " b": 1 },
      { " u": "zz" },
      { " di": {} },
      { " di": [1] },
      { " m": null },
    ]) {
      assert.throws(() => fromTaggedJson(tagged), flaskValueInvalid, JSON.stringify(tagged));
    }
    assert.deepEqual(toTaggedJson({ a: [1, "x"] }), { a: [1, "x"] });
  });

  it("a signed cookie with malformed tags is 'malformed', never an exception", () => {
    for (const json of ['{"a":{" t":"x"}}', '{"u":{" u":"zz"}}', '{"d":{" di":{}}}']) {
      const cookie = signRaw(json);
      assert.deepEqual(verifyFlaskSession(cookie, { secretKey, now: T }), {
        valid: false,
        reason: "malformed",
      });
      assert.equal(decodeFlaskSession(cookie), undefined);
    }
    // The same construction with well-formed content verifies, so the cases above fail on content.
    const fine = verifyFlaskSession(signRaw('{"a":{" t":[1]}}'), { secretKey, now: T });
    assert.equal(fine.valid, true);
  });
});
