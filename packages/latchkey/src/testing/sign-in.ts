import type { Sessions } from "../core/engine.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";

/**
 * Mints a logged-in session for a test, without going through the app's login form: the session
 * is created through `sessions` (stored in its store, or sealed), `userId` logged in, `data` set,
 * and the `Cookie` header value that carries it is returned. Send it with any HTTP client.
 *
 * @example
 * ```ts
 * import request from "supertest";
 * import { signIn } from "latchkey/testing";
 *
 * const cookie = await signIn(sessions, "user-1", { cart: ["book"] });
 * await request(app).get("/account").set("Cookie", cookie).expect(200);
 * ```
 */
export async function signIn<T extends object>(
  sessions: Sessions<T>,
  userId: string,
  data: Partial<T> = {},
): Promise<string> {
  const session = await sessions.load({});
  await session.login(userId);
  const untyped = session as unknown as Session<Record<string, unknown>>;
  for (const [key, value] of Object.entries(data)) {
    if (value !== undefined) untyped.set(key, value);
  }
  const headers = await sessions.commit(session);
  if (headers === null) {
    throw new LatchkeyError("argument-invalid", "signIn: these sessions issued no cookie");
  }
  // `name=value` is the Set-Cookie line up to its first attribute.
  return headers.setCookie.slice(0, headers.setCookie.indexOf(";") >>> 0);
}
