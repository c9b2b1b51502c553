// Our codec against real Flask (python3), both directions.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  FlaskTuple,
  signFlaskSession,
  toTaggedJson,
  verifyFlaskSession,
} from "../../packages/latchkey/src/flask/index.ts";
import { pythonJsonDumps } from "../../packages/latchkey/src/flask/python-json.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import { flaskSession } from "./arbitraries.ts";
import { askFlask } from "./oracle.ts";

const T = 1_700_000_000;
const secret = "interop secret ✓";
const tagged = (data: Parameters<typeof toTaggedJson>[0]) => pythonJsonDumps(toTaggedJson(data));

describe("Flask interoperability (real Flask via python3)", () => {
  const python = ensurePython({ flask: "flask" });

  it("a fixed vector: Flask writes exactly our cookie", (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const data = { user_id: 42, t: new FlaskTuple([1, "a"]) };
    const [answer] = askFlask([{ op: "sign", secret: "dev", tagged: tagged(data), timestamp: T }]);
    assert.equal(
      answer?.cookie,
      "eyJ0Ijp7IiB0IjpbMSwiYSJdfSwidXNlcl9pZCI6NDJ9.ZVPxAA.9JwNTVOg7BYnnWgS9JJ0bMt51P4",
    );
  });

  it("property: uncompressed cookies are byte-identical to Flask's; compressed ones Flask accepts", (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const samples = fc.sample(flaskSession, { numRuns: 300, seed: 5 });
    const ours = samples.map((data) => signFlaskSession(data, { secretKey: secret, timestamp: T }));
    const flask = askFlask([
      ...samples.map((data) => ({
        op: "sign" as const,
        secret,
        tagged: tagged(data),
        timestamp: T,
      })),
      ...ours.map((cookie) => ({ op: "load" as const, secret, cookie, max_age: null })),
    ]);
    let compressed = 0;
    let decidedDifferently = 0;
    samples.forEach((data, i) => {
      const flaskCookie = flask[i]?.cookie;
      const loaded = flask[samples.length + i];
      assert.equal(
        loaded?.ok,
        true,
        `Flask rejected our cookie for ${tagged(data)}: ${loaded?.error}`,
      );
      assert.equal(loaded?.tagged, tagged(data));
      // zlib builds differ (Node bundles Chromium's), so near the "saves more than one byte"
      // threshold the two may decide differently; both cookies remain valid for both.
      if (ours[i]!.startsWith(".")) compressed++;
      if (ours[i]!.startsWith(".") !== flaskCookie!.startsWith(".")) decidedDifferently++;
      else if (!flaskCookie!.startsWith("."))
        assert.equal(ours[i], flaskCookie, `cookie differs for ${tagged(data)}`);
      // And we read Flask's cookie back to the same value.
      const read = verifyFlaskSession(flaskCookie!, { secretKey: secret, now: T });
      assert.equal(read.valid, true);
      assert.equal(read.valid && tagged(read.data), tagged(data));
    });
    assert.ok(compressed > 10, `only ${compressed} compressed samples`);
    assert.ok(
      decidedDifferently <= samples.length / 20,
      `${decidedDifferently} compression decisions differ`,
    );
  });

  it("Flask honours SECRET_KEY_FALLBACKS for our cookies, and rejects a wrong key or tampering", (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const old = signFlaskSession({ a: 1 }, { secretKey: "old key", timestamp: T });
    const tampered = old.replace(/^eyJ/, "eyK");
    const answers = askFlask([
      { op: "load", secret: "new key", fallbacks: ["old key"], cookie: old, max_age: null },
      { op: "load", secret: "new key", cookie: old, max_age: null },
      { op: "load", secret: "old key", cookie: tampered, max_age: null },
      { op: "load", secret: "old key", cookie: old, max_age: 60 },
    ]);
    assert.deepEqual(answers, [
      { ok: true, tagged: '{"a":1}' },
      { ok: false, error: "BadTimeSignature" }, // itsdangerous' subclass of BadSignature
      { ok: false, error: "BadTimeSignature" },
      { ok: false, error: "SignatureExpired" },
    ]);
  });

  it("we verify Flask's cookies signed under a fallback key", (t) => {
    if (!python.ok) return skipOrFail(t, `python3/Flask not reachable: ${python.reason}`);
    const [answer] = askFlask([
      { op: "sign", secret: "retired", tagged: '{"x":"y"}', timestamp: T },
    ]);
    const result = verifyFlaskSession(answer!.cookie!, {
      secretKey: "current",
      fallbacks: ["retired"],
      now: T,
    });
    assert.equal(result.valid && result.keyIndex, 1);
  });
});
