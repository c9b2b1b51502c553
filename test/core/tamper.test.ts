// Any bit flip, truncation or extension of a session cookie is no session, no exception, and
// exactly one "tampered" event: for server tokens and for sealed cookies. Over real HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { sessionMiddleware } from "../../packages/latchkey/src/adapters/node.ts";
import { createSessions, type SessionEvent } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { CookieJar, listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const modes = { "server token": () => memoryStore(), "sealed cookie": () => cookieStore() };

for (const [mode, store] of Object.entries(modes)) {
  describe(`${mode}: tampering`, () => {
    const events: SessionEvent[] = [];
    let server: RunningServer;
    let valid: string;

    before(async () => {
      const sessions = createSessions({
        secrets: [testSecret()],
        store: store(),
        onEvent: (e) => events.push(e),
      });
      server = await listen(
        sessionMiddleware(sessions, (req, res) => {
          if (req.method === "POST") req.session.set("user" as never, "alice" as never);
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ isNew: req.session.isNew }));
        }),
      );
      const jar = new CookieJar("__Host-session");
      jar.take(await request(server.url, { method: "POST" }));
      valid = jar.value as string;
    });
    after(() => server.close());

    async function presents(value: string) {
      events.length = 0;
      // The value goes into the header as the browser would send it: bytes outside the cookie
      // alphabet are percent-encoded so the request itself stays well-formed.
      const reply = await request(server.url, {
        cookie: `__Host-session=${encodeURIComponent(value)}`,
      });
      return {
        status: reply.status,
        isNew: JSON.parse(reply.body).isNew as boolean,
        events: [...events],
      };
    }

    it("the untouched cookie is a session", async () => {
      const seen = await presents(valid);
      assert.equal(seen.isNew, false);
      assert.deepEqual(seen.events, []);
    });

    const expectTampered = (seen: Awaited<ReturnType<typeof presents>>) => {
      assert.equal(seen.status, 200);
      assert.equal(seen.isNew, true);
      assert.deepEqual(
        seen.events.map((e) => e.type),
        ["tampered"],
      );
    };

    it("any single bit flip", async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 6 }), async (position, bit) => {
          const i = position % valid.length;
          const flipped = String.fromCharCode(valid.charCodeAt(i) ^ (1 << bit));
          expectTampered(await presents(valid.slice(0, i) + flipped + valid.slice(i + 1)));
        }),
        { numRuns: 150 },
      );
    });

    it("any truncation", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), async (cut) => {
          expectTampered(await presents(valid.slice(0, Math.max(1, valid.length - cut))));
        }),
        { numRuns: 60 },
      );
    });

    // Leading and trailing white space is not part of a cookie value (RFC 6265 §5.2 trims it), so
    // extensions are drawn without it.
    it("any extension", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s),
          async (tail) => {
            expectTampered(await presents(valid + tail));
          },
        ),
        { numRuns: 80 },
      );
    });
  });
}
