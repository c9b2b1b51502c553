// Logout (ASVS 5.0 7.4.1, 14.3.1): after it, neither the browser's cookies nor a copy taken
// before it may still be logged in, and the browser should be told to forget the cookie.
import type { PendingFinding } from "./active-result.ts";
import type { CookieJar } from "./cookie-jar.ts";
import type { Flow } from "./login-flow.ts";
import { fetchToken, isLoggedIn, sendSpec } from "./login-flow.ts";
import { lifetimeSeconds, parseSetCookie, redact } from "./set-cookie.ts";

// ASVS 5.0 7.4.1 (the session is unusable after logout) and 14.3.1 (the client is cleared).
export async function checkLogout(
  flow: Flow,
  jar: CookieJar,
  name: string,
  clientSide: string | undefined,
  where: { url: string; cookie: string },
): Promise<PendingFinding[]> {
  const spec = flow.description.logout;
  const captured = jar.clone();
  const token = await fetchToken(flow, "logout", "logout", spec, jar);
  const responses = await sendSpec(flow, "logout", spec, jar, {}, token, { follow: true });
  const out: PendingFinding[] = [];
  const expired = responses.some((r) =>
    r.setCookies.some((h) => {
      const c = parseSetCookie(h);
      const life = c?.name === name ? lifetimeSeconds(c, Date.now()) : undefined;
      return life !== undefined && life <= 0;
    }),
  );
  const cleared = responses.some((r) => /"(cookies|\*)"/i.test(r.headers["clear-site-data"] ?? ""));
  if (!expired && !cleared) {
    out.push({
      id: "logout-cookie-not-cleared",
      severity: "low",
      title: "Logout leaves the session cookie in the browser",
      evidence: `the logout response neither expires ${name} (Max-Age=0 or a past Expires) nor sends Clear-Site-Data: "cookies"`,
      ...where,
    });
  }
  const browserStillIn = await isLoggedIn(flow, "logout-not-invalidated", jar);
  const replayIn = await isLoggedIn(flow, "logout-not-invalidated", captured);
  if (replayIn || browserStillIn) {
    const byDesign =
      clientSide === "flask"
        ? "; Flask's default session is a signed cookie holding the data itself, so by design logout only replaces the browser's copy and any earlier copy stays valid until it expires"
        : clientSide !== undefined
          ? `; the session is a client-side ${clientSide} cookie, so logout cannot revoke copies`
          : "";
    out.push({
      id: "logout-not-invalidated",
      severity: "high",
      title: "Session still valid after logout",
      evidence: `${browserStillIn ? "the browser is still logged in after logout" : `the ${name} cookie captured before logout (${redact(captured.get(name) ?? "")}) still authenticates ${flow.description.loggedIn.url} after logout`}${byDesign}`,
      ...where,
    });
  }
  return out;
}
