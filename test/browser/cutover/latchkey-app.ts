// The latchkey app a browser cutover ends on, as an app author would write it with the public
// entry points (`latchkey`, `latchkey/express`, `latchkey/migrate`): its /account page says who
// is signed in, or that nobody is.
import { once } from "node:events";
import { createServer } from "node:http";
import express from "express";
import { createSessions, type SessionEvent, type Sessions, type Store } from "latchkey";
import { sessionMiddleware } from "latchkey/express";
import { type LegacyReader, withMigration } from "latchkey/migrate";
import type { RunningServer } from "../../helpers/http.ts";
import { testSecret } from "../../helpers/secrets.ts";

export interface CutoverApp extends RunningServer {
  /** The migrating sessions the app runs on (its store answers `listSessions`). */
  sessions: Sessions;
  /** Every event `onEvent` received, in order. */
  events: SessionEvent[];
}

/** Text from a session or a legacy store, escaped before it goes into the page. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Listens on 127.0.0.1:`port` (0: a free one). The browser visits it as http://localhost:<port>,
 * a secure context where Chromium keeps latchkey's Secure `__Host-` cookie over plain http.
 */
export async function listenOn(
  app: express.Express,
  port: number,
): Promise<RunningServer & { port: number }> {
  const server = createServer(app);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    url: `http://localhost:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The latchkey app on `port`, migrating sessions `from` the legacy reader into `store`. */
export async function latchkeyCutoverApp(options: {
  from: LegacyReader;
  store: Store;
  port: number;
}): Promise<CutoverApp> {
  const events: SessionEvent[] = [];
  const sessions = withMigration(
    createSessions({
      secrets: [testSecret()],
      store: options.store,
      onEvent: (event) => events.push(event),
    }),
    { from: options.from },
  );
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.get("/account", (req, res) => {
    const user = req.session.userId;
    // The cart is the legacy app's key, which the default session type does not name.
    const cart = (req.session as never as { get(key: string): unknown }).get("cart");
    res
      .type("html")
      .send(
        user === null
          ? `<main><p id="who">Not signed in</p></main>`
          : `<main><p id="who">Signed in as ${escapeHtml(user)}</p>` +
              `<p id="cart">${escapeHtml(JSON.stringify(cart ?? null))}</p></main>`,
      );
  });
  const server = await listenOn(app, options.port);
  return {
    ...server,
    sessions,
    events,
    close: async () => {
      await server.close();
      await sessions.close();
    },
  };
}
