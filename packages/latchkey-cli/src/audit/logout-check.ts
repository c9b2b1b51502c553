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
  for (const r of responses)
    for (const header of r.setCookies) {
      const c = parseSetCookie(header);
      const life = c === undefined ? undefined : lifetimeSeconds(c, Date.now());
      if (c !== undefined && life !== undefined && life <= 0) expired.add(c.name);
    }
  const cleared = responses.some((r) => /"(cookies|\*)"/i.test(r.headers["clear-site-data"] ?? ""));
  for (const name of cookies)
    if (!expired.has(name) && !cleared)
      out.push({
        id: "logout-cookie-not-cleared",
        severity: "low",
        title: "Logout leaves the session cookie in the browser",
        evidence: `the logout response neither expires ${name} (Max-Age=0 or a past Expires) nor sends Clear-Site-Data: "cookies"`,
        url,
        cookie: name,
      });

  const primary = cookies[0]!;
  const survivors = new Map<string, string[]>();
  const survived = (name: string, what: string) =>
    survivors.set(name, [...(survivors.get(name) ?? []), what]);
  if (await isLoggedIn(flow, CHECK, jar))
    survived(primary, "the browser is still logged in after logout");
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
