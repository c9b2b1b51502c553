import type { Cluster, Redis } from "ioredis";
import type { Store } from "../types.ts";

// While Redis is unreachable, ioredis rejects each command with its own error ("max retries per
// request reached", "connection is closed"), which has no code and says nothing about why. The
// connection's `error` events do (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`). Measured before
// this: a redisStore pointed at a closed port reported store failures with no cause at all.

/**
 * Listens for the client's connection errors and answers the latest one, until the connection is
 * ready again. The listener also keeps ioredis from printing every reconnection failure (the
 * engine logs store failures itself, rate-limited).
 */
export function lastConnectionError(client: Redis | Cluster): () => Error | undefined {
  let last: Error | undefined;
  client.on("error", (error: Error) => {
    last = error;
  });
  client.on("ready", () => {
    last = undefined;
  });
  return () => last;
}

/**
 * The store, with the latest connection error attached as the `cause` of a rejection that has
 * neither a code nor a cause of its own. Redis' answers (`NOAUTH …`, `READONLY …`) are left as
 * they are: they already say why.
 */
export function withConnectionCause<S extends Store>(
  store: S,
  connectionError: () => Error | undefined,
): S {
  const attached = { ...store } as unknown as Record<string, unknown>;
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== "function" || name === "close") continue;
    attached[name] = async (...args: unknown[]) => {
      try {
        return await member.apply(store, args);
      } catch (error) {
        throw withCause(error, connectionError());
      }
    };
  }
  return attached as S;
}

function withCause(error: unknown, cause: Error | undefined): unknown {
  if (cause === undefined || !(error instanceof Error) || error.name === "ReplyError") return error;
  if ((error as { code?: unknown }).code !== undefined || error.cause !== undefined) return error;
  Object.defineProperty(error, "cause", { value: cause, configurable: true, writable: true });
  return error;
}
