import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import {
  decodeFlaskSession,
  FlaskTuple,
  FlaskUuid,
  Markup,
  signFlaskSession,
  toTaggedJson,
  verifyFlaskSession,
} from "../../packages/latchkey/src/flask/index.ts";
import { pythonJsonDumps } from "../../packages/latchkey/src/flask/python-json.ts";
import { flaskSession } from "./arbitraries.ts";

const secretKey = "a test secret that is only used here";
const T = 1_700_000_000;

describe("signFlaskSession / verifyFlaskSession", () => {
  it("matches a cookie Flask 3.1 wrote (secret 'dev', timestamp 1700000000)", () => {
    // python: app.secret_key="dev"; session["user_id"]=42; session["t"]=(1,"a")
    const cookie = signFlaskSession(
      { user_id: 42, t: new FlaskTuple([1, "a"]) },
      { secretKey: "dev", timestamp: T },
    );
    assert.equal(
      cookie,
      "eyJ0Ijp7IiB0IjpbMSwiYSJdfSwidXNlcl9pZCI6NDJ9.ZVPxAA.9JwNTVOg7BYnnWgS9JJ0bMt51P4",
    );
  });

  it("round-trips every tagged type", () => {
    const data = {
      tuple: new FlaskTuple([1, [2, 3]]),
      bytes: new Uint8Array([0, 255, 10]),
      markup: new Markup("<b>hi</b>"),
      uuid: new FlaskUuid("12345678-1234-5678-1234-567812345678"),
      when: new Date(Date.UTC(2024, 1, 29, 12, 30, 15)),
      " t": "a dict whose key looks like a tag",
    };
    const result = verifyFlaskSession(signFlaskSession(data, { secretKey }), { secretKey });
    assert.equal(result.valid, true);
    assert.deepEqual(result.valid && result.data, { ...data, bytes: new Uint8Array([0, 255, 10]) });
  });

  it("accepts SECRET_KEY_FALLBACKS and says which key matched", () => {
    const cookie = signFlaskSession({ a: 1 }, { secretKey: "old key" });
    const result = verifyFlaskSession(cookie, {
      secretKey: "new key",
      fallbacks: ["older key", "old key"],
    });
    assert.equal(result.valid && result.keyIndex, 2);
    assert.deepEqual(verifyFlaskSession(cookie, { secretKey: "new key" }), {
      valid: false,
      reason: "bad-signature",
    });
  });

  it("rejects expired and future-dated cookies like itsdangerous", () => {
    const cookie = signFlaskSession({ a: 1 }, { secretKey, timestamp: T });
    assert.equal(verifyFlaskSession(cookie, { secretKey, now: T + 31 * 86400 }).valid, true);
    assert.deepEqual(verifyFlaskSession(cookie, { secretKey, now: T + 31 * 86400 + 1 }), {
      valid: false,
      reason: "expired",
    });
    assert.deepEqual(verifyFlaskSession(cookie, { secretKey, now: T - 1 }), {
      valid: false,
      reason: "expired",
    });
    assert.equal(
      verifyFlaskSession(cookie, { secretKey, now: T + 1e9, maxAge: Number.POSITIVE_INFINITY })
        .valid,
      true,
    );
  });

  it("compresses like Flask when that saves more than one byte", () => {
    const cookie = signFlaskSession({ text: "x".repeat(200) }, { secretKey });
    assert.ok(cookie.startsWith("."));
    assert.equal(decodeFlaskSession(cookie)?.compressed, true);
    assert.equal(signFlaskSession({ a: 1 }, { secretKey }).startsWith("."), false);
  });

  it("detects any single-character change", () => {
    fc.assert(
      fc.property(flaskSession, fc.nat(), fc.constantFrom(..."AZaz09-_."), (data, at, ch) => {
        const cookie = signFlaskSession(data, { secretKey, timestamp: T });
        const i = at % cookie.length;
        fc.pre(cookie[i] !== ch);
        const tampered = cookie.slice(0, i) + ch + cookie.slice(i + 1);
        const result = verifyFlaskSession(tampered, { secretKey, now: T });
        // base64 has slack bits at the end of a segment; a change there may still decode equal.
        if (result.valid)
          assert.equal(
            pythonJsonDumps(toTaggedJson(result.data)),
            pythonJsonDumps(toTaggedJson(data)),
          );
      }),
      { numRuns: 300 },
    );
  });

  it("property: verify(sign(x)) gives x back", () => {
    fc.assert(
      fc.property(flaskSession, (data) => {
        const result = verifyFlaskSession(signFlaskSession(data, { secretKey, timestamp: T }), {
          secretKey,
          now: T,
        });
        assert.equal(result.valid, true);
        assert.equal(
          pythonJsonDumps(toTaggedJson(result.valid ? result.data : {})),
          pythonJsonDumps(toTaggedJson(data)),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("hostile cookies", () => {
  it("property: arbitrary strings never throw", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.stringMatching(/^\.?[A-Za-z0-9_.-]{0,80}$/),
        ),
        (s) => {
          decodeFlaskSession(s);
          const result = verifyFlaskSession(s, { secretKey });
          assert.equal(result.valid, false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses a zlib bomb instead of inflating it", () => {
    const bomb = `.${deflateSync(Buffer.alloc(50 * 1024 * 1024, 0x20)).toString("base64url")}`;
    assert.equal(decodeFlaskSession(`${bomb}.ZVPxAA.sig`), undefined);
  });

  it("treats malformed tags as malformed, and unreadable dates as None (like werkzeug)", () => {
    const forge = (json: string) =>
      signFlaskSession({}, { secretKey }).replace(
        /^[^.]+/,
        Buffer.from(json).toString("base64url"),
      );
    assert.equal(decodeFlaskSession(forge('{"a":{" u":"not-a-uuid"}}')), undefined);
    assert.equal(decodeFlaskSession(forge('{" t":[1]}')), undefined);
    assert.deepEqual(decodeFlaskSession(forge('{"a":{" d":"yesterday"}}'))?.data, { a: null });
  });
});
