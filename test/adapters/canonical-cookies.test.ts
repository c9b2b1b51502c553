// A cookie value is accepted only as latchkey writes it (base64url and "."): a %-encoded,
// quoted or space-wrapped spelling of a real token is no session (and no pre-session binding),
// plus a `tampered` event with reason `non-canonical`. The value as issued keeps working.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { type Reply, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import { csrfMounts } from "./csrf-mounts.ts";
import { mounts } from "./mounts.ts";

const percent = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;

/** Other spellings of `value` that `cookie.parse` would read as `value`. */
function respellings(value: string): Record<string, string> {
  return {
    "first character %-encoded": percent(value) + value.slice(1),
    "every character %-encoded": [...value].map(percent).join(""),
    "a leading space": ` ${value}`,
    "a trailing space": `${value} `,
    "a leading tab": `\t${value}`,
    "double quotes": `"${value}"`,
  };
}

function cookieValue(reply: Reply, name: string): string {
  const line = reply.setCookies.find((l) => l.startsWith(`${name}=`)) ?? "";
  const value = line.slice(name.length + 1, line.indexOf(";"));
  assert.ok(value.length > 0, `${name} was set`);
  return value;
}

const tampered = (events: SessionEvent[]) =>
  events.filter((e) => e.type === "tampered").map((e) => e.reason);

function started(
  mount: (sessions: Sessions<AppSession>) => Promise<RunningServer>,
  store: () => ReturnType<typeof memoryStore> | ReturnType<typeof cookieStore>,
) {
  const events: SessionEvent[] = [];
  const state = {} as { server: RunningServer };
  before(async () => {
    const sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: store(),
      onEvent: (event) => events.push(event),
    });
    state.server = await mount(sessions);
  });
  after(() => state.server.close());
  return { events, url: () => state.server.url };
}

const stores = { "server store": memoryStore, "sealed cookie": cookieStore };

for (const [adapter, mount] of Object.entries(mounts)) {
  for (const [mode, store] of Object.entries(stores)) {
    describe(`${adapter}, ${mode}: the session cookie in another spelling`, () => {
      const t = started(mount, store);

      it("is no session and a non-canonical tampered event; the value as issued works", async () => {
        const created = await request(`${t.url()}/count`, { method: "POST" });
        const value = cookieValue(created, "__Host-session");
        const read = (cookie: string) => request(`${t.url()}/read`, { cookie });
        t.events.length = 0;

        for (const [how, spelled] of Object.entries(respellings(value))) {
          // Another cookie after it, so no HTTP layer trims a trailing space off the header.
          const reply = await read(`__Host-session=${spelled}; theme=dark`);
          assert.equal(reply.status, 200, how);
          const body = JSON.parse(reply.body);
          assert.deepEqual([body.isNew, body.count], [true, null], how);
          assert.deepEqual(reply.setCookies, [], `${how}: nothing to set for an unchanged request`);
        }
        assert.deepEqual(tampered(t.events), Array(6).fill("non-canonical"));

        const own = JSON.parse((await read(`theme=dark; __Host-session=${value}`)).body);
        assert.deepEqual([own.isNew, own.count], [false, 1]);
        assert.equal(tampered(t.events).length, 6, "the real value raises no event");
      });
    });
  }
}

for (const [adapter, mount] of Object.entries(csrfMounts)) {
  describe(`${adapter}: the pre-session CSRF cookie in another spelling`, () => {
    const t = started((sessions) => mount(sessions), memoryStore);

    it("binds no login-form token (403) and raises a non-canonical event", async () => {
      const form = await request(`${t.url()}/csrf-token`);
      const value = cookieValue(form, "__Host-csrf");
      const { token } = JSON.parse(form.body);
      const login = (cookie: string) =>
        request(`${t.url()}/login`, {
          method: "POST",
          cookie,
          headers: { "sec-fetch-site": "same-origin", "x-csrf-token": token },
        });
      t.events.length = 0;

      for (const [how, spelled] of Object.entries(respellings(value))) {
        const reply = await login(`__Host-csrf=${spelled}; theme=dark`);
        assert.equal(reply.status, 403, how);
        assert.equal(JSON.parse(reply.body).reason, "token-invalid", how);
      }
      assert.deepEqual(tampered(t.events), Array(6).fill("non-canonical"));

      const own = await login(`__Host-csrf=${value}`);
      assert.equal(own.status, 200, "the value as issued still binds the token");
      assert.equal(tampered(t.events).length, 6);
    });
  });
}
