import type { RequestInfo, Sessions } from "../../core/engine.ts";
import type { Session } from "../../core/session.ts";

/**
 * Loads a request's session for a callback-style adapter (Express, node:http, Fastify). When it
 * needs no store (a sealed cookie), `use` runs at once, in the request's own tick; otherwise
 * once the store answers. `failed` gets a load that threw or rejected, e.g. `store-unavailable`.
 */
export function openSession<T extends object>(
  sessions: Sessions<T>,
  request: RequestInfo,
  use: (session: Session<T>) => void,
  failed: (error: unknown) => void,
): void {
  let opened: Session<T> | Promise<Session<T>>;
  try {
    opened = sessions.open(request);
  } catch (error) {
    failed(error);
    return;
  }
  if (opened instanceof Promise) opened.then(use, failed);
  else use(opened);
}
