import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { allowsInlineScript } from "../../packages/latchkey-cli/src/audit/response-checks.ts";
import { GOOD_HEADERS, observations, response, SESSION_VALUE } from "./fixtures.ts";

const HTTPS = "https://app.example.com/";
const COOKIE = `__Host-sid=${SESSION_VALUE}; Path=/; Secure; HttpOnly; SameSite=Lax`;

function ids(obs: ReturnType<typeof observations>): string[] {
  return analyze(obs, { candidates: [] })
    .findings.map((f) => `${f.severity} ${f.id}`)
    .sort();
}

describe("response checks", () => {
  it("HSTS missing on https is medium; under a year is low", () => {
    const { "strict-transport-security": _, ...noHsts } = GOOD_HEADERS;
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], noHsts)])), [
      "medium hsts-missing",
    ]);
    const short = { ...GOOD_HEADERS, "strict-transport-security": "max-age=86400" };
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], short)])), [
      "low hsts-too-short",
    ]);
  });

  it("CSP missing, or allowing inline script without a nonce or hash", () => {
    const { "content-security-policy": _, ...noCsp } = GOOD_HEADERS;
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], noCsp)])), ["low csp-missing"]);
    const inline = {
      ...GOOD_HEADERS,
      "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
    };
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], inline)])), [
      "low csp-unsafe-inline",
    ]);
    const meta = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`;
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], noCsp, meta)])), []);
  });

  it("allowsInlineScript follows CSP fallback and nonce rules", () => {
    const table: [string, boolean][] = [
      ["default-src 'self'", false],
      ["default-src 'unsafe-inline'", true],
      ["default-src 'self'; script-src 'unsafe-inline' 'nonce-abc'", false],
      ["script-src 'unsafe-inline' 'sha256-abc='", false],
      ["script-src 'unsafe-inline' 'strict-dynamic'", false],
      ["img-src *", true],
      ["script-src 'unsafe-inline', script-src 'self'", false],
      ["SCRIPT-SRC 'UNSAFE-INLINE'", true],
    ];
    for (const [policy, expected] of table)
      assert.equal(allowsInlineScript(policy), expected, policy);
  });

  it("a response setting a session cookie needs Cache-Control: no-store", () => {
    const cached = { ...GOOD_HEADERS, "cache-control": "private, max-age=600" };
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [COOKIE], cached)])), [
      "medium cache-control-missing",
    ]);
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [COOKIE], GOOD_HEADERS)])), []);
    const themeOnly = "theme=dark; Path=/; Secure; HttpOnly; SameSite=Lax";
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [themeOnly], cached)])), []);
  });

  it("credentialed CORS that reflects the probe's Origin is high", () => {
    const origin = "https://abc.latchkey-audit.invalid";
    const obs = observations(HTTPS, [response(HTTPS, [], GOOD_HEADERS)]);
    obs.corsProbe = {
      origin,
      response: response(HTTPS, [], {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
      }),
    };
    assert.deepEqual(ids(obs), ["high cors-credentials-reflected"]);
    obs.corsProbe.response.headers["access-control-allow-origin"] = "https://app.example.com";
    assert.deepEqual(ids(obs), []);
  });

  it("session ids in links and Location headers", () => {
    const link = observations(
      HTTPS,
      [response(HTTPS, [], GOOD_HEADERS)],
      [{ page: HTTPS, href: "/cart;jsessionid=ABCDEF0123456789" }],
    );
    assert.deepEqual(ids(link), ["high session-id-in-url"]);
    const redirect = response(HTTPS, [COOKIE], {
      ...GOOD_HEADERS,
      location: `/next?token=${SESSION_VALUE}`,
    });
    redirect.status = 302;
    const found = analyze(observations(HTTPS, [redirect]), { candidates: [] }).findings;
    assert.deepEqual(
      found.map((f) => f.id),
      ["session-id-in-url"],
    );
    assert.ok(!found[0]!.evidence.includes(SESSION_VALUE));
  });

  it("http://host/ must redirect to https for an https site", () => {
    const obs = observations(HTTPS, [response(HTTPS, [], GOOD_HEADERS)]);
    obs.httpProbe = response("http://app.example.com/", [], {});
    assert.deepEqual(ids(obs), ["medium https-redirect-missing"]);
    obs.httpProbe = {
      ...response("http://app.example.com/", [], { location: "https://app.example.com/" }),
      status: 301,
    };
    assert.deepEqual(ids(obs), []);
  });
});
