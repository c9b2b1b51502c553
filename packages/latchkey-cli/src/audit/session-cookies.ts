// Which cookies carry the logged-in session? Often one, but not always: Flask-Login with
// remember=True, Rails' remember_user_token, Laravel's remember_web_* and many hand-rolled
// "remember me" features set a second cookie that logs the user in by itself. Dropping either
// cookie then leaves the user logged in, so elimination alone finds nothing — and each of those
// cookies is a way in that logout must close. So: every cookie that logs in on its own counts;
// only when none does (the session needs two cookies together, e.g. cookie-session's value and
// its `.sig`) is the cookie found by elimination.
import { CliError } from "../errors.ts";
import { CookieJar } from "./cookie-jar.ts";
import type { Flow } from "./login-flow.ts";
import { isLoggedIn } from "./login-flow.ts";
import { judgeSessionCookie } from "./session-cookie.ts";

const CHECK = "session-cookie";
// A site sets few cookies at login; past this many, ask the user to name the session cookie.
const MAX_CANDIDATES = 10;

/**
 * The cookies that authenticate, the primary session cookie first: every cookie of `jar` that
 * logs in on its own, or else the one without which the site no longer sees the user.
 */
export async function findSessionCookies(flow: Flow, jar: CookieJar): Promise<string[]> {
  const named = flow.description.sessionCookie;
  if (named !== undefined) {
    if (jar.get(named) === undefined)
      throw new CliError(
        "active-check",
        `sessionCookie: no cookie "${named}" was set by the login`,
      );
    return [named];
  }
  const candidates = rankCandidates(jar).slice(0, MAX_CANDIDATES);
  const alone: string[] = [];
  for (const name of candidates) {
    const only = new CookieJar([[name, jar.get(name) ?? ""]]);
    if (await isLoggedIn(flow, CHECK, only)) alone.push(name);
  }
  if (alone.length > 0) {
    flow.client.note(
      CHECK,
      `each cookie alone: ${candidates.join(", ")}`,
      `logged in on its own: ${alone.join(", ")}`,
      alone.length > 1
        ? `${alone.length} cookies authenticate; each is checked, ${alone[0]} is the session cookie`
        : `session cookie: ${alone[0]}`,
    );
    return alone;
  }
  for (const name of candidates) {
    const without = jar.clone();
    without.delete(name);
    if (!(await isLoggedIn(flow, CHECK, without))) {
      flow.client.note(
        CHECK,
        `drop ${name}`,
        "logged out",
        `session cookie: ${name} (no cookie logs in on its own)`,
      );
      return [name];
    }
  }
  throw new CliError(
    "active-check",
    `could not tell which cookie carries the session (${jar.names().join(", ") || "no cookies"}): no cookie logs in on its own and none is missed when dropped; name it with "sessionCookie"`,
  );
}

/**
 * Likely session cookies first, so the primary one leads; a remember-me cookie ranks after the
 * session it restores (it is a second way in, not the session itself). Exported for the tests.
 */
export function rankCandidates(jar: CookieJar): string[] {
  const score = (name: string) => {
    const cookie = { name, value: jar.get(name) ?? "", attributes: [], raw: "" };
    const session = judgeSessionCookie(cookie, undefined).session ? 2 : 0;
    return session - (/remember/i.test(name) ? 1 : 0);
  };
  return jar.names().sort((a, b) => score(b) - score(a));
}
