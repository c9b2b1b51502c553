// Reading a cookie's value exactly as the header spells it: for latchkey's own values it agrees
// with the cookie library, it never decodes, trims or unquotes, and it stays linear on hostile
// headers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "cookie";
import fc from "fast-check";
import {
  isCanonicalCookieValue,
  rawCookieValue,
} from "../../packages/latchkey/src/core/cookies.ts";

const NAME = "__Host-session";
const canonical = fc.stringMatching(/^[A-Za-z0-9_.-]{0,80}$/);
const otherName = fc.stringMatching(/^[a-z]{1,8}$/);
const otherPair = fc.tuple(otherName, canonical).map(([n, v]) => `${n}=${v}`);

describe("rawCookieValue", () => {
  it("finds the same value as cookie.parse for canonical values among other cookies", () => {
    fc.assert(
      fc.property(
        fc.array(otherPair, { maxLength: 5 }),
        canonical,
        fc.array(otherPair, { maxLength: 5 }),
        fc.constantFrom("; ", ";", ";  "),
        (before, value, afterPairs, separator) => {
          const header = [...before, `${NAME}=${value}`, ...afterPairs].join(separator);
          assert.equal(rawCookieValue(header, NAME), value);
          assert.equal(rawCookieValue(header, NAME), parse(header)[NAME]);
        },
      ),
    );
  });

  it("returns the value as written: no decoding, trimming or unquoting", () => {
    const cases: Array<[string, string | undefined]> = [
      [`${NAME}=%41b`, "%41b"],
      [`${NAME}= ab ; x=1`, " ab "],
      [`${NAME}="ab"`, '"ab"'],
      [`x=1; ${NAME} =ab`, "ab"],
      [`x${NAME}=1; ${NAME}x=2`, undefined],
      [`${NAME}; x=1`, undefined],
      [`a;b;c;${NAME}=v`, "v"],
      ["", undefined],
    ];
    for (const [header, expected] of cases) {
      assert.equal(rawCookieValue(header, NAME), expected, header);
    }
  });

  it("stays linear on a header of many pairs without '='", () => {
    const header = `${"a;".repeat(200_000)}${NAME}=v`;
    const started = performance.now();
    assert.equal(rawCookieValue(header, NAME), "v");
    // Quadratic scanning of this header takes seconds; a linear pass takes a few milliseconds.
    assert.ok(performance.now() - started < 500, "rawCookieValue is not linear");
  });
});

describe("isCanonicalCookieValue", () => {
  it("accepts exactly base64url and '.'", () => {
    for (let code = 0; code < 0x180; code++) {
      const c = String.fromCharCode(code);
      assert.equal(isCanonicalCookieValue(`ab${c}cd`), /[A-Za-z0-9_.-]/.test(c), `U+${code}`);
    }
    assert.equal(isCanonicalCookieValue(""), true);
  });
});
