// `npm run demo` starts the example app and prints its URL; sign-up, login and CSRF work in it.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { request } from "../helpers/http.ts";
import { startSnippet } from "../helpers/snippets.ts";

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
