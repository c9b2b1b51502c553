// `npm run demo` starts the example app and prints its URL; the page works with sessions.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { CookieJar, request } from "../helpers/http.ts";
import { startSnippet } from "./readme-quickstart.test.ts";

describe("the demo", () => {
  let child: ChildProcess | undefined;
  after(() => child?.kill());

  it("starts, prints its URL, counts visits and logs in and out", async () => {
    const started = await startSnippet("examples/demo/server.ts", {
      PORT: "0",
      SESSION_SECRET: randomBytes(32).toString("base64url"),
    });
    child = started.child;
    const jar = new CookieJar("__Host-session");
    const home = await request(`${started.url}/`);
    jar.take(home);
    assert.match(home.body, /Visits this session: 1/);
    const login = await request(`${started.url}/login`, {
      method: "POST",
      cookie: jar.header,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user=ada",
    });
    jar.take(login);
    assert.match(
      (await request(`${started.url}/`, { cookie: jar.header })).body,
      /Logged in as <b>ada<\/b>/,
    );
  });
});
