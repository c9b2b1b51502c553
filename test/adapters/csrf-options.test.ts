// csrfMiddleware options over real HTTP, on every adapter: requireToken "always",
// rejectSimpleContentTypes, allowedOrigins (suffix tricks, trusted siblings), trustProxy,
// methods (opting GET in), allowMissingOrigin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Browser, bodyOf, CONTENT_TYPES, reasonOf, setup, tamper } from "./csrf-client.ts";
import { csrfMounts } from "./csrf-mounts.ts";

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: CSRF options`, () => {
    describe("requireToken: always", () => {
      const t = setup(mount, { requireToken: "always" });
      it("JSON requests need the token too", async () => {
        const browser = new Browser();
        await t.send("/csrf-token", { browser });
        const token = await t.token(browser);
        const post = (headers: Record<string, string>) =>
          t.send("/echo", {
            method: "PUT",
            browser,
            headers: {
              "sec-fetch-site": "same-origin",
              "content-type": "application/json",
              ...headers,
            },
            body: "{}",
          });
        assert.equal(reasonOf(await post({})), "token-missing");
        assert.equal(reasonOf(await post({ "x-csrf-token": tamper(token) })), "token-invalid");
        assert.equal(reasonOf(await post({ "x-csrf-token": token })), null);
      });
    });

    describe("rejectSimpleContentTypes", () => {
      const t = setup(mount, { rejectSimpleContentTypes: true });
      it("only non-simple content types pass, whatever the token", async () => {
        const browser = new Browser();
        await t.send("/csrf-token", { browser });
        const token = await t.token(browser);
        for (const type of CONTENT_TYPES) {
          const { body, contentType } = bodyOf(type, token);
          const headers: Record<string, string> = {
            "sec-fetch-site": "same-origin",
            "x-csrf-token": token,
          };
          if (contentType !== undefined) headers["content-type"] = contentType;
          const reply = await t.send("/echo", { method: "POST", browser, headers, body });
          assert.equal(reasonOf(reply), type === "json" ? null : "content-type-refused", type);
        }
      });
    });

    describe("allowedOrigins with a trusted sibling", () => {
      const t = setup(mount, {
        allowedOrigins: ["https://app.example.com", "https://admin.example.com"],
      });
      const cases: [string, Record<string, string>, string | null][] = [
        ["configured origin", { origin: "https://app.example.com" }, null],
        ["second configured origin", { origin: "https://admin.example.com" }, null],
        ["suffix trick", { origin: "https://app.example.com.evil.test" }, "origin-mismatch"],
        ["lookalike", { origin: "https://evilapp.example.com" }, "origin-mismatch"],
        ["scheme", { origin: "http://app.example.com" }, "origin-mismatch"],
        ["port", { origin: "https://app.example.com:8443" }, "origin-mismatch"],
        ["trailing slash", { origin: "https://app.example.com/" }, "origin-mismatch"],
        ["the request's own origin is not configured", { origin: "OWN" }, "origin-mismatch"],
        ["referer from configured origin", { referer: "https://app.example.com/x" }, null],
        [
          "same-site, listed sibling",
          { "sec-fetch-site": "same-site", origin: "https://admin.example.com" },
          null,
        ],
        [
          "same-site, unlisted sibling",
          { "sec-fetch-site": "same-site", origin: "https://blog.example.com" },
          "same-site-untrusted",
        ],
        ["same-site, no origin", { "sec-fetch-site": "same-site" }, "same-site-untrusted"],
        [
          "unknown fetch metadata",
          { "sec-fetch-site": "cross-origin", origin: "https://app.example.com" },
          "fetch-metadata-invalid",
        ],
      ];
      for (const [name, headers, expected] of cases) {
        it(`${name}: ${expected ?? "passes"}`, async () => {
          const sent = { ...headers };
          if (sent.origin === "OWN") sent.origin = t.origin();
          const reply = await t.send("/echo", {
            method: "POST",
            headers: { ...sent, "content-type": "application/json" },
            body: "{}",
          });
          assert.equal(reasonOf(reply), expected);
        });
      }
    });

    describe("behind a proxy", () => {
      const plain = setup(mount);
      const trusting = setup(mount, { trustProxy: true });
      const forwarded = {
        origin: "https://app.example.com",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "app.example.com",
        "content-type": "application/json",
      };
      it("X-Forwarded-* are ignored unless trustProxy is set", async () => {
        const reply = await plain.send("/echo", { method: "POST", headers: forwarded, body: "{}" });
        assert.equal(reasonOf(reply), "origin-mismatch");
      });
      it("with trustProxy the forwarded scheme and host are the request's origin", async () => {
        assert.equal(
          reasonOf(
            await trusting.send("/echo", { method: "POST", headers: forwarded, body: "{}" }),
          ),
          null,
        );
        const spoofed = { ...forwarded, "x-forwarded-host": "evil.test" };
        assert.equal(
          reasonOf(await trusting.send("/echo", { method: "POST", headers: spoofed, body: "{}" })),
          "origin-mismatch",
        );
      });
    });

    describe("methods: opting a GET route in", () => {
      const t = setup(mount, { methods: ["GET", "POST"] });
      it("checks GET; leaves DELETE alone when not listed", async () => {
        assert.equal(
          reasonOf(await t.send("/echo", { headers: { "sec-fetch-site": "cross-site" } })),
          "cross-site",
        );
        assert.equal(
          reasonOf(
            await t.send("/echo", {
              method: "DELETE",
              headers: { "sec-fetch-site": "cross-site" },
            }),
          ),
          null,
        );
      });
    });

    describe("allowMissingOrigin", () => {
      const t = setup(mount, { allowMissingOrigin: true });
      it("lets a request without Origin/Referer through the origin check, not past the token check", async () => {
        const browser = new Browser();
        await t.send("/csrf-token", { browser });
        const token = await t.token(browser);
        const json_ = await t.send("/echo", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        assert.equal(reasonOf(json_), null);
        const form = (extra: Record<string, string>) =>
          t.send("/echo", {
            method: "POST",
            browser,
            headers: { "content-type": "application/x-www-form-urlencoded", ...extra },
            body: "a=1",
          });
        assert.equal(reasonOf(await form({})), "token-missing");
        assert.equal(reasonOf(await form({ "x-csrf-token": token })), null);
      });
    });
  });
}
