// Every quick start in the README and docs/adapters.md, exactly as written: type-checked together, then each one
// started as its own process and driven over HTTP through sign-in (with login CSRF protection),
// a step-up route and logout. If the docs drift from the code, this fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CookieBrowser } from "../helpers/cookie-jar.ts";
import { type Reply, request } from "../helpers/http.ts";
import { snippetAfter, startSnippet } from "../helpers/snippets.ts";

// The Express app lives in docs/adapters.md, the other frameworks' in the README.
const DOC = `${readFileSync("README.md", "utf8")}\n${readFileSync("docs/adapters.md", "utf8")}`;
const QUICK_STARTS = [
  "express-app.ts",
  "fastify-app.ts",
  "hono-app.ts",
  "koa-app.ts",
  "node-app.ts",
  "fetch-app.ts",
];
const DIR = join("test-artifacts", "adapters-docs");

describe("docs/adapters.md quick starts", () => {
  before(() => {
    mkdirSync(DIR, { recursive: true });
    for (const file of QUICK_STARTS) {
      writeFileSync(join(DIR, file), snippetAfter(DOC, `save as \`${file}\``, "ts"));
    }
  });

  it("lists exactly these quick starts", () => {
    const named = [...DOC.matchAll(/save as `([^`]+)`/g)].map((m) => m[1]);
    assert.deepEqual(named.sort(), [...QUICK_STARTS].sort());
  });

  it("type-check against the package's own types", () => {
    // The `latchkey-dev` condition maps `latchkey/*` to src/, as in the root tsconfig.
    writeFileSync(
      join(DIR, "tsconfig.json"),
      JSON.stringify({
        extends: "../../tsconfig.json",
        compilerOptions: { noEmit: true, noUnusedLocals: true },
        files: QUICK_STARTS,
        include: [],
        exclude: [],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      ["node_modules/typescript/bin/tsc", "-p", join(DIR, "tsconfig.json")],
      { encoding: "utf8" },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  for (const file of QUICK_STARTS) {
    describe(file, () => {
      let stop: (() => void) | undefined;
      after(() => stop?.());

      it("runs as written: login CSRF, sign-in, step-up, logout", async () => {
        const started = await startSnippet(join(DIR, file), {
          PORT: "0",
          SESSION_SECRET: randomBytes(32).toString("base64url"),
        });
        stop = () => started.child.kill();
        await driveQuickStart(started.url);
      });
    });
  }
});

async function driveQuickStart(url: string): Promise<void> {
  const browser = new CookieBrowser();
  const send = async (
    path: string,
    init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<Reply> => {
    const headers: Record<string, string> = { ...init.headers };
    if (browser.header !== undefined) headers.cookie = browser.header;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    return browser.take(
      await request(url + path, {
        method: init.method ?? "GET",
        headers,
        ...(body === undefined ? {} : { body }),
      }),
    );
  };
  const tokenIn = (reply: Reply) => {
    const match = /name="_csrf" value="([A-Za-z0-9_-]+)"/.exec(reply.body);
    assert.ok(match, `a _csrf field in ${reply.body.slice(0, 200)}`);
    return match[1] as string;
  };
  // A form the browser submits from our own page.
  const submit = (path: string, form: Record<string, string>) =>
    send(path, { method: "POST", headers: { origin: url }, form });
  const reasonOf = (reply: Reply) => JSON.parse(reply.body).reason;

  const signedOut = await send("/");
  assert.equal(signedOut.status, 200);
  assert.match(signedOut.body, /Signed out/);
  assert.ok(browser.cookies.has("__Host-csrf"), "the login form got a pre-session token");
  assert.ok(!browser.cookies.has("__Host-session"), "no session before sign-in");
  const preToken = tokenIn(signedOut);

  const crossSite = await send("/login", {
    method: "POST",
    headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test" },
    form: { user: "mallory", _csrf: preToken },
  });
  assert.equal(crossSite.status, 403);
  assert.equal(reasonOf(crossSite), "cross-site");
  const noToken = await submit("/login", { user: "mallory" });
  assert.equal(noToken.status, 403);
  assert.equal(reasonOf(noToken), "token-missing");

  const login = await submit("/login", { user: "alice", password: "pw", _csrf: preToken });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/");
  assert.ok(browser.cookies.has("__Host-session"));

  const signedIn = await send("/");
  assert.match(signedIn.body, /Signed in as alice/);
  const token = tokenIn(signedIn);

  const stale = await submit("/email", { _csrf: preToken });
  assert.equal(stale.status, 403);
  assert.equal(reasonOf(stale), "token-invalid", "the pre-login token was replaced at login");
  const email = await submit("/email", { _csrf: token });
  assert.equal(email.status, 200);
  assert.equal(email.body, "email changed");

  const logout = await submit("/logout", { _csrf: token });
  assert.equal(logout.status, 303);
  assert.equal(logout.headers.get("clear-site-data"), '"cookies"');
  assert.ok(!browser.cookies.has("__Host-session"));

  const again = await send("/");
  assert.match(again.body, /Signed out/);
  const anonymous = await submit("/email", { _csrf: tokenIn(again) });
  assert.equal(anonymous.status, 403);
  assert.deepEqual(JSON.parse(anonymous.body), {
    error: "fresh-auth-required",
    reason: "not-authenticated",
    maxAge: 300,
  });
}
