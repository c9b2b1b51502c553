import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "../../packages/latchkey/src/core/duration.ts";
import {
  createSessions,
  LatchkeyError,
  type SessionsOptions,
} from "../../packages/latchkey/src/index.ts";
import { testSecret } from "../helpers/secrets.ts";

const good = testSecret();

// Each insecure or inconsistent configuration, the code it must fail with, and a piece of the
// message that names the fix.
const refusals: Array<{ name: string; options: SessionsOptions; code: string; message: RegExp }> = [
  {
    name: "no secrets",
    options: { secrets: [] },
    code: "secret-missing",
    message: /at least one random string/,
  },
  {
    name: "secret too short",
    options: { secrets: ["Zq8#kL2!vX9@mN4$"] },
    code: "secret-too-short",
    message: /16 bytes; use at least 32/,
  },
  {
    name: "keyboard cat",
    options: { secrets: ["keyboard cat"] },
    code: "secret-weak",
    message: /well-known example/,
  },
  {
    name: "'secret'",
    options: { secrets: ["secret"] },
    code: "secret-weak",
    message: /Generate a random one/,
  },
  { name: "'dev'", options: { secrets: ["dev"] }, code: "secret-weak", message: /well-known/ },
  {
    name: "'changeme' in any case",
    options: { secrets: ["ChangeMe"] },
    code: "secret-weak",
    message: /well-known/,
  },
  {
    name: "a long but trivial secret",
    options: { secrets: ["a".repeat(64)] },
    code: "secret-weak",
    message: /is one character repeated/,
  },
  {
    name: "32 bytes of one 8-character pattern",
    options: { secrets: ["abcdefgh".repeat(4)] },
    code: "secret-weak",
    message: /one 8-character pattern repeated .*Generate a random one with `node -e/,
  },
  {
    name: "a keyboard walk of 32 characters",
    options: { secrets: ["qwertyuiopasdfghjklzxcvbnm123456"] },
    code: "secret-weak",
    message: /keyboard walks .*crypto\.randomBytes\(32\)/,
  },
  {
    name: "a phrase of common words",
    options: { secrets: ["correct horse battery staple correct horse"] },
    code: "secret-weak",
    message: /common words/,
  },
  {
    name: "a well-known secret with digits appended",
    options: { secrets: ["complex_password_at_least_32_characters_long2024"] },
    code: "secret-weak",
    message: /well-known example secrets/,
  },
  {
    name: "a patterned secret kept for rotation",
    options: { secrets: [good, "passwordpasswordpasswordpassword"] },
    code: "secret-weak",
    message: /^secrets\[1\] is one 8-character pattern repeated/,
  },
  {
    name: "django-insecure placeholder",
    options: { secrets: [`django-insecure-${"x1y2z3".repeat(8)}`] },
    code: "secret-weak",
    message: /well-known/,
  },
  {
    name: "a weak secret later in the list",
    options: { secrets: [good, "keyboard cat"] },
    code: "secret-weak",
    message: /secrets\[1\]/,
  },
  {
    name: "a repeated secret",
    options: { secrets: [good, good] },
    code: "config-invalid",
    message: /repeats/,
  },
  {
    name: "SameSite=None without Secure",
    options: { secrets: [good], cookie: { name: "sid", sameSite: "none", secure: false } },
    code: "samesite-none-insecure",
    message: /needs cookie\.secure: true/,
  },
  {
    name: "secure: false in production",
    options: {
      secrets: [good],
      production: true,
      store: { kind: "cookie" },
      cookie: { name: "sid", secure: false },
    },
    code: "secure-disabled-in-production",
    message: /Remove `secure: false`/,
  },
  {
    name: "__Host- with a Domain",
    options: { secrets: [good], cookie: { domain: "example.com" } },
    code: "cookie-prefix-invalid",
    message: /no Domain/,
  },
  {
    name: "__Host- with a Path",
    options: { secrets: [good], cookie: { path: "/app" } },
    code: "cookie-prefix-invalid",
    message: /Path=\//,
  },
  {
    name: "__host- (any case) without Secure",
    options: { secrets: [good], cookie: { name: "__host-sid", secure: false } },
    code: "cookie-prefix-invalid",
    message: /__Host-/,
  },
  {
    name: "__Secure- without Secure",
    options: { secrets: [good], cookie: { name: "__Secure-sid", secure: false } },
    code: "cookie-prefix-invalid",
    message: /__Secure-/,
  },
  {
    name: "cookie name with a space",
    options: { secrets: [good], cookie: { name: "my session" } },
    code: "cookie-name-invalid",
    message: /non-empty token/,
  },
  {
    name: "cookie name with '='",
    options: { secrets: [good], cookie: { name: "a=b" } },
    code: "cookie-name-invalid",
    message: /token/,
  },
  {
    name: "empty cookie name",
    options: { secrets: [good], cookie: { name: "" } },
    code: "cookie-name-invalid",
    message: /token/,
  },
  {
    name: "idle longer than absolute",
    options: { secrets: [good], idleTimeout: "2h", absoluteTimeout: "1h" },
    code: "timeout-order",
    message: /idleTimeout shorter/,
  },
  {
    name: "lifetime beyond 400 days",
    options: { secrets: [good], absoluteTimeout: "401d", idleTimeout: "1d" },
    code: "lifetime-too-long",
    message: /400 days/,
  },
  {
    name: "a duration that is not one",
    options: { secrets: [good], idleTimeout: "soon" },
    code: "duration-invalid",
    message: /"30m", "24h"/,
  },
  {
    name: "a negative duration",
    options: { secrets: [good], idleTimeout: -5 },
    code: "duration-invalid",
    message: /idleTimeout/,
  },
  {
    name: "an unknown preset",
    options: { secrets: [good], preset: "paranoid" as never },
    code: "preset-unknown",
    message: /nist-aal2/,
  },
  {
    name: "touch interval not shorter than idle",
    options: { secrets: [good], idleTimeout: "5m", touchInterval: "5m" },
    code: "timeout-order",
    message: /touchInterval/,
  },
  {
    name: "no store in production",
    options: { secrets: [good], production: true },
    code: "config-invalid",
    message: /needs a `store` in production/,
  },
  {
    name: "a store that is not one",
    options: { secrets: [good], store: {} as never },
    code: "config-invalid",
    message: /store factory/,
  },
  {
    name: "a Clear-Site-Data value that is not a directive",
    options: { secrets: [good], clearSiteData: ["cookies"] },
    code: "config-invalid",
    message: /quoted directives/,
  },
];

describe("createSessions refuses insecure configuration", () => {
  for (const { name, options, code, message } of refusals) {
    it(`refuses ${name} with ${code}`, () => {
      assert.throws(
        () => createSessions(options),
        (error: unknown) => {
          assert.ok(error instanceof LatchkeyError, "a LatchkeyError");
          assert.equal(error.code, code);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it("never echoes a secret in its message", () => {
    for (const secret of ["hunter2-but-only-twenty-five", "Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3"]) {
      assert.throws(
        () => createSessions({ secrets: [secret] }),
        (error: unknown) =>
          error instanceof LatchkeyError &&
          !error.message.includes(secret) &&
          !error.message.includes("Tr0ub4dor"),
      );
    }
  });
});

describe("createSessions accepts secure configuration", () => {
  const accepted: Array<{ name: string; options: SessionsOptions }> = [
    { name: "defaults", options: { secrets: [good] } },
    { name: "a single secret string", options: { secrets: good } },
    { name: "a preset", options: { secrets: [good], preset: "nist-aal3" } },
    {
      name: "SameSite=None with Secure",
      options: { secrets: [good], cookie: { sameSite: "none" } },
    },
    {
      name: "secure: false in development under a plain name",
      options: { secrets: [good], production: false, cookie: { name: "sid", secure: false } },
    },
    {
      name: "__Secure- with a Domain",
      options: { secrets: [good], cookie: { name: "__Secure-sid", domain: "example.com" } },
    },
    {
      name: "exactly 400 days",
      options: { secrets: [good], absoluteTimeout: "400d", idleTimeout: "30d" },
    },
    {
      name: "durations in milliseconds",
      options: { secrets: [good], absoluteTimeout: 3_600_000, idleTimeout: 600_000 },
    },
  ];
  for (const { name, options } of accepted) {
    it(`accepts ${name}`, () => {
      assert.equal(typeof createSessions(options).load, "function");
    });
  }
});

describe("parseDuration", () => {
  const cases: Array<[string | number, number]> = [
    [1500, 1500],
    ["500ms", 500],
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["24h", 86_400_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
  ];
  for (const [input, ms] of cases) {
    it(`reads ${JSON.stringify(input)} as ${ms} ms`, () =>
      assert.equal(parseDuration(input, "x"), ms));
  }
  for (const bad of [
    "",
    "30",
    "m",
    "1.5h",
    "30 m",
    "-1m",
    "0s",
    "1y",
    0,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () =>
      assert.throws(() => parseDuration(bad, "x"), { code: "duration-invalid" }));
  }
});
