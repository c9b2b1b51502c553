// One app written as express-session's README shows it (a views counter, regenerate on login,
// save then regenerate on logout), run on express-session and on latchkey's expressSessionCompat
// with the same assertions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import session from "express-session";
import { expressSessionCompat } from "../../packages/latchkey/src/adapters/express.ts";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { CookieBrowser } from "../helpers/cookie-jar.ts";
import { listen, type RunningServer, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

// The README's JavaScript; `any` stands for its untyped `req.session`.
// biome-ignore lint/suspicious/noExplicitAny: express-session's README code is untyped.
type Untyped = any;

function readmeApp(sessionMiddleware: RequestHandler) {
  const app = express();
  app.use(sessionMiddleware);

  app.use((req: Untyped, _res: Response, next: NextFunction) => {
    if (!req.session.views) {
      req.session.views = {};
    }
    const pathname = req.path;
    req.session.views[pathname] = (req.session.views[pathname] || 0) + 1;
    next();
  });
  app.get("/foo", (req: Untyped, res: Response) => {
    res.send(`you viewed this page ${req.session.views["/foo"]} times`);
  });

  function isAuthenticated(req: Untyped, _res: Response, next: NextFunction) {
    if (req.session.user) next();
    else next("route");
  }
  app.get("/", isAuthenticated, (req: Untyped, res: Response) => {
    res.send(`hello, ${req.session.user}! <a href="/logout">Logout</a>`);
  });
  app.get("/", (_req: Request, res: Response) => {
    res.send('<form action="/login" method="post">Username: <input name="user"></form>');
  });
  app.post("/login", express.urlencoded({ extended: false }), (req: Untyped, res, next) => {
    req.session.regenerate((err: unknown) => {
      if (err) next(err);
      req.session.user = req.body.user;
      req.session.save((err: unknown) => {
        if (err) return next(err);
        res.redirect("/");
      });
    });
  });
  app.get("/logout", (req: Untyped, res: Response, next: NextFunction) => {
    req.session.user = null;
    req.session.save((err: unknown) => {
      if (err) next(err);
      req.session.regenerate((err: unknown) => {
        if (err) next(err);
        res.redirect("/");
      });
    });
  });
  return app;
}

const implementations: Record<string, () => RequestHandler> = {
  "express-session": () =>
    session({ secret: testSecret(), resave: false, saveUninitialized: true }),
  latchkey: () =>
    expressSessionCompat(createSessions({ secrets: [testSecret()], store: memoryStore() }), {
      userId: (data) => data.user,
    }),
};

for (const [name, middleware] of Object.entries(implementations)) {
  describe(`express-session's README app on ${name}`, () => {
    let server: RunningServer;
    before(async () => {
      server = await listen(readmeApp(middleware()));
    });
    after(() => server.close());
    const get = (browser: CookieBrowser, path: string) =>
      request(server.url + path, { cookie: browser.header }).then((r) => browser.take(r));
    const login = (browser: CookieBrowser, user: string) =>
      request(`${server.url}/login`, {
        method: "POST",
        cookie: browser.header,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `user=${user}`,
      }).then((r) => browser.take(r));

    it("counts views per path in the session", async () => {
      const browser = new CookieBrowser();
      assert.equal((await get(browser, "/foo")).body, "you viewed this page 1 times");
      assert.equal((await get(browser, "/foo")).body, "you viewed this page 2 times");
      await get(browser, "/bar");
      assert.equal((await get(browser, "/foo")).body, "you viewed this page 3 times");
      const stranger = new CookieBrowser();
      assert.equal((await get(stranger, "/foo")).body, "you viewed this page 1 times");
    });

    it("regenerates at login: a new cookie, an empty session, the old cookie is not logged in", async () => {
      const browser = new CookieBrowser();
      await get(browser, "/foo");
      await get(browser, "/foo");
      const anonymous = browser.header as string;
      const reply = await login(browser, "alice");
      assert.equal(reply.status, 302);
      assert.notEqual(browser.header, anonymous, "a new session id");
      assert.match((await get(browser, "/")).body, /^hello, alice!/);
      assert.equal((await get(browser, "/foo")).body, "you viewed this page 1 times");
      const old = await request(`${server.url}/`, { cookie: anonymous });
      assert.match(old.body, /<form/, "the pre-login cookie is not logged in");
    });

    it("logout clears the user, and the logged-in cookie no longer authenticates", async () => {
      const browser = new CookieBrowser();
      await login(browser, "bob");
      const loggedIn = browser.header as string;
      assert.match((await get(browser, "/")).body, /^hello, bob!/);
      const out = await get(browser, "/logout");
      assert.equal(out.status, 302);
      assert.match((await get(browser, "/")).body, /<form/);
      assert.match((await request(`${server.url}/`, { cookie: loggedIn })).body, /<form/);
    });
  });
}
