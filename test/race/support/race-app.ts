// One app process of the race tests, on a shared Redis, PostgreSQL, SQLite file, or sealed cookies
// with revocation marks in Redis. Prints {"url": …} once it listens; stops on SIGTERM.
//
// Engines on one store: /m rotates on every request (rotateEvery 1 ms), /v never rotates (to look
// at sessions without changing them), /r and /e limit each user to 2 sessions (refuse,
// evict-oldest; server stores only). A request to /<engine>/hold?id=… loads its session,
// then waits at a barrier until /release?id=… arrives (on the same process), and only then acts
// and commits: so a test decides what happens between a request's load and its commit.
// Env: STORE=redis|postgres|sqlite|cookie-redis, SESSION_SECRET, REDIS_URL + PREFIX,
// DATABASE_URL + SCHEMA, or SQLITE_PATH.
import express from "express";
import { sessionMiddleware } from "../../../packages/latchkey/src/adapters/express.ts";
import {
  type CookieStore,
  createSessions,
  isLatchkeyError,
  type Session,
  type SessionData,
  type Sessions,
  type SessionsOptions,
} from "../../../packages/latchkey/src/index.ts";
import type { Store } from "../../../packages/latchkey/src/stores/types.ts";
import { listen } from "../../helpers/http.ts";
import { Barriers } from "./barriers.ts";

type Values = SessionData & Record<string, unknown>;

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

async function serverStore(): Promise<Store> {
  if (env("STORE") === "sqlite") {
    const { sqliteStore } = await import("../../../packages/latchkey/src/stores/sqlite.ts");
    return sqliteStore({ path: env("SQLITE_PATH") });
  }
  if (env("STORE") === "postgres") {
    const { postgresStore } = await import("../../../packages/latchkey/src/stores/postgres.ts");
    const store = postgresStore({ connectionString: env("DATABASE_URL"), schema: env("SCHEMA") });
    await store.migrate();
    return store;
  }
  const { redisStore } = await import("../../../packages/latchkey/src/stores/redis.ts");
  return redisStore({ url: env("REDIS_URL"), prefix: env("PREFIX") });
}

const sealed = env("STORE") === "cookie-redis";
const shared = await serverStore();
const store: Store | CookieStore = sealed
  ? (await import("../../../packages/latchkey/src/stores/cookie.ts")).cookieStore({
      revocation: shared,
    })
  : shared;
const base: SessionsOptions = { secrets: [env("SESSION_SECRET")], store };
const engines: Record<string, Sessions<Values>> = {
  // Rotates a second after login; the grace window (shorter than the period, as it must be) is
  // long enough for a trial's checks through the pre-rotation cookie.
  m: createSessions<Values>({ ...base, rotateEvery: 1_000, rotationGrace: 800 }),
  v: createSessions<Values>(base),
};
if (!sealed) {
  engines.r = createSessions<Values>({
    ...base,
    maxSessionsPerUser: { limit: 2, policy: "refuse" },
  });
  engines.e = createSessions<Values>({
    ...base,
    maxSessionsPerUser: { limit: 2, policy: "evict-oldest" },
  });
}

const barriers = new Barriers();
const app = express();

// The barrier's own routes need no session.
app.get("/arrived", async (req, res) => {
  await barriers.arrived(String(req.query.id));
  res.json({ arrived: true });
});
app.post("/release", (req, res) => {
  barriers.release(String(req.query.id));
  res.json({ released: true });
});

for (const [name, sessions] of Object.entries(engines)) {
  const router = express.Router();
  router.use(sessionMiddleware(sessions));
  router.use(async (req, res, next) => {
    try {
      await route(sessions, req, res);
    } catch (error) {
      next(error);
    }
  });
  app.use(`/${name}`, router);
}
app.use(
  (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (isLatchkeyError(error)) res.status(409).json({ error: error.code });
    else next(error);
  },
);

async function route(
  sessions: Sessions<Values>,
  req: express.Request,
  res: express.Response,
): Promise<void> {
  const session = req.session as unknown as Session<Values>;
  const query = (name: string) => String(req.query[name] ?? "");
  switch (`${req.method} ${req.path}`) {
    case "POST /login":
      await session.login(query("user"));
      break;
    case "POST /logout":
      await session.logout();
      break;
    case "POST /revoke-user":
      res.json({ revoked: await sessions.revokeUser(query("user")) });
      return;
    case "GET /count":
      res.json({ live: (await sessions.listSessions(query("user"))).length });
      return;
    case "POST /hold":
      await barriers.wait(query("id"));
      await act(session, query("action"), query("key"), query("user"));
      break;
    case "GET /read":
      break;
    default:
      res.status(404).json({ error: "not found" });
      return;
  }
  const values: Record<string, unknown> = {};
  for (const key of [req.query.k ?? []].flat()) values[String(key)] = session.get(String(key));
  res.json({ userId: session.userId, values });
}

/** What a held request does once released: log in, rotate(), or set a key (a write). */
async function act(session: Session<Values>, action: string, key: string, user: string) {
  if (action === "login") await session.login(user);
  else if (action === "rotate") await session.rotate();
  else session.set(key, "written");
}

const server = await listen(app as never);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on("SIGTERM", async () => {
  await server.close();
  await shared.close?.();
  process.exit(0);
});
