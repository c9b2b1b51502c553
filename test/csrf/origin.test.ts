// The origin half of the CSRF decision, as a table (OWASP CSRF cheat sheet: Fetch Metadata, then
// Origin, then Referer; exact matches only).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  checkOrigin,
  type OriginFacts,
  originOf,
  requestOriginOf,
} from "../../packages/latchkey/src/csrf/origin.ts";

const SELF = "https://example.com";
const derived = { configured: new Set<string>(), deriveFromRequest: true, allowMissing: false };
const configured = {
  configured: new Set(["https://example.com", "https://admin.example.com"]),
  deriveFromRequest: false,
  allowMissing: false,
};

const rows: [string, Partial<OriginFacts>, typeof derived, string | null][] = [
  ["fetch metadata same-origin", { secFetchSite: "same-origin" }, derived, null],
  ["fetch metadata, any case", { secFetchSite: " Same-Origin " }, derived, null],
  [
    "cross-site, even with our Origin",
    { secFetchSite: "cross-site", origin: SELF },
    derived,
    "cross-site",
  ],
  [
    "same-site without configured siblings",
    { secFetchSite: "same-site", origin: "https://blog.example.com" },
    derived,
    "same-site-untrusted",
  ],
  [
    "same-site from a configured sibling",
    { secFetchSite: "same-site", origin: "https://admin.example.com" },
    configured,
    null,
  ],
  [
    "same-site from another sibling",
    { secFetchSite: "same-site", origin: "https://blog.example.com" },
    configured,
    "same-site-untrusted",
  ],
  [
    "unknown fetch metadata",
    { secFetchSite: "same-party", origin: SELF },
    derived,
    "fetch-metadata-invalid",
  ],
  ["none falls through to Origin", { secFetchSite: "none", origin: SELF }, derived, null],
  [
    "none with a foreign Origin",
    { secFetchSite: "none", origin: "https://evil.test" },
    derived,
    "origin-mismatch",
  ],
  ["own Origin", { origin: SELF }, derived, null],
  ["null Origin", { origin: "null" }, derived, "origin-null"],
  ["suffix trick", { origin: "https://example.com.evil.test" }, derived, "origin-mismatch"],
  ["lookalike prefix", { origin: "https://evilexample.com" }, derived, "origin-mismatch"],
  ["subdomain", { origin: "https://a.example.com" }, derived, "origin-mismatch"],
  ["scheme", { origin: "http://example.com" }, derived, "origin-mismatch"],
  ["port", { origin: "https://example.com:8443" }, derived, "origin-mismatch"],
  [
    "explicit default port is not how browsers serialize",
    { origin: "https://example.com:443" },
    derived,
    "origin-mismatch",
  ],
  ["trailing slash", { origin: "https://example.com/" }, derived, "origin-mismatch"],
  ["userinfo trick", { origin: "https://example.com@evil.test" }, derived, "origin-mismatch"],
  [
    "Origin wins over Referer",
    { origin: "https://evil.test", referer: `${SELF}/x` },
    derived,
    "origin-mismatch",
  ],
  ["own Referer", { referer: `${SELF}/a/b?c#d` }, derived, null],
  ["Referer with default port", { referer: "https://example.com:443/" }, derived, null],
  ["foreign Referer", { referer: "https://evil.test/" }, derived, "referer-mismatch"],
  [
    "Referer suffix trick",
    { referer: "https://example.com.evil.test/" },
    derived,
    "referer-mismatch",
  ],
  [
    "Referer userinfo trick",
    { referer: "https://example.com@evil.test/" },
    derived,
    "referer-mismatch",
  ],
  ["relative Referer", { referer: "/path" }, derived, "referer-invalid"],
  ["non-http Referer", { referer: "file:///etc/passwd" }, derived, "referer-invalid"],
  ["neither", {}, derived, "origin-missing"],
  ["empty headers", { origin: "", referer: "" }, derived, "origin-missing"],
  ["configured origin", { origin: "https://admin.example.com" }, configured, null],
  [
    "request origin is not allowed when origins are configured",
    { origin: "https://other.example" },
    configured,
    "origin-mismatch",
  ],
];

describe("checkOrigin", () => {
  for (const [name, facts, policy, expected] of rows) {
    it(`${name}: ${expected ?? "passes"}`, () => {
      const full: OriginFacts = { secFetchSite: null, origin: null, referer: null, ...facts };
      assert.equal(checkOrigin(policy, full, SELF), expected);
    });
  }

  it("allowMissing lets a request without Origin/Referer pass this step", () => {
    const policy = { ...derived, allowMissing: true };
    assert.equal(
      checkOrigin(policy, { secFetchSite: null, origin: null, referer: null }, SELF),
      null,
    );
  });

  it("without a derivable request origin nothing matches", () => {
    assert.equal(
      checkOrigin(derived, { secFetchSite: null, origin: "null", referer: null }, null),
      "origin-null",
    );
    assert.equal(
      checkOrigin(derived, { secFetchSite: null, origin: SELF, referer: null }, null),
      "origin-mismatch",
    );
  });
});

describe("requestOriginOf", () => {
  const rows: [string, Parameters<typeof requestOriginOf>, string | null][] = [
    ["plain http", [{ protocol: "http", host: "127.0.0.1:3000" }, null], "http://127.0.0.1:3000"],
    ["tls", [{ protocol: "https", host: "example.com" }, null], "https://example.com"],
    [
      "default port dropped",
      [{ protocol: "https", host: "example.com:443" }, null],
      "https://example.com",
    ],
    ["host lower-cased", [{ protocol: "https", host: "EXAMPLE.com" }, null], "https://example.com"],
    ["no host", [{ protocol: "http", host: undefined }, null], null],
    [
      "forwarded (trusted)",
      [
        { protocol: "http", host: "10.0.0.2:8080" },
        { proto: "https", host: "example.com" },
      ],
      "https://example.com",
    ],
    [
      "first of a forwarded list",
      [
        { protocol: "http", host: "x" },
        { proto: "https, http", host: "example.com, proxy" },
      ],
      "https://example.com",
    ],
    [
      "bad forwarded proto ignored",
      [
        { protocol: "http", host: "example.com" },
        { proto: "gopher", host: null },
      ],
      "http://example.com",
    ],
  ];
  for (const [name, args, expected] of rows) {
    it(name, () => assert.equal(requestOriginOf(...args), expected));
  }
});

describe("originOf", () => {
  it("serializes http(s) URLs and refuses the rest", () => {
    assert.equal(originOf("https://Example.COM:443/x"), "https://example.com");
    assert.equal(originOf("javascript:alert(1)"), null);
    assert.equal(originOf("not a url"), null);
  });
});

describe("checkOrigin properties", () => {
  const noMetadata = { secFetchSite: null, referer: null };
  it("an Origin other than the allowed one never passes, whatever its spelling", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl().map((url) => new URL(url).origin),
          fc.constantFrom(
            "",
            "https://example.com ",
            "HTTPS://EXAMPLE.COM",
            "https://example.com.",
          ),
        ),
        (origin) => {
          fc.pre(origin.trim() !== SELF && origin.trim() !== "");
          return checkOrigin(derived, { ...noMetadata, origin }, SELF) !== null;
        },
      ),
    );
  });

  it("a Referer from another origin never passes", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })),
        (referer) => {
          fc.pre(originOf(referer.trim()) !== SELF && referer.trim() !== "");
          return checkOrigin(derived, { secFetchSite: null, origin: null, referer }, SELF) !== null;
        },
      ),
    );
  });

  it("Sec-Fetch-Site values other than same-origin/none never pass on their own", () => {
    fc.assert(
      fc.property(fc.string(), (site) => {
        const normalized = site.trim().toLowerCase();
        fc.pre(normalized !== "same-origin" && normalized !== "none" && normalized !== "");
        return (
          checkOrigin(derived, { secFetchSite: site, origin: SELF, referer: null }, SELF) !== null
        );
      }),
    );
  });
});
