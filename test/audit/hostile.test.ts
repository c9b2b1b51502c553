// fast-check: arbitrary Set-Cookie and header strings never crash the auditor, and never leak
// a cookie value into evidence.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { parseSetCookie } from "../../packages/latchkey-cli/src/audit/set-cookie.ts";
import { bundledCandidates } from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import {
  formatJson,
  formatPretty,
  formatSarif,
} from "../../packages/latchkey-cli/src/report/index.ts";
import { observations, response } from "./fixtures.ts";

const candidates = bundledCandidates().slice(0, 20);
const piece = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    ";",
    "=",
    " ",
    '"',
    ",",
    "\u0000",
    "\r\n",
    "SameSite",
    "samesite=None",
    "Secure",
    "__Host-",
    "__SECURE-",
    "Domain=.",
    "Max-Age=-1",
    "Max-Age=99999999999999999999",
    "Expires=",
    "Partitioned",
    "s%3A",
    "eyJ",
    ".",
    ":",
    "%E0%A4%A",
  ),
);
const headerText = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));
const headerName = fc.constantFrom(
  "strict-transport-security",
  "content-security-policy",
  "cache-control",
  "location",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "content-type",
  "server",
  "x-powered-by",
);

describe("hostile input", () => {
  it("property: parseSetCookie never throws", () => {
    fc.assert(
      fc.property(headerText, (h) => void parseSetCookie(h)),
      { numRuns: 3000 },
    );
  });

  it("property: analyze and every formatter survive arbitrary cookies and headers", () => {
    fc.assert(
      fc.property(
        fc.array(headerText, { maxLength: 6 }),
        fc.dictionary(headerName, headerText),
        headerText,
        fc.constantFrom(
          "https://a.example/",
          "http://127.0.0.1:1/",
          "http://[::1]:8/x",
          "https://xn--80ak6aa92e.com/",
        ),
        (cookies, headers, body, target) => {
          const obs = observations(
            target,
            [response(target, cookies, headers, body)],
            [{ page: target, href: body }],
          );
          obs.corsProbe = {
            origin: "https://x.invalid",
            response: response(target, cookies, headers),
          };
          const { findings } = analyze(obs, { candidates });
          const report = { target, findings };
          JSON.parse(formatJson(report));
          JSON.parse(formatSarif(report, { name: "latchkey", version: "0" }));
          formatPretty(report, { color: true });
          for (const f of findings) {
            assert.equal(typeof f.fix, "string");
            for (const c of cookies) {
              const value = parseSetCookie(c)?.value ?? "";
              // (Unless the same text also came in a header or body, which evidence may quote.)
              const elsewhere = [...Object.values(headers), body].some((h) => h.includes(value));
              if (value.length >= 24 && !elsewhere)
                assert.ok(!f.evidence.includes(value), `${f.id} leaks a value`);
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
