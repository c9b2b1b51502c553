import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { allowsInlineScript } from "../../packages/latchkey-cli/src/audit/csp.ts";
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
      "content-security-policy":
        "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'",
    };
    assert.deepEqual(ids(observations(HTTPS, [response(HTTPS, [], inline)])), [
      "low csp-unsafe-inline",
    ]);
    const meta = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; base-uri 'none'">`;
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

  it("CSP weaknesses: each one alone, from the header or a <meta>", () => {
    const table: [string, string[]][] = [
      ["default-src 'self'; object-src 'none'; base-uri 'none'", []],
      ["default-src 'none'; base-uri 'self'", []],
      [
        "default-src 'self'; object-src 'none'; base-uri 'none'; script-src 'self' 'unsafe-eval'",
        ["csp-unsafe-eval"],
      ],
      ["default-src 'self' 'unsafe-eval'; object-src 'none'; base-uri 'none'", ["csp-unsafe-eval"]],
      // eval() is governed by script-src, not script-src-elem.
      [
        "script-src 'self'; script-src-elem 'self' 'unsafe-eval'; object-src 'none'; base-uri 'none'",
        [],
      ],
      [
        "default-src 'self'; script-src *; object-src 'none'; base-uri 'none'",
        ["csp-script-src-broad"],
      ],
      ["default-src https:; object-src 'none'; base-uri 'none'", ["csp-script-src-broad"]],
      ["script-src 'self' data:; object-src 'none'; base-uri 'none'", ["csp-script-src-broad"]],
      ["script-src https://*; object-src 'none'; base-uri 'none'", ["csp-script-src-broad"]],
      ["script-src https://cdn.example.com; object-src 'none'; base-uri 'none'", []],
      // 'strict-dynamic' with a nonce: CSP 3 browsers ignore the allowlist, and 'unsafe-inline'.
      [
        "script-src 'nonce-r4nd' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'; base-uri 'none'",
        [],
      ],
      [
        "img-src *; object-src 'none'; base-uri 'none'",
        ["csp-script-src-broad", "csp-unsafe-inline"],
      ],
      ["default-src 'self'; base-uri 'none'", ["csp-object-src-missing"]],
      ["default-src 'self'; object-src 'self'; base-uri 'none'", ["csp-object-src-missing"]],
      ["default-src 'self'; object-src; base-uri 'none'", []],
      ["default-src 'self'; object-src 'none'", ["csp-base-uri-missing"]],
      // Two policies both apply: a weakness counts only when neither blocks it.
      ["script-src *, default-src 'self'; object-src 'none'; base-uri 'none'", []],
    ];
    for (const [policy, expected] of table) {
      const headers = { ...GOOD_HEADERS, "content-security-policy": policy };
      const found = ids(observations(HTTPS, [response(HTTPS, [], headers)]));
      assert.deepEqual(found, expected.map((id) => `low ${id}`).sort(), policy);
      const { "content-security-policy": _, ...noCsp } = GOOD_HEADERS;
      const meta = `<meta http-equiv="content-security-policy" content="${policy}">`;
      const fromMeta = ids(observations(HTTPS, [response(HTTPS, [], noCsp, meta)]));
      assert.deepEqual(fromMeta, found, `meta: ${policy}`);
    }
  });

  it("scripts from another origin need integrity; same-origin and relative ones do not", () => {
    const page = (body: string) =>
      ids(observations(HTTPS, [response(HTTPS, [], GOOD_HEADERS, body)]));
    assert.deepEqual(page(`<script src="https://cdn.example.net/lib@1.2.3/lib.min.js"></script>`), [
      "low script-integrity-missing",
    ]);
    assert.deepEqual(page(`<script src=//cdn.example.net/x.js integrity=""></script>`), [
      "low script-integrity-missing",
    ]);
    const pinned = `<script src="https://cdn.example.net/x.js" integrity="sha384-abc" crossorigin="anonymous"></script>`;
    assert.deepEqual(page(pinned), []);
    assert.deepEqual(
      page(`<script src="/static/app.js"></script><script src="${HTTPS}x.js"></script>`),
      [],
    );
    assert.deepEqual(
      page(`<script>inline()</script><link href="https://cdn.example.net/x.css">`),
      [],
    );
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
    // Same host, another port: whoever listens there is not the site's HTTPS.
    obs.httpProbe.headers.location = "https://app.example.com:8443/";
    assert.deepEqual(ids(obs), ["medium https-redirect-missing"]);
    obs.httpProbe.headers.location = "https://evil.example/";
    assert.deepEqual(ids(obs), ["medium https-redirect-missing"]);
    obs.httpProbe.headers.location = "https://app.example.com:443/login";
    assert.deepEqual(ids(obs), []);
    // The configured port is accepted instead of 443.
    obs.httpsPort = 8443;
    obs.httpProbe.headers.location = "https://app.example.com:8443/";
    assert.deepEqual(ids(obs), []);
  });

  it("an http target counts as redirected only to its own host on the expected port", () => {
    const http = "http://app.example.com/";
    const redirect = (location: string) => {
      const first = response(http, [], { location });
      first.status = 302;
      return ids(observations(http, [first, response(HTTPS, [], GOOD_HEADERS)]));
    };
    assert.deepEqual(redirect("https://app.example.com/"), []);
    assert.deepEqual(redirect("https://app.example.com:444/"), ["high https-redirect-missing"]);
    assert.deepEqual(redirect("https://app.example.com.evil.example/"), [
      "high https-redirect-missing",
    ]);
  });
});
