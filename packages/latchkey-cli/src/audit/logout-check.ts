// Logout (ASVS 5.0 7.4.1, 14.3.1): after it, neither the browser's cookies nor a copy taken
// before it may still be logged in, and the browser should be told to forget the cookies.
// When several cookies authenticate (a session and a remember-me cookie), each one is a way
// back in: the whole copied jar is replayed, and then each of them alone, so the report names
// the cookie that survives.
import type { PendingFinding } from "./active-result.ts";
import { clientSessionName, decodeClientSession } from "./client-session.ts";
import { CookieJar } from "./cookie-jar.ts";
import type { Flow } from "./login-flow.ts";
import { fetchToken, isLoggedIn, sendSpec } from "./login-flow.ts";
import { lifetimeSeconds, parseSetCookie, redact } from "./set-cookie.ts";
import { signedCookieFor } from "./weak-secret.ts";

const CHECK = "logout-not-invalidated";

/**
 * @param cookies the cookies that authenticate, the session cookie first
 * @param url where the login happens (the findings' url)
 */
export async function checkLogout(
  flow: Flow,
  jar: CookieJar,
  cookies: readonly string[],
  url: string,
): Promise<PendingFinding[]> {
  const spec = flow.description.logout;
  const captured = jar.clone();
  const token = await fetchToken(flow, "logout", "logout", spec, jar);
  const responses = await sendSpec(flow, "logout", spec, jar, {}, token, { follow: true });
  const out: PendingFinding[] = [];
  const expired = new Set<string>();
  // The value each cookie was last set to by the logout exchange, when it was set to one.
  const replacedWith = new Map<string, string>();
  for (const r of responses)
    for (const header of r.setCookies) {
      const c = parseSetCookie(header);
      if (c === undefined) continue;
      const life = lifetimeSeconds(c, Date.now());
      if (life !== undefined && life <= 0) {
        expired.add(c.name);
        replacedWith.delete(c.name);
      } else if (c.value !== "") replacedWith.set(c.name, c.value);
    }
  const cleared = responses.some((r) => /"(cookies|\*)"/i.test(r.headers["clear-site-data"] ?? ""));

  const primary = cookies[0]!;
  const survivors = new Map<string, string[]>();
  const survived = (name: string, what: string) =>
    survivors.set(name, [...(survivors.get(name) ?? []), what]);
  const browserIn = await isLoggedIn(flow, CHECK, jar);
  if (browserIn) survived(primary, "the browser is still logged in after logout");
  const replayIn = await isLoggedIn(flow, CHECK, captured);
  let aloneIn = false;
  if (cookies.length > 1) {
    for (const name of cookies) {
      const alone = new CookieJar([[name, captured.get(name) ?? ""]]);
      if (!(await isLoggedIn(flow, CHECK, alone))) continue;
      aloneIn = true;
      survived(
        name,
        `the ${name} cookie captured before logout (${redact(captured.get(name) ?? "")}), sent alone, still authenticates ${flow.description.loggedIn.url} after logout`,
      );
    }
  }
  if (replayIn && !aloneIn) {
    const what =
      cookies.length > 1
        ? `the cookies captured before logout (${cookies.join(", ")}), replayed together, still authenticate ${flow.description.loggedIn.url} after logout`
        : `the ${primary} cookie captured before logout (${redact(captured.get(primary) ?? "")}) still authenticates ${flow.description.loggedIn.url} after logout`;
    survived(primary, what);
  }
  // What the browser keeps matters, not how: an expired cookie, Clear-Site-Data, or a new value
  // that is not the old session (the old value is dead and the new one is anonymous) all leave
  // nothing of the session behind. express-session with Passport, Rails and Sinatra do the last.
  for (const name of cookies) {
    if (expired.has(name) || cleared) continue;
    const replacement = replacedWith.get(name);
    const replaced = replacement !== undefined && replacement !== captured.get(name);
    if (replaced && !browserIn && !survivors.has(name)) {
      flow.client.note(
        "logout-cookie-not-cleared",
        `compare ${name} before and after logout`,
        `replaced: ${redact(captured.get(name) ?? "")} → ${redact(replacement)}`,
        "a new anonymous value; the old one no longer logs in: nothing of the session is left",
      );
      continue;
    }
    out.push({
      id: "logout-cookie-not-cleared",
      severity: "low",
      title:
        name === primary
          ? "Logout leaves the session cookie in the browser"
          : `Logout leaves the ${name} cookie in the browser`,
      evidence: replaced
        ? `the logout response replaced ${name} with a new value, but the session it held was not ended (see logout-not-invalidated), and it neither expires the cookie nor sends Clear-Site-Data: "cookies"`
        : `the logout response neither expires ${name} (Max-Age=0 or a past Expires), nor replaces it with a new anonymous value, nor sends Clear-Site-Data: "cookies"`,
      url,
      cookie: name,
    });
  }
  for (const [name, what] of survivors)
    out.push({
      id: "logout-not-invalidated",
      severity: "high",
      title:
        name === primary
          ? "Session still valid after logout"
          : `${name} still logs in after logout`,
      evidence: `${what.join("; ")}${whyItSurvives(name, captured)}`,
      url,
      cookie: name,
    });
  return out;
}

/** Why logout could not have revoked this cookie, when its format says so. */
function whyItSurvives(name: string, captured: CookieJar): string {
  const value = captured.get(name) ?? "";
  const session = decodeClientSession(name, value, new Set(captured.names()));
  if (session?.format === "flask")
    return "; Flask's default session is a signed cookie holding the data itself, so by design logout only replaces the browser's copy and any earlier copy stays valid until it expires";
  if (session?.sealed)
    return `; the session is a client-side ${clientSessionName(session.format)} (encrypted, but the data lives in the cookie), so by design logout only replaces the browser's copy and any earlier copy stays valid until it expires`;
  if (session !== undefined)
    return `; the session is a client-side ${session.format} cookie, so logout cannot revoke copies`;
  const values = new Map(captured.names().map((n): [string, string] => [n, captured.get(n) ?? ""]));
  if (signedCookieFor(name, value, values)?.format === "flask-login-remember")
    return "; it is Flask-Login's remember cookie: the user id signed with SECRET_KEY, the same value at every login, and the server never expires it, so logout_user() deletes only the browser's copy and a stolen copy logs in until SECRET_KEY changes (make get_id() return a token that logout replaces, and set REMEMBER_COOKIE_DURATION)";
  return "";
}
