// CSRF origin checks over real HTTP, on every adapter: method × Sec-Fetch-Site × Origin/Referer,
// each refusal with its reason and a csrf-refused event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Browser, json, reasonOf, setup } from "./csrf-client.ts";
import { csrfMounts } from "./csrf-mounts.ts";

// --- the tables -------------------------------------------------------------------------------

const METHODS = ["POST", "PUT", "PATCH", "DELETE", "GET"] as const;
const SITES = ["same-origin", "same-site", "cross-site", "none", "absent"] as const;

/** Origin/Referer cases, against the server's own origin `http://127.0.0.1:<port>`. */
const ORIGINS: Record<
  string,
  { headers: (own: string) => Record<string, string>; expected: string | null }
> = {
  "own origin": { headers: (own) => ({ origin: own }), expected: null },
  "another site": { headers: () => ({ origin: "https://evil.test" }), expected: "origin-mismatch" },
  "suffix trick": {
    headers: (own) => ({ origin: `${own}.evil.test` }),
    expected: "origin-mismatch",
  },
  "prefix trick": {
    headers: (own) => ({ origin: own.replace("127.0.0.1", "127.0.0.1.evil.test") }),
    expected: "origin-mismatch",
  },
  "https instead of http": {
    headers: (own) => ({ origin: own.replace("http:", "https:") }),
    expected: "origin-mismatch",
  },
  "another port": {
    headers: () => ({ origin: "http://127.0.0.1:1" }),
    expected: "origin-mismatch",
  },
  "null origin": { headers: () => ({ origin: "null" }), expected: "origin-null" },
  "own referer": { headers: (own) => ({ referer: `${own}/form?x=1` }), expected: null },
  "foreign referer": {
    headers: () => ({ referer: "https://evil.test/page" }),
    expected: "referer-mismatch",
  },
  "suffix-trick referer": {
    headers: (own) => ({ referer: `${own.replace("127.0.0.1", "127.0.0.1.evil.test")}/` }),
    expected: "referer-mismatch",
  },
  "garbage referer": { headers: () => ({ referer: "not a url" }), expected: "referer-invalid" },
  "foreign origin, own referer": {
    headers: (own) => ({ origin: "https://evil.test", referer: `${own}/` }),
    expected: "origin-mismatch",
  },
  neither: { headers: () => ({}), expected: "origin-missing" },
};

function expectedForOrigin(method: string, site: string, originCase: string): string | null {
  if (method === "GET") return null; // safe methods are never checked
  if (site === "same-origin") return null;
  if (site === "cross-site") return "cross-site";
  if (site === "same-site") return "same-site-untrusted"; // no sibling configured
  const origin = ORIGINS[originCase];
  assert.ok(origin !== undefined, originCase);
  return origin.expected;
}

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: CSRF origin checks (method × Sec-Fetch-Site × Origin/Referer)`, () => {
    const t = setup(mount);
    it("refuses exactly the cross-origin unsafe requests, with the reason, and emits an event each time", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const own = t.origin();
      const failures: string[] = [];
      let refusals = 0;
      t.events.length = 0;
      for (const method of METHODS) {
        for (const site of SITES) {
          for (const [name, origin] of Object.entries(ORIGINS)) {
            const headers: Record<string, string> = {
              "content-type": "application/json",
              "x-csrf-token": token,
              ...origin.headers(own),
            };
            if (site !== "absent") headers["sec-fetch-site"] = site;
            const reply = await t.send("/echo", {
              method,
              browser,
              headers,
              ...(method === "GET" ? {} : { body: '{"a":1}' }),
            });
            const expected = expectedForOrigin(method, site, name);
            const actual = reasonOf(reply);
            if (actual !== expected) {
              failures.push(`${method} site=${site} ${name}: expected ${expected}, got ${actual}`);
            }
            if (actual !== null) {
              refusals++;
              assert.ok(!reply.body.includes(token), "a refusal never echoes the token");
            } else if (method !== "GET") {
              assert.equal(json(reply).body, '{"a":1}', "the app still reads the whole body");
            }
          }
        }
      }
      assert.deepEqual(failures, []);
      const refused = t.events.filter((e) => e.type === "csrf-refused");
      assert.equal(refused.length, refusals);
      assert.ok(refused.every((e) => typeof e.reason === "string" && e.ref !== undefined));
      assert.ok(!JSON.stringify(t.events).includes(token.slice(0, 20)), "events never hold tokens");
    });
  });
}
