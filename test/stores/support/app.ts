// The small Express app the store tests drive over HTTP (also run as a child process by the
// two-process tests): it reads and writes named keys, logs in, and revokes a user's sessions.
import express from "express";
import { sessionMiddleware } from "../../../packages/latchkey/src/adapters/express.ts";
import {
  isLatchkeyError,
  type Session,
  type SessionData,
  type Sessions,
} from "../../../packages/latchkey/src/index.ts";
import { listen, type RunningServer } from "../../helpers/http.ts";

// Includes SessionData: the adapters type their sessions by it (the demo augments it).
export type Values = SessionData & Record<string, unknown>;

export function startApp(sessions: Sessions<Values>): Promise<RunningServer> {
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.use(async (req, res) => {
    const session = req.session as unknown as Session<Values>;
    const url = new URL(req.originalUrl, "http://x");
    const param = (name: string) => url.searchParams.get(name) ?? "";
    switch (`${req.method} ${url.pathname}`) {
      case "GET /ping":
        // Never touches the session: how long this takes is how responsive the process is.
        res.json({ pong: true });
        return;
      case "POST /blob": {
        // A large value: `size` characters, different on every request.
        const size = Number(param("size"));
        session.set(param("key"), `${Date.now()}:`.padEnd(size, "x"));
        break;
      }
      case "POST /set":
        session.set(param("key"), param("value"));
        break;
      case "POST /login":
        await session.login(param("user"));
        break;
      case "POST /logout":
        await session.logout();
        res.json({ loggedOut: true });
        return;
      case "POST /revoke-user":
        res.json({ revoked: await sessions.revokeUser(param("user")) });
        return;
      case "GET /read":
        break;
      default:
        res.status(404).json({ error: "not found" });
        return;
    }
    const values: Record<string, unknown> = {};
    for (const key of url.searchParams.getAll("k")) values[key] = session.get(key) ?? null;
    res.json({ userId: session.userId, isNew: session.isNew, values });
  });
  // A store failure inside a handler (login, revokeUser) fails closed too.
  app.use(
    (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (isLatchkeyError(error, "store-unavailable")) res.status(503).json({ error: error.code });
      else next(error);
    },
  );
  return listen(app as never);
}
