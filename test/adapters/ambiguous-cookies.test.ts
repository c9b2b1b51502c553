// More than one cookie with the session cookie's name (or the pre-session CSRF cookie's) is no
// session and no pre-session value, plus a `tampered` event: a cookie planted by a sibling
// subdomain or a plain-http page must never be the one a parser happens to keep.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { csrfMounts } from "./csrf-mounts.ts";
import { mounts } from "./mounts.ts";

function started(mount: (sessions: Sessions<AppSession>) => Promise<RunningServer>, name?: string) {
  const events: SessionEvent[] = [];
  const state = {} as { server: RunningServer };
  before(async () => {
    const sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: memoryStore(),
      ...(name === undefined ? {} : { cookie: { name } }),
      onEvent: (event) => events.push(event),
    });
    state.server = await mount(sessions);
  });
  after(() => state.server.close());
  return { events, url: () => state.server.url };
}

const tampered = (events: SessionEvent[]) =>
  events.filter((e) => e.type === "tampered").map((e) => e.reason);

for (const name of ["__Host-session", "sid"]) {
  describe(`two cookies named ${name}`, () => {
    const t = started(mounts.node as never, name === "__Host-session" ? undefined : name);

    it("are no session, with a tampered event saying why", async () => {
      const created = await request(`${t.url()}/count`, { method: "POST" });
      const line = created.setCookies.find((l) => l.startsWith(`${name}=`)) ?? "";
      const value = line.slice(name.length + 1, line.indexOf(";"));
      assert.ok(value.length > 0);

      const single = await request(`${t.url()}/read`, { cookie: `${name}=${value}` });
      assert.equal(JSON.parse(single.body).count, 1, "one cookie: the session");
      assert.deepEqual(tampered(t.events), []);

      for (const cookie of [
        `${name}=${value}; ${name}=planted`,
        `${name}=planted; theme=dark; ${name}=${value}`,
        `${name}=${value}; ${name}=${value}`,
      ]) {
        const reply = await request(`${t.url()}/read`, { cookie });
        const body = JSON.parse(reply.body);
        assert.equal(reply.status, 200);
        assert.deepEqual([body.isNew, body.count], [true, null], cookie);
      }
      assert.deepEqual(tampered(t.events), Array(3).fill("ambiguous-cookie"));
    });

    it("a cookie whose name only contains the session cookie's name is not a second one", async () => {
      const created = await request(`${t.url()}/count`, { method: "POST" });
      const line = created.setCookies.find((l) => l.startsWith(`${name}=`)) ?? "";
      const value = line.slice(name.length + 1, line.indexOf(";"));
      const reply = await request(`${t.url()}/read`, {
        cookie: `x${name}=1; ${name}=${value}; ${name}x=2`,
      });
      assert.equal(JSON.parse(reply.body).count, 1);
    });
  });
}

describe("two pre-session CSRF cookies (__Host-csrf)", () => {
  const t = started((sessions) =>
    (csrfMounts.node as (s: typeof sessions) => Promise<RunningServer>)(sessions),
  );

  it("neither value binds a login form's token: 403 and a tampered event", async () => {
    const form = await request(`${t.url()}/csrf-token`);
    const line = form.setCookies.find((l) => l.startsWith("__Host-csrf=")) ?? "";
    const value = line.slice("__Host-csrf=".length, line.indexOf(";"));
    const { token } = JSON.parse(form.body);
    const login = (cookie: string) =>
      request(`${t.url()}/login`, {
        method: "POST",
        cookie,
        headers: { "sec-fetch-site": "same-origin", "x-csrf-token": token },
      });

    const planted = await login(`__Host-csrf=${"A".repeat(43)}; __Host-csrf=${value}`);
    assert.equal(planted.status, 403);
    assert.equal(JSON.parse(planted.body).reason, "token-invalid");
    assert.deepEqual(tampered(t.events), ["ambiguous-cookie"]);

    const own = await login(`__Host-csrf=${value}`);
    assert.equal(own.status, 200, "the browser's own cookie alone still works");
  });
});
