// The routes the CSRF and step-up scenarios need, written once against the Session API and
// mounted on every adapter (test/adapters/csrf-mounts.ts) behind sessionMiddleware + csrfMiddleware.
import type { Session } from "../../packages/latchkey/src/index.ts";
import type { AppReply, AppSession } from "./app.ts";

export async function handleCsrfApp(
  session: Session<AppSession>,
  method: string,
  url: URL,
  body: string,
): Promise<AppReply> {
  switch (`${method} ${url.pathname}`) {
    case "GET /csrf-token":
      return { status: 200, body: { token: session.csrfToken(), userId: session.userId } };
    case "GET /two-tokens":
      return { status: 200, body: { tokens: [session.csrfToken(), session.csrfToken()] } };
    case "POST /count":
      session.set("count", (session.get("count") ?? 0) + 1);
      return { status: 200, body: { count: session.get("count") } };
    case "POST /login":
      await session.login(url.searchParams.get("user") ?? "alice");
      return { status: 200, body: { userId: session.userId, token: session.csrfToken() } };
    case "POST /reauthenticate":
      await session.reauthenticate();
      return { status: 200, body: { authTime: session.authTime } };
    case "POST /logout":
      await session.logout();
      return { status: 200, body: { loggedOut: true } };
    case "POST /sensitive":
      return { status: 200, body: { changed: true } };
  }
  // Any method: what the application read of the body after the CSRF middleware looked at it.
  if (url.pathname === "/echo") return { status: 200, body: { method, body } };
  return { status: 404, body: { error: "not found" } };
}
