// One tiny application, written once against the Session API, mounted on every adapter. The
// shared scenarios drive it over real HTTP.
import type { Session, SessionData } from "../../packages/latchkey/src/index.ts";

// Extends SessionData as an application's data must: the adapters type sessions by it.
export interface AppSession extends SessionData {
  count: number;
  items: string[];
  blob: string;
}

export interface AppReply {
  status: number;
  body: unknown;
  /** Headers the application sets itself (e.g. its own Cache-Control). */
  headers?: Record<string, string>;
}

export async function handle(
  session: Session<AppSession>,
  method: string,
  url: URL,
): Promise<AppReply> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case "GET /read":
      return { status: 200, body: view(session) };
    case "GET /cached":
      // A page whose Cache-Control the application chose (?cc=…).
      return {
        status: 200,
        body: view(session),
        headers: { "cache-control": url.searchParams.get("cc") ?? "" },
      };
    case "POST /count":
      session.set("count", (session.get("count") ?? 0) + 1);
      return { status: 200, body: view(session) };
    case "POST /push": {
      // An in-place change: no set() call, the engine must notice it.
      const items = session.get("items");
      if (items === undefined) session.set("items", [url.searchParams.get("item") ?? "x"]);
      else items.push(url.searchParams.get("item") ?? "x");
      return { status: 200, body: view(session) };
    }
    case "POST /forget": {
      session.delete("items");
      // Read back in the same request: a deleted key is gone at once, not only after saving.
      return {
        status: 200,
        body: { ...view(session), itemsAfterDelete: session.get("items") ?? null },
      };
    }
    case "POST /big":
      session.set("blob", "x".repeat(Number(url.searchParams.get("bytes") ?? "5000")));
      return { status: 200, body: view(session) };
    case "POST /login":
      await session.login(url.searchParams.get("user") ?? "alice", {
        persistent: url.searchParams.has("remember"),
      });
      return { status: 200, body: view(session) };
    case "POST /remember":
      // "Remember me" switched on (or off, with ?off) for a session that already exists.
      session.persistent = !url.searchParams.has("off");
      return { status: 200, body: view(session) };
    case "POST /logout":
      await session.logout();
      return { status: 200, body: { loggedOut: true } };
    case "POST /rotate":
      await session.rotate();
      return { status: 200, body: view(session) };
    default:
      return { status: 404, body: { error: "not found" } };
  }
}

function view(session: Session<AppSession>) {
  return {
    isNew: session.isNew,
    userId: session.userId,
    authTime: session.authTime,
    createdAt: session.createdAt,
    persistent: session.persistent,
    count: session.get("count") ?? null,
    items: session.get("items") ?? null,
  };
}
