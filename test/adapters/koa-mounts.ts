// The shared test apps on Koa 3 (plain Koa, routing by hand): mounts.ts and csrf-mounts.ts list
// these next to the other frameworks.
import type { IncomingMessage } from "node:http";
import Koa from "koa";
import * as koaAdapter from "../../packages/latchkey/src/adapters/koa.ts";
import type { CsrfOptions } from "../../packages/latchkey/src/csrf/options.ts";
import type { Session, Sessions } from "../../packages/latchkey/src/index.ts";
import { listen, type RunningServer } from "../helpers/http.ts";
import { type AppSession, handle } from "./app.ts";
import { handleCsrfApp } from "./csrf-app.ts";

// `ctx.session` is typed by SessionData; the test apps' sessions carry AppSession's fields.
const appSession = (session: Session): Session<AppSession> => session as Session<AppSession>;

/** Koa with an outermost error middleware: errors (e.g. cookie-too-large) answer 500 with their code. */
function koaApp(): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 500;
      ctx.body = { error: (error as { code?: string }).code ?? "unknown" };
    }
  });
  return app;
}

export async function koaMount(sessions: Sessions<AppSession>): Promise<RunningServer> {
  const app = koaApp();
  app.use(koaAdapter.sessionMiddleware(sessions));
  app.use(async (ctx) => {
    const reply = await handle(
      appSession(ctx.session),
      ctx.method,
      new URL(ctx.originalUrl, "http://x"),
    );
    ctx.status = reply.status;
    ctx.set(reply.headers ?? {});
    ctx.body = reply.body;
  });
  return listen(app.callback());
}

export async function koaCsrfMount(
  sessions: Sessions<AppSession>,
  options?: CsrfOptions,
): Promise<RunningServer> {
  const app = koaApp();
  app.use(koaAdapter.sessionMiddleware(sessions));
  app.use(koaAdapter.csrfMiddleware(sessions, options));
  const fresh = koaAdapter.requireFreshAuth("5m");
  app.use((ctx, next) =>
    ctx.method === "POST" && ctx.path === "/sensitive" ? fresh(ctx, next) : next(),
  );
  app.use(async (ctx) => {
    const reply = await handleCsrfApp(
      appSession(ctx.session),
      ctx.method,
      new URL(ctx.originalUrl, "http://x"),
      await readText(ctx.req),
    );
    ctx.status = reply.status;
    ctx.body = reply.body;
  });
  return listen(app.callback());
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
