// The store fails after the application has answered, while node:http holds its end() back for
// the session's write: a first write, a plain write, or a periodic rotation (its new entry or its
// claim). The request must still get an answer (the 503, or the application's onRefused page),
// never hang until the client gives up.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as nodeAdapter from "../../packages/latchkey/src/adapters/node.ts";
import { createSessions, type SessionData } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { Store } from "../../packages/latchkey/src/stores/types.ts";
import { fakeClock, MINUTE } from "../helpers/clock.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

const COOKIE = "__Host-session";
type Operation = "create" | "createWithinLimit" | "update" | "claim";
type Values = SessionData & { n?: string };

/** A memory store whose chosen operations reject, as a driver does when its server went away. */
function switchableStore(): { store: Store; failing: Set<Operation> } {
  const inner = memoryStore();
  const failing = new Set<Operation>();
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const member = Reflect.get(target, name, receiver);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) =>
        failing.has(name as Operation)
          ? Promise.reject(new Error("connection refused"))
          : member.apply(target, args);
    },
  });
  return { store, failing };
}

async function post(
  base: string,
  path: string,
  cookie?: string,
): Promise<{ status: number; body: string; cookie: string | undefined }> {
  const res = await fetch(base + path, {
    method: "POST",
    headers: cookie === undefined ? {} : { cookie: `${COOKIE}=${cookie}` },
    // Far above what a failing write takes: running into it means the request hung.
    signal: AbortSignal.timeout(3_000),
  });
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${COOKIE}=`));
  return {
    status: res.status,
    body: await res.text(),
    cookie: line?.slice(COOKIE.length + 1, line.indexOf(";")),
  };
}

const variants: Record<string, nodeAdapter.NodeSessionOptions> = {
  "without onRefused": {},
  "with an onRefused that leaves the answer to latchkey": { onRefused: () => undefined },
};

for (const [variant, options] of Object.entries(variants)) {
  describe(`node:http, the store failing while the session is saved (${variant})`, () => {
    const clock = fakeClock();
    const { store, failing } = switchableStore();
    let app: RunningServer;

    before(async () => {
      const sessions = createSessions<Values>({
        secrets: [testSecret()],
        store,
        now: clock.now,
        rotateEvery: "10m",
      });
      app = await listen(
        nodeAdapter.sessionMiddleware(
          sessions,
          async (req, res) => {
            if (req.url === "/login") await req.session.login("alice");
            else req.session.set("n", String(Number(req.session.get("n") ?? 0) + 1));
            res.end("ok");
          },
          options,
        ),
      );
    });
    after(() => app.close());

    const cases: Array<{
      name: string;
      failing: Operation[];
      rotate?: boolean;
      anonymous?: boolean;
    }> = [
      { name: "a new visitor's first write (create)", failing: ["create"], anonymous: true },
      { name: "a logged-in write (update)", failing: ["update"] },
      { name: "a periodic rotation's new entry (create)", failing: ["create"], rotate: true },
      { name: "a periodic rotation's claim", failing: ["claim"], rotate: true },
    ];
    for (const c of cases) {
      it(`${c.name} fails: answered 503, then served again once the store is back`, async () => {
        failing.clear();
        const login = c.anonymous ? undefined : await post(app.url, "/login");
        assert.equal(login?.status ?? 200, 200);
        if (c.rotate) clock.advance(11 * MINUTE);
        for (const operation of c.failing) failing.add(operation);
        const down = await post(app.url, "/write", login?.cookie);
        assert.equal(down.status, 503);
        assert.equal(down.cookie, undefined, "a failed save sends no session cookie");
        failing.clear();
        const back = await post(app.url, "/write", login?.cookie);
        assert.equal(back.status, 200);
        assert.equal(back.body, "ok");
      });
    }
  });
}

describe("node:http, the store failing while saving, with an onRefused page", () => {
  it("answers with the application's page", async () => {
    const { store, failing } = switchableStore();
    const sessions = createSessions<Values>({ secrets: [testSecret()], store });
    const app = await listen(
      nodeAdapter.sessionMiddleware(
        sessions,
        (req, res) => {
          req.session.set("n", "1");
          res.end("ok");
        },
        {
          onRefused: (r, _req, res) => {
            res.writeHead(r.status, { "content-type": "text/html" }).end("<h1>Back soon</h1>");
          },
        },
      ),
    );
    try {
      failing.add("create");
      const down = await post(app.url, "/write");
      assert.equal(down.status, 503);
      assert.equal(down.body, "<h1>Back soon</h1>");
    } finally {
      await app.close();
    }
  });
});
