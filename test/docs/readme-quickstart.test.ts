// The README's Express quick start, run exactly as written: copied into a file, started with
// node, and driven over HTTP. If the docs drift from the code, this fails.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CookieJar, request } from "../helpers/http.ts";
import { snippetAfter, startSnippet } from "../helpers/snippets.ts";

describe("README quick start (Express)", () => {
  let child: ChildProcess | undefined;
  after(() => child?.kill());

  it("runs as written: sessions, login with a new token, logout", async () => {
    const readme = readFileSync("README.md", "utf8");
    const code = snippetAfter(readme, "Save as `app.mjs`", "js");
    const dir = join("test-artifacts", "quickstart");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "app.mjs");
    writeFileSync(file, code);

    const started = await startSnippet(file, {
      PORT: "0",
      SESSION_SECRET: randomBytes(32).toString("base64url"),
    });
    child = started.child;
    const { url } = started;
    const jar = new CookieJar("__Host-session");

    const first = await request(`${url}/`, { cookie: jar.header });
    jar.take(first);
    assert.deepEqual(JSON.parse(first.body), { visits: 1, user: null });
    assert.match(
      first.setCookies[0] as string,
      /^__Host-session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    assert.equal(JSON.parse((await request(`${url}/`, { cookie: jar.header })).body).visits, 2);

    const before = jar.value;
    const login = await request(`${url}/login`, {
      method: "POST",
      cookie: jar.header,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user=alice",
    });
    assert.equal(login.status, 303);
    jar.take(login);
    assert.notEqual(jar.value, before);
    assert.deepEqual(JSON.parse((await request(`${url}/`, { cookie: jar.header })).body), {
      visits: 3,
      user: "alice",
    });

    const logout = await request(`${url}/logout`, { method: "POST", cookie: jar.header });
    assert.equal(logout.headers.get("clear-site-data"), '"cookies"');
    jar.take(logout);
    assert.equal(jar.value, undefined);
  });
});
