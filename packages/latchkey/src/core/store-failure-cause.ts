// Why a store call failed, as a short code that is safe to log and to put in an event: a Node
// errno code (`ECONNREFUSED`), a driver's code (PostgreSQL SQLSTATE `28P01`, SQLite
// `SQLITE_BUSY`), a Redis error kind (`NOAUTH`) or an error class name. Never an error's message:
// drivers put statements, keys, values and connection strings with passwords into their messages.

/** What a store failure is reported as when nothing safer can be said about it. */
export const UNKNOWN_CAUSE = "unknown";

// Codes are identifiers: anything else (spaces, `@`, `:`, `/`) could carry data, so it is dropped.
const SAFE_CODE = /^[A-Za-z0-9_-]{1,40}$/;
// RESP: an error reply starts with its kind in capitals ("NOAUTH …", "WRONGPASS …", "LOADING …").
// That word is the protocol's error code; the rest of the reply is never read.
const REDIS_ERROR_KIND = /^[A-Z]{2,20}(?=\s|$)/;
const CLASS_NAME = /^[A-Za-z]{1,40}Error$/;
// Deep enough for a driver error wrapped by a store wrapped by an AggregateError.
const MAX_DEPTH = 5;

/**
 * The most specific safe code for a store failure. Wrappers (a `LatchkeyError`, ioredis'
 * retry-limit error) are looked through to the error they carry, so the innermost code wins:
 * `ECONNREFUSED`, not the wrapper's own.
 */
export function storeFailureCause(error: unknown): string {
  const chain = causeChain(error);
  for (let i = chain.length - 1; i >= 0; i--) {
    const code = ownCode(chain[i] as object);
    if (code !== undefined) return code;
  }
  for (const link of chain) {
    const kind = redisErrorKind(link);
    if (kind !== undefined) return kind;
  }
  for (const link of chain) {
    const { name, code } = link as { name?: unknown; code?: unknown };
    if (name === "LatchkeyError" && typeof code === "string") return code;
    if (typeof name === "string" && name !== "Error" && CLASS_NAME.test(name)) return name;
  }
  return UNKNOWN_CAUSE;
}

/** The error, then what it wraps (`cause`, or an AggregateError's first error), outermost first. */
function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  let link: unknown = error;
  while (typeof link === "object" && link !== null && chain.length < MAX_DEPTH) {
    if (chain.includes(link)) break;
    chain.push(link);
    const errors = (link as { errors?: unknown }).errors;
    const cause = (link as { cause?: unknown }).cause;
    link = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return chain;
}

function ownCode(link: object): string | undefined {
  // latchkey's own codes describe the wrapper ("store-unavailable"), not the outage.
  if ((link as { name?: unknown }).name === "LatchkeyError") return undefined;
  const code = (link as { code?: unknown }).code;
  if (typeof code === "string" && SAFE_CODE.test(code)) return code;
  return undefined;
}

function redisErrorKind(link: object): string | undefined {
  if ((link as { name?: unknown }).name !== "ReplyError") return undefined;
  const message = (link as { message?: unknown }).message;
  if (typeof message !== "string") return undefined;
  return REDIS_ERROR_KIND.exec(message)?.[0];
}
