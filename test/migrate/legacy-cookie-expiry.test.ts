// How withMigration expires the legacy cookie: a browser drops a `__Secure-`/`__Host-` cookie
// without Secure, the expiring one too, which left a signed legacy cookie in the jar to be
// imported again after a revocation (test/browser/cutover-flask.test.ts shows it in Chromium).
// Names that cannot work are refused at startup.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSessions, isLatchkeyError } from "../../packages/latchkey/src/index.ts";
import { type LegacyReader, withMigration } from "../../packages/latchkey/src/migrate/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { parseSetCookie } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

/** A reader whose cookie `name` holding "genuine" is alice's session. */
function readerFor(name: string): LegacyReader {
  return {
    cookieNames: [name],
    async read(cookies) {
      return cookies.get(name) === "genuine"
        ? { outcome: "found", session: { userId: "alice", data: {}, persistent: false } }
        : { outcome: "absent" };
    },
  };
}

function migrating(name: string, legacyCookie?: { path?: string; domain?: string }) {
  return withMigration(createSessions({ secrets: [testSecret()], store: memoryStore() }), {
    from: readerFor(name),
    legacyCookie,
  });
}

/** The Set-Cookie line expiring the legacy cookie on the request that migrates it. */
async function expiryLine(name: string, legacyCookie?: { path?: string; domain?: string }) {
  const sessions = migrating(name, legacyCookie);
  const session = await sessions.load({ cookie: `${name}=genuine` });
  assert.equal(session.userId, "alice");
  const headers = await sessions.commit(session);
  const lines = (headers?.alsoSetCookie ?? []).map(parseSetCookie);
  assert.equal(lines.length, 1);
  const line = lines[0] as ReturnType<typeof parseSetCookie>;
  assert.equal(line.name, name);
  assert.equal(line.value, "");
  assert.equal(line.attributes.get("max-age"), "0");
  return line;
}

describe("the legacy cookie's expiry", () => {
  const cases: Array<{ name: string; secure: boolean }> = [
    { name: "connect.sid", secure: false },
    { name: "session", secure: false },
    { name: "__Host-flask", secure: true },
    { name: "__Secure-sid", secure: true },
    // Browsers match the prefixes without regard to case.
    { name: "__host-sid", secure: true },
    { name: "__SECURE-sid", secure: true },
    // Not a prefix: no leading double underscore.
    { name: "_Host-sid", secure: false },
  ];
  for (const { name, secure } of cases) {
    it(`${name}: ${secure ? "Secure, as browsers demand of the prefix" : "as it was set"}`, async () => {
      const line = await expiryLine(name);
      assert.equal(line.attributes.has("secure"), secure);
      assert.equal(line.attributes.get("path"), "/");
      assert.equal(line.attributes.has("domain"), false);
    });
  }

  it("keeps the configured path and domain, which a __Secure- cookie may have", async () => {
    const line = await expiryLine("__Secure-sid", { path: "/app", domain: "example.com" });
    assert.equal(line.attributes.get("path"), "/app");
    assert.equal(line.attributes.get("domain"), "example.com");
    assert.equal(line.attributes.has("secure"), true);
  });

  it("refuses, at startup, a legacy cookie of latchkey's own name", () => {
    assert.throws(
      () => migrating("__Host-session"),
      (error) =>
        isLatchkeyError(error, "cookie-name-invalid") && /another name/.test(error.message),
    );
  });

  it("refuses, at startup, a __Host- legacy cookie with a path or a domain", () => {
    for (const legacyCookie of [{ path: "/app" }, { domain: "example.com" }]) {
      assert.throws(
        () => migrating("__Host-flask", legacyCookie),
        (error) => isLatchkeyError(error, "cookie-prefix-invalid"),
      );
    }
  });
});
