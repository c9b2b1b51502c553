// Passport 0.7 with passport-local on expressSessionCompat(), unchanged: login by form post (CSRF
// protected), a protected page, logout; latchkey issues a new token at login, knows the user for
// listing and revocation, and the old cookies stop working.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express from "express";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import {
  csrfMiddleware,
  expressSessionCompat,
  latchkeySession,
} from "../../packages/latchkey/src/adapters/express.ts";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { CookieBrowser } from "../helpers/cookie-jar.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

interface User {
  id: number;
  username: string;
  password: string;
}
const USERS: User[] = [{ id: 7, username: "alice", password: "wonderland" }];

function passportApp(sessions: Sessions) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS.find((u) => u.username === username && u.password === password);
      done(null, user ?? false);
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) =>
    done(
      null,
      USERS.find((u) => u.id === id),
    ),
  );

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(expressSessionCompat(sessions));
  app.use(csrfMiddleware(sessions));
  app.use(passport.session());
  const token = (req: express.Request) => latchkeySession(req.session).csrfToken();
  app.get("/login", (req, res) => res.send(`<input name="_csrf" value="${token(req)}">`));
  app.post(
    "/login",
    passport.authenticate("local", { successRedirect: "/account", failureRedirect: "/login" }),
  );
  app.get("/account", (req, res) => {
    if (!req.isAuthenticated()) return res.redirect("/login");
    res.send(`hello ${(req.user as User).username} ${req.sessionID} <i>${token(req)}</i>`);
  });
  app.post("/logout", (req, res, next) =>
    req.logout((error) => (error ? next(error) : res.redirect("/login"))),
  );
  return app;
}

describe("Passport + passport-local on expressSessionCompat", () => {
  const sessions = createSessions({ secrets: [testSecret()], store: memoryStore() });
  let server: RunningServer;
  before(async () => {
    server = await listen(passportApp(sessions));
  });
  after(() => server.close());

  const send = (browser: CookieBrowser, path: string, body?: string) =>
    request(server.url + path, {
      method: body === undefined ? "GET" : "POST",
      cookie: browser.header,
      headers:
        body === undefined
          ? {}
          : { origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      ...(body === undefined ? {} : { body }),
    }).then((reply) => browser.take(reply));
  const tokenIn = (html: string) =>
    /value="([^"]+)"|<i>([^<]+)<\/i>/.exec(html)?.slice(1).find(Boolean) ?? "";

  it("logs in by form post, shows the protected page, lists the session, and logout ends it", async () => {
    const browser = new CookieBrowser();
    const loginPage = await send(browser, "/login");
    const form = `username=alice&password=wonderland&_csrf=${encodeURIComponent(tokenIn(loginPage.body))}`;

    const login = await send(browser, "/login", form);
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), "/account");
    const loggedIn = browser.header as string;

    const account = await send(browser, "/account");
    assert.equal(account.status, 200);
    const [, name, sessionID] = /hello (\w+) (\S+)/.exec(account.body) ?? [];
    assert.equal(name, "alice");

    const listed = await sessions.listSessions("7");
    assert.equal(listed.length, 1, "latchkey knows the user Passport logged in");
    assert.equal(sessionID, listed[0]?.ref, "req.sessionID is the session's reference");
    assert.ok(!loggedIn.includes(sessionID as string), "req.sessionID is not the token");

    const logout = await send(
      browser,
      "/logout",
      `_csrf=${encodeURIComponent(tokenIn(account.body))}`,
    );
    assert.equal(logout.status, 302);
    assert.equal((await sessions.listSessions("7")).length, 0);
    const replay = await request(`${server.url}/account`, { cookie: loggedIn });
    assert.equal(replay.status, 302, "the old cookie no longer authenticates");
    assert.equal(replay.headers.get("location"), "/login");
  });

  it("a new token at login: the cookie from before login does not become the user's session", async () => {
    const browser = new CookieBrowser();
    const page = await send(browser, "/login");
    const csrf = encodeURIComponent(tokenIn(page.body));
    const failed = await send(browser, "/login", `username=alice&password=nope&_csrf=${csrf}`);
    assert.equal(failed.headers.get("location"), "/login");
    assert.equal((await sessions.listSessions("7")).length, 0);

    const before = browser.header as string;
    await send(browser, "/login", `username=alice&password=wonderland&_csrf=${csrf}`);
    assert.notEqual(browser.header, before);
    const planted = await request(`${server.url}/account`, { cookie: before });
    assert.equal(planted.status, 302, "the pre-login cookie is not logged in");
    await sessions.revokeUser("7");
    assert.equal((await send(browser, "/account")).status, 302, "revokeUser logs Passport out");
  });

  it("a login form posted without the CSRF token is refused before Passport runs", async () => {
    const browser = new CookieBrowser();
    await send(browser, "/login");
    const refused = await send(browser, "/login", "username=alice&password=wonderland");
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body).reason, "token-missing");
    assert.equal((await sessions.listSessions("7")).length, 0);
  });
});
