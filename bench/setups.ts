// Every server the benchmark compares. Each does the same work: read the session, increment a
// counter, answer it ("write"), or only read it ("read"). The first request of a client creates the
// session; the load generator then replays that one cookie, as a logged-in browser would.
import { createServer, type Server } from "node:http";
import express from "express";
import { createSessions, type Sessions } from "latchkey";
import { sessionMiddleware as latchkeyExpress } from "latchkey/express";
import { sessionMiddleware as latchkeyNode } from "latchkey/node";
import { cookieStore } from "latchkey/stores/cookie";
import { memoryStore } from "latchkey/stores/memory";

const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

export interface Setup {
  name: string;
  /** The ceiling it is compared against, measured in the same run. */
  baseline: string;
  start(): Promise<Server>;
}

type Counter = { count: number };

const answer = (count: number) => `{"count":${count}}`;

function latchkeySessions(store: "cookie" | "memory"): Sessions<Counter> {
  return createSessions<Counter>({
    secrets: [SECRET],
    store: store === "cookie" ? cookieStore() : memoryStore({ maxSessions: 100_000 }),
  });
}

function expressApp(use: (app: express.Express) => void, read: (req: express.Request) => number, write: (req: express.Request, n: number) => void) {
  const app = express();
  app.disable("etag");
  app.disable("x-powered-by");
  use(app);
  app.get("/write", (req, res) => {
    const n = read(req) + 1;
    write(req, n);
    res.type("json").send(answer(n));
  });
  app.get("/read", (req, res) => {
    res.type("json").send(answer(read(req)));
  });
  return createServer(app);
}

export const setups: Setup[] = [
  {
    name: "node:http bare",
    baseline: "node:http bare",
    start: async () =>
      createServer((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(answer(req.url === "/write" ? 1 : 0));
      }),
  },
  {
    name: "express bare",
    baseline: "express bare",
    start: async () => expressApp(() => {}, () => 0, () => {}),
  },
  ...(["cookie", "memory"] as const).map((store) => ({
    name: `latchkey ${store} · express`,
    baseline: "express bare",
    start: async () => {
      const sessions = latchkeySessions(store);
      return expressApp(
        (app) => app.use(latchkeyExpress(sessions)),
        (req) => (req.session.get("count" as never) as number | undefined) ?? 0,
        (req, n) => req.session.set("count" as never, n as never),
      );
    },
  })),
  ...(["cookie", "memory"] as const).map((store) => ({
    name: `latchkey ${store} · node:http`,
    baseline: "node:http bare",
    start: async () => {
      const sessions = latchkeySessions(store);
      return createServer(
        latchkeyNode(sessions, (req, res) => {
          let n = req.session.get("count") ?? 0;
          if (req.url === "/write") req.session.set("count", ++n);
          res.setHeader("content-type", "application/json");
          res.end(answer(n));
        }),
      );
    },
  })),
  {
    name: "express-session (MemoryStore) · express",
    baseline: "express bare",
    start: async () => {
      const { default: session } = await import("express-session");
      return expressApp(
        (app) =>
          app.use(
            session({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: "lax" } }),
          ),
        (req) => ((req as unknown as { session: Counter }).session.count ?? 0),
        (req, n) => {
          (req as unknown as { session: Counter }).session.count = n;
        },
      );
    },
  },
  {
    name: "cookie-session · express",
    baseline: "express bare",
    start: async () => {
      const { default: cookieSession } = await import("cookie-session");
      return expressApp(
        (app) => app.use(cookieSession({ name: "session", keys: [SECRET], httpOnly: true, sameSite: "lax" })),
        (req) => ((req as unknown as { session: Counter }).session.count ?? 0),
        (req, n) => {
          (req as unknown as { session: Counter }).session.count = n;
        },
      );
    },
  },
];
