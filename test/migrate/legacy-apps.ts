// The apps a migration starts from and ends on, as real servers: an express-session app (on
// connect-redis with a node-redis client, or any store) where Passport logs users in, and the
// latchkey app that replaces it on the same store.
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import passport from "passport";
import type { RedisClientType } from "redis";
import { sessionMiddleware } from "../../packages/latchkey/src/adapters/express.ts";
import { createSessions, type SessionEvent } from "../../packages/latchkey/src/index.ts";
import { type LegacyReader, withMigration } from "../../packages/latchkey/src/migrate/index.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";

export const LEGACY_SECRET = "express-session secret of the legacy app, long enough";

passport.serializeUser<string>((user, done) => done(null, (user as { id: string }).id));

/** express-session + connect-redis + Passport: POST /login?user=… logs in and fills a cart. */
export async function legacyExpressApp(
  client: RedisClientType,
  prefix: string,
): Promise<RunningServer> {
  return legacyExpressAppOn(new RedisStore({ client, prefix }));
}

/** The same express-session + Passport app on any express-session store. */
export async function legacyExpressAppOn(store: session.Store): Promise<RunningServer> {
  const app = express();
  app.use(
    session({
      secret: LEGACY_SECRET,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.use(passport.session());
  app.post("/login", (req, res, next) => {
    req.login({ id: String(req.query.user) }, (error) => {
      if (error) return next(error);
      (req.session as unknown as { cart: string[] }).cart = ["book", "lamp"];
      res.json({ ok: true });
    });
  });
  return listen(app as unknown as Parameters<typeof listen>[0]);
}

/** The latchkey app: GET /me answers who is logged in and the cart; GET /data/:key one value. */
export async function latchkeyApp(
  from: LegacyReader,
  events: SessionEvent[] = [],
): Promise<RunningServer & { close(): Promise<void> }> {
  const sessions = withMigration(
    createSessions({ secrets: [testSecret()], onEvent: (e) => events.push(e) }),
    { from },
  );
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.get("/me", (req, res) => {
    res.json({
      userId: req.session.userId,
      cart: (req.session as never as { get(k: string): unknown }).get("cart") ?? null,
    });
  });
  app.get("/data/:key", (req, res) => {
    res.json((req.session as never as { get(k: string): unknown }).get(req.params.key) ?? null);
  });
  const server = await listen(app as unknown as Parameters<typeof listen>[0]);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await sessions.close();
    },
  };
}
