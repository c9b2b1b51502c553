// `npm run demo` starts the example app and prints its URL; sign-up, login and CSRF work in it.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { request } from "../helpers/http.ts";
import { skipOrFail } from "../helpers/service.ts";
import { startSnippet } from "../helpers/snippets.ts";
import {
  DATABASE_URL,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
} from "../stores/support/services.ts";

/** Cookies as a browser keeps them for one site: name → value. */
function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}
function keep(jar: Map<string, string>, setCookies: string[]): void {
  for (const line of setCookies) {
    const [pair] = line.split(";");
    const eq = (pair as string).indexOf("=");
    const name = (pair as string).slice(0, eq);
    const value = (pair as string).slice(eq + 1);
    if (/max-age=0/i.test(line) || value === "") jar.delete(name);
    else jar.set(name, value);
  }
}

describe("the demo", () => {
  let child: ChildProcess | undefined;
  after(() => child?.kill());

  it("starts on SQLite with no configuration, prints its URL, and signs up, logs in and refuses CSRF", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-demo-"));
    const started = await startSnippet("examples/demo/server.ts", {
      PORT: "0",
      DEMO_DB: join(dir, "demo.db"),
      SESSION_SECRET: randomBytes(32).toString("base64url"),
    });
    child = started.child;
    const { url } = started;
    const jar = new Map<string, string>();

    const form = await request(`${url}/signup`);
    keep(jar, form.setCookies);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
    assert.ok(token, "the sign-up form carries a CSRF token");
    const body = new URLSearchParams({
      _csrf: token,
      name: "ada",
      email: "ada@example.test",
      password: "correct horse battery",
    });
    const headers = { "content-type": "application/x-www-form-urlencoded", origin: url };

    const forged = await request(`${url}/signup`, {
      method: "POST",
      cookie: cookieHeader(jar),
      headers: { ...headers, origin: "http://evil.test" },
      body: body.toString(),
    });
    assert.equal(forged.status, 403, "a cross-site sign-up is refused");

    const signup = await request(`${url}/signup`, {
      method: "POST",
      cookie: cookieHeader(jar),
      headers,
      body: body.toString(),
    });
    assert.equal(signup.status, 303);
    keep(jar, signup.setCookies);
    assert.ok(jar.has("__Host-session"));
    const home = await request(`${url}/`, { cookie: cookieHeader(jar) });
    assert.match(home.body, /Logged in as<\/th><td>ada/);
    assert.match(home.body, /SQLite/);
  });
});

describe("the demo on Redis and PostgreSQL", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill();
  });

  const backends = [
    { label: "Redis", storeUrl: REDIS_URL, unreachable: redisUnreachable },
    { label: "PostgreSQL", storeUrl: DATABASE_URL, unreachable: postgresUnreachable },
  ];
  for (const { label, storeUrl, unreachable } of backends) {
    it(`keeps its sessions in ${label} when DEMO_STORE_URL names it`, async (t) => {
      const why = await unreachable(storeUrl);
      if (why !== null) return skipOrFail(t, why);
      const dir = mkdtempSync(join(tmpdir(), "latchkey-demo-"));
      const started = await startSnippet("examples/demo/server.ts", {
        PORT: "0",
        DEMO_DB: join(dir, "demo.db"),
        DEMO_STORE_URL: storeUrl,
        SESSION_SECRET: randomBytes(32).toString("base64url"),
      });
      children.push(started.child);
      const jar = new Map<string, string>();
      const form = await request(`${started.url}/signup`);
      keep(jar, form.setCookies);
      const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] as string;
      const name = `u${randomBytes(4).toString("hex")}`;
      const signup = await request(`${started.url}/signup`, {
        method: "POST",
        cookie: cookieHeader(jar),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: started.url },
        body: new URLSearchParams({
          _csrf: token,
          name,
          email: `${name}@example.test`,
          password: "correct horse battery",
        }).toString(),
      });
      keep(jar, signup.setCookies);
      const home = await request(`${started.url}/`, { cookie: cookieHeader(jar) });
      assert.match(home.body, new RegExp(`Logged in as</th><td>${name}`));
      assert.match(home.body, new RegExp(`<td>${label}</td>`));
    });
  }
});
