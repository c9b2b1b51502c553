// Which app-set Cache-Control values already keep a logged-in response out of shared caches
// (RFC 9111 §5.2.2): those are left alone, every other one is replaced with no-store.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keepsSharedCachesOut } from "../../packages/latchkey/src/adapters/kit/cache-control.ts";

describe("keepsSharedCachesOut", () => {
  const cases: Array<[string, boolean]> = [
    ["no-store", true],
    ["NO-STORE", true],
    ["private", true],
    ["private, no-cache", true],
    ["max-age=0 , private", true],
    ["no-cache, no-store, must-revalidate", true],
    ["", false],
    ["public", false],
    ["public, max-age=600", false],
    ["max-age=3600", false],
    ["s-maxage=60", false],
    ["no-cache", false],
    ["must-revalidate", false],
    ['private="set-cookie"', false],
    ['private="set-cookie", max-age=60', false],
    ['no-cache="x, no-store, y"', false],
    ['no-cache="x, private", public', false],
    ['no-cache="a\\", private", public', false],
    ['no-cache="unterminated, private', false],
    ["no-store-please", false],
    ["privately", false],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected ? "left alone" : "replaced"}`, () => {
      assert.equal(keepsSharedCachesOut(value), expected);
    });
  }
});
