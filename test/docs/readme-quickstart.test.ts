// The README's Express quick start, run exactly as written: copied into a file, started with
// node, and driven over HTTP. If the docs drift from the code, this fails.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CookieJar, type Reply, request } from "../helpers/http.ts";
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
    // The login form's token is bound to a small pre-session cookie until there is a session.
    const preSession = new CookieJar("__Host-csrf");
    const cookies = () => [jar.header, preSession.header].filter(Boolean).join("; ") || undefined;
    const take = (reply: Reply) => {
      jar.take(reply);
      preSession.take(reply);
    };

    const first = await request(`${url}/`, { cookie: cookies() });
    take(first);
    const { csrfToken, ...firstBody } = JSON.parse(first.body);
    assert.deepEqual(firstBody, { visits: 1, user: null });
    assert.match(csrfToken, /^[A-Za-z0-9_-]{40,}$/);
    const sessionCookie = first.setCookies.find((line) => line.startsWith("__Host-session="));
    assert.match(
      sessionCookie ?? "",
      /^__Host-session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const second = await request(`${url}/`, { cookie: cookies() });
    assert.equal(JSON.parse(second.body).visits, 2);
    const token = JSON.parse(second.body).csrfToken;

    const before = jar.value;
    const form = { "content-type": "application/x-www-form-urlencoded", origin: url };
    const forged = await request(`${url}/login`, {
      method: "POST",
      cookie: cookies(),
      headers: { ...form, origin: "https://evil.test" },
      body: `user=mallory&_csrf=${token}`,
    });
    assert.equal(forged.status, 403, "a cross-site login is refused");
    const tokenless = await request(`${url}/login`, {
      method: "POST",
      cookie: cookies(),
      headers: form,
      body: "user=alice",
    });
    assert.equal(tokenless.status, 403, "a form without the token is refused");
    const login = await request(`${url}/login`, {
      method: "POST",
      cookie: cookies(),
      headers: form,
      body: `user=alice&_csrf=${token}`,
    });
    assert.equal(login.status, 303);
    take(login);
    assert.notEqual(jar.value, before);
    const after = JSON.parse((await request(`${url}/`, { cookie: cookies() })).body);
    // The logged-in session starts empty: the two anonymous visits stay behind (keepOnLogin).
    assert.deepEqual({ visits: after.visits, user: after.user }, { visits: 1, user: "alice" });

    const logout = await request(`${url}/logout`, {
      method: "POST",
      cookie: cookies(),
      headers: { ...form, "x-csrf-token": after.csrfToken },
    });
    assert.equal(logout.status, 303);
    assert.equal(logout.headers.get("clear-site-data"), '"cookies"');
    take(logout);
    assert.equal(jar.value, undefined);
  });
});
