import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { GOOD_HEADERS, observations, response, SESSION_VALUE } from "./fixtures.ts";

const NOW = Date.UTC(2026, 0, 1);
const HTTPS = "https://app.example.com/";

/** Findings for one Set-Cookie header on an otherwise well-configured https page. */
function findingsFor(setCookie: string, target = HTTPS): string[] {
  const obs = observations(target, [response(target, [setCookie], GOOD_HEADERS)]);
  return analyze(obs, { candidates: [], now: NOW })
    .findings.map((f) => `${f.severity} ${f.id}`)
    .sort();
}

const S = `sid=${SESSION_VALUE}`;
const GOOD = "Path=/; Secure; HttpOnly; SameSite=Lax";

describe("cookie checks (table)", () => {
  const cases: [string, string, string[]][] = [
    ["a well-configured __Host- session cookie", `__Host-sid=${SESSION_VALUE}; ${GOOD}`, []],
    ["session cookie without the prefix", `${S}; ${GOOD}`, ["low cookie-prefix-missing"]],
    [
      "session cookie without Secure",
      `__Host-sid=${SESSION_VALUE}; Path=/; HttpOnly; SameSite=Lax`,
      ["high cookie-missing-secure", "medium cookie-prefix-invalid"],
    ],
    [
      "session cookie without HttpOnly",
      `__Host-sid=${SESSION_VALUE}; Path=/; Secure; SameSite=Lax`,
      ["high cookie-missing-httponly"],
    ],
    [
      "theme cookie without HttpOnly, Secure or SameSite",
      "theme=dark",
      ["low cookie-missing-httponly", "low cookie-missing-secure", "low cookie-samesite-missing"],
    ],
    ["CSRF cookie is readable by design", "csrftoken=abc; Path=/; Secure; SameSite=Lax", []],
    [
      "session cookie without SameSite",
      `__Host-sid=${SESSION_VALUE}; Path=/; Secure; HttpOnly`,
      ["medium cookie-samesite-missing"],
    ],
    [
      "invalid SameSite value",
      `__Host-sid=${SESSION_VALUE}; Path=/; Secure; HttpOnly; SameSite=Lux`,
      ["medium cookie-samesite-invalid"],
    ],
    [
      "conflicting duplicate SameSite",
      `__Host-sid=${SESSION_VALUE}; Path=/; Secure; HttpOnly; SameSite=Strict; samesite=None`,
      ["low cookie-samesite-none", "medium cookie-samesite-invalid"],
    ],
    [
      "SameSite in odd case is still valid",
      `__Host-sid=${SESSION_VALUE}; path=/; SECURE; httponly; samesite=STRICT`,
      [],
    ],
    [
      "SameSite=None without Secure",
      `sid=${SESSION_VALUE}; Path=/; HttpOnly; SameSite=None`,
      [
        "high cookie-missing-secure",
        "high cookie-samesite-none-insecure",
        "low cookie-prefix-missing",
      ],
    ],
    [
      "SameSite=None with Secure on a session cookie",
      `__Host-sid=${SESSION_VALUE}; Path=/; Secure; HttpOnly; SameSite=None`,
      ["low cookie-samesite-none"],
    ],
    [
      "__Host- with a Domain and another Path",
      `__Host-sid=${SESSION_VALUE}; Path=/app; Domain=app.example.com; ${GOOD.replace("Path=/; ", "")}`,
      ["low cookie-domain-broad", "medium cookie-prefix-invalid"],
    ],
    [
      "__host- prefix is case-insensitive",
      `__HOST-sid=${SESSION_VALUE}; Secure; HttpOnly; SameSite=Lax`,
      ["medium cookie-prefix-invalid"],
    ],
    [
      "__Secure- without Secure",
      "__Secure-pref=1; Path=/; HttpOnly; SameSite=Lax",
      ["low cookie-missing-secure", "medium cookie-prefix-invalid"],
    ],
    [
      "Partitioned without Secure",
      "__Host-x=1; Path=/; HttpOnly; SameSite=None; Partitioned",
      [
        "low cookie-missing-secure",
        "low cookie-partitioned-insecure",
        "medium cookie-prefix-invalid",
        "medium cookie-samesite-none-insecure",
      ],
    ],
    [
      "Domain of the parent domain",
      `${S}; ${GOOD}; Domain=.example.com`,
      ["low cookie-prefix-missing", "medium cookie-domain-broad"],
    ],
    [
      "persistent session cookie, 30 days",
      `__Host-sid=${SESSION_VALUE}; ${GOOD}; Max-Age=2592000`,
      ["low cookie-lifetime-long"],
    ],
    ["persistent session cookie, 1 hour", `__Host-sid=${SESSION_VALUE}; ${GOOD}; Max-Age=3600`, []],
    [
      "any cookie beyond 400 days (Expires)",
      `theme=dark; ${GOOD}; Expires=Wed, 01 Jan 2031 00:00:00 GMT`,
      ["low cookie-lifetime-long"],
    ],
    [
      "Max-Age wins over Expires",
      `theme=dark; ${GOOD}; Expires=Wed, 01 Jan 2031 00:00:00 GMT; Max-Age=60`,
      [],
    ],
    ["a deletion is not judged", "sid=; Path=/; Max-Age=0", []],
    ["name+value over 4096 bytes", `big=${"a".repeat(4100)}; ${GOOD}`, ["low cookie-too-large"]],
    [
      "an attribute over 1024 bytes",
      `theme=dark; ${GOOD}; Comment=${"c".repeat(1100)}`,
      ["low cookie-too-large"],
    ],
    [
      "framework-default name",
      `JSESSIONID=${SESSION_VALUE}; ${GOOD}`,
      ["low cookie-name-fingerprint", "low cookie-prefix-missing"],
    ],
    [
      "session cookie by entropy alone",
      `x=${SESSION_VALUE}; Path=/; Secure; SameSite=Lax`,
      ["high cookie-missing-httponly", "low cookie-prefix-missing"],
    ],
  ];
  for (const [name, header, expected] of cases) {
    it(name, () => assert.deepEqual(findingsFor(header), expected.sort()));
  }

  it("transport findings on a plain-http loopback target are info", () => {
    const target = "http://127.0.0.1:8080/";
    assert.deepEqual(
      findingsFor(`__Host-sid=${SESSION_VALUE}; Path=/; HttpOnly; SameSite=Lax`, target),
      [
        "info cookie-missing-secure",
        "info hsts-missing",
        "info https-redirect-missing",
        "medium cookie-prefix-invalid",
      ],
    );
  });

  it("plain http on a public host is judged in full", () => {
    assert.deepEqual(
      findingsFor(`__Host-sid=${SESSION_VALUE}; ${GOOD}`, "http://app.example.com/"),
      ["high https-redirect-missing"],
    );
  });

  it("flags a cookie set twice in one response", () => {
    const obs = observations(HTTPS, [
      response(HTTPS, [`__Host-a=1; ${GOOD}`, `__Host-a=2; ${GOOD}`], GOOD_HEADERS),
    ]);
    const ids = analyze(obs, { candidates: [], now: NOW }).findings.map((f) => f.id);
    assert.deepEqual(ids, ["cookie-duplicate-name"]);
  });

  it("never prints a whole cookie value", () => {
    const obs = observations(HTTPS, [response(HTTPS, [`sid=${SESSION_VALUE}`], {})]);
    for (const f of analyze(obs, { candidates: [], now: NOW }).findings) {
      assert.ok(!f.evidence.includes(SESSION_VALUE), `${f.id}: ${f.evidence}`);
    }
  });
});
