// The express-session app a browser cutover starts from: connect-redis on a node-redis client,
// Passport's req.login, and a real HTML login form. Its cookie is express-session's default
// `connect.sid`, signed with LEGACY_SECRET, persistent (cookie.maxAge).
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import passport from "passport";
import type { RedisClientType } from "redis";
import type { RunningServer } from "../../helpers/http.ts";
import { escapeHtml, listenOn } from "./latchkey-app.ts";

export const LEGACY_SECRET = "express-session secret of the legacy browser app, long enough";
export const PASSWORD = "correct horse battery staple";

passport.serializeUser<string>((user, done) => done(null, (user as { id: string }).id));
passport.deserializeUser<string>((id, done) => done(null, { id }));

const loginForm = `<main><form method="post" action="/login">
<label>Name <input name="name"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></main>`;

/** The legacy app on 127.0.0.1:`port` (0: a free one), sessions under `prefix` in Redis. */
export async function legacyExpressApp(
  client: RedisClientType,
  prefix: string,
  port: number,
): Promise<RunningServer & { port: number }> {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      secret: LEGACY_SECRET,
      store: new RedisStore({ client, prefix }),
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.use(passport.session());
  app.get("/login", (_req, res) => {
    res.type("html").send(loginForm);
  });
  app.post("/login", (req, res, next) => {
    const { name, password } = req.body as { name?: string; password?: string };
    if (typeof name !== "string" || name === "" || password !== PASSWORD) {
      res.status(401).type("html").send(loginForm);
      return;
    }
    req.login({ id: name }, (error) => {
      if (error) return next(error);
      (req.session as unknown as { cart: string[] }).cart = ["book", "lamp"];
      res.redirect(303, "/account");
    });
  });
  app.get("/account", (req, res) => {
    const user = (req.user as { id: string } | undefined)?.id;
    if (user === undefined) return res.redirect(303, "/login");
    res.type("html").send(`<main><p id="who">Signed in as ${escapeHtml(user)}</p></main>`);
  });
  return listenOn(app, port);
}
