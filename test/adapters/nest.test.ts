// The NestJS recipe in docs/adapters.md, exactly as written: type-checked with the compiler
// options a Nest project uses (experimentalDecorators, emitDecoratorMetadata), then started as a
// real Nest 11 application on its Express platform and driven over HTTP through sign-in (CSRF
// token from the session), the guarded route, step-up and logout.
//
// tsx compiles the recipe with esbuild, which supports the legacy decorators but emits no
// decorator metadata; the recipe injects nothing through constructors, so it needs none.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { CookieBrowser } from "../helpers/cookie-jar.ts";
import { type Reply, request } from "../helpers/http.ts";
import { snippetAfter, startSnippet } from "../helpers/snippets.ts";

const DOC = readFileSync("docs/adapters.md", "utf8");
const DIR = join("test-artifacts", "nest");
const APP = join(DIR, "nest-app.ts");
const TSCONFIG = join(DIR, "tsconfig.json");

describe("the NestJS recipe in docs/adapters.md", () => {
  let url = "";
  let stop: (() => void) | undefined;

  before(async () => {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(APP, snippetAfter(DOC, "one file (`nest-app.ts`)", "ts"));
    writeFileSync(
      TSCONFIG,
      JSON.stringify({
        extends: "../../tsconfig.json",
        compilerOptions: {
          noEmit: true,
          noUnusedLocals: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
        files: ["nest-app.ts"],
        include: [],
        exclude: [],
      }),
    );
  });
  after(() => stop?.());

  it("type-checks as a Nest project compiles it", () => {
    const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", TSCONFIG], {
      encoding: "utf8",
    });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it("starts as a Nest application", async () => {
    const started = await startSnippet(APP, {
      PORT: "0",
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      // The recipe's decorators are the legacy ones, as in every Nest project.
      TSX_TSCONFIG_PATH: resolve(TSCONFIG),
    });
    stop = () => started.child.kill();
    url = started.url;
  });

  describe("driven over HTTP", () => {
    const browser = new CookieBrowser();
    const send = async (
      path: string,
      init: { method?: string; cookie?: string; form?: Record<string, string> } = {},
    ): Promise<Reply> => {
      const headers: Record<string, string> = { origin: url };
      const cookie = "cookie" in init ? init.cookie : browser.header;
      if (cookie !== undefined) headers.cookie = cookie;
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
    const json = (reply: Reply) => JSON.parse(reply.body);
    const tokenNow = async () => json(await send("/csrf-token")).token as string;
    let signedInCookie = "";

    it("the guard answers 401 without a session", async () => {
      const anonymous = await send("/me");
      assert.equal(anonymous.status, 401);
      assert.ok(!browser.cookies.has("__Host-session"), "no session was made for it");
    });

    it("sign-in needs the CSRF token the session handed out", async () => {
      const preToken = await tokenNow();
      assert.ok(browser.cookies.has("__Host-csrf"), "the token is bound to a pre-session cookie");
      const missing = await send("/login", { method: "POST", form: { user: "mallory" } });
      assert.equal(missing.status, 403);
      assert.deepEqual(json(missing), { error: "csrf-refused", reason: "token-missing" });
      const forged = await send("/login", {
        method: "POST",
        form: { user: "mallory", _csrf: "A".repeat(60) },
      });
      assert.equal(forged.status, 403);

      const login = await send("/login", {
        method: "POST",
        form: { user: "alice", password: "pw", _csrf: preToken },
      });
      assert.equal(login.status, 200, login.body);
      assert.deepEqual(json(login), { userId: "alice" });
      assert.ok(browser.cookies.has("__Host-session"));
      signedInCookie = browser.header ?? "";
    });

    it("the guarded route and the @Session() parameter see the signed-in session", async () => {
      const me = await send("/me");
      assert.equal(me.status, 200);
      assert.deepEqual(json(me), { userId: "alice" });
    });

    it("the step-up middleware lets a fresh sign-in change the email, with the session's token", async () => {
      const email = await send("/email", { method: "POST", form: { _csrf: await tokenNow() } });
      assert.equal(email.status, 200, email.body);
      assert.deepEqual(json(email), { changed: true });
    });

    it("logout ends the session: the old cookie no longer passes the guard", async () => {
      const logout = await send("/logout", { method: "POST", form: { _csrf: await tokenNow() } });
      assert.equal(logout.status, 200, logout.body);
      assert.equal(logout.headers.get("clear-site-data"), '"cookies"');
      assert.ok(!browser.cookies.has("__Host-session"), "the cookie was expired");

      const replayed = await send("/me", { cookie: signedInCookie });
      assert.equal(replayed.status, 401);
      const anonymousEmail = await send("/email", {
        method: "POST",
        form: { _csrf: await tokenNow() },
      });
      assert.equal(anonymousEmail.status, 403);
      assert.deepEqual(json(anonymousEmail), {
        error: "fresh-auth-required",
        reason: "not-authenticated",
        maxAge: 300,
      });
    });
  });
});
