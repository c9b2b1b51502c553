// CSRF tokens over real HTTP, on every adapter: method × content type × token (valid, missing,
// another session's, tampered, replayed unmasked), and the body left readable for the app.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unmaskCsrfToken } from "../../packages/latchkey/src/csrf/tokens.ts";
import {
  BOUNDARY,
  Browser,
  bodyOf,
  CONTENT_TYPES,
  type ContentType,
  json,
  reasonOf,
  setup,
  tamper,
} from "./csrf-client.ts";
import { csrfMounts } from "./csrf-mounts.ts";

const TOKENS = [
  "header",
  "field",
  "missing",
  "earlier response's",
  "another session's",
  "another session's (field)",
  "tampered",
  "unmasked",
] as const;
type TokenCase = (typeof TOKENS)[number];

function expectedForToken(method: string, type: ContentType, token: TokenCase): string | null {
  const formLike = type !== "json" && (type !== "none" || method === "POST");
  if (!formLike) return null;
  const fieldReadable = type === "urlencoded" || type === "multipart";
  switch (token) {
    case "header":
    case "earlier response's":
      return null;
    case "field":
      return fieldReadable ? null : "token-missing";
    case "missing":
      return "token-missing";
    case "another session's (field)":
      return fieldReadable ? "token-invalid" : "token-missing";
    default:
      return "token-invalid";
  }
}

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: CSRF tokens (method × content type × token)`, () => {
    const t = setup(mount);
    it("form-like requests need this session's masked token; others pass on the origin check alone", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const earlier = await t.token(browser);
      const current = await t.token(browser);
      assert.notEqual(earlier, current, "each response masks the token anew");
      const other = new Browser();
      await t.sameOrigin("/count", other);
      const othersToken = await t.token(other);
      const unmasked = (unmaskCsrfToken(current) as Buffer).toString("base64url");

      const failures: string[] = [];
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        for (const type of CONTENT_TYPES) {
          for (const token of TOKENS) {
            const headerToken = {
              header: current,
              "earlier response's": earlier,
              "another session's": othersToken,
              tampered: tamper(current),
              unmasked,
            }[token as string];
            const fieldToken =
              token === "field"
                ? current
                : token === "another session's (field)"
                  ? othersToken
                  : undefined;
            const { body, contentType } = bodyOf(type, fieldToken);
            const headers: Record<string, string> = { "sec-fetch-site": "same-origin" };
            if (contentType !== undefined) headers["content-type"] = contentType;
            if (headerToken !== undefined) headers["x-csrf-token"] = headerToken;
            const reply = await t.send("/echo", { method, browser, headers, body });
            const expected = expectedForToken(method, type, token);
            const actual = reasonOf(reply);
            if (actual !== expected) {
              failures.push(
                `${method} ${type} token=${token}: expected ${expected}, got ${actual}`,
              );
            } else if (actual === null) {
              const sent = typeof body === "string" ? body : new TextDecoder().decode(body);
              if (json(reply).body !== sent)
                failures.push(`${method} ${type} token=${token}: body consumed`);
            }
          }
        }
      }
      assert.deepEqual(failures, []);
    });

    it("reads a _csrf field that comes before a large file, and hands the whole body to the app", async () => {
      const browser = new Browser();
      await t.sameOrigin("/count", browser);
      const token = await t.token(browser);
      const file = "x".repeat(3 * 1024 * 1024);
      const body =
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
        `Content-Type: text/plain\r\n\r\n${file}\r\n--${BOUNDARY}--\r\n`;
      const reply = await t.send("/echo", {
        method: "POST",
        browser,
        headers: {
          "sec-fetch-site": "same-origin",
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
        },
        body,
      });
      assert.equal(reasonOf(reply), null);
      assert.equal(json(reply).body.length, body.length);
    });
  });
}
