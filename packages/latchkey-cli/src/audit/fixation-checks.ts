// Session fixation (ASVS 5.0 7.2.4): is the id replaced at login, and is the pre-login id dead?
// And its cousin: does the server adopt an id the client invented?
import { randomBytes, randomInt } from "node:crypto";
import type { PendingFinding } from "./active-result.ts";
import { CookieJar } from "./cookie-jar.ts";
import type { Flow } from "./login-flow.ts";
import { isLoggedIn, logIn, url } from "./login-flow.ts";
import { parseSetCookie, redact } from "./set-cookie.ts";

// ASVS 5.0 7.2.4: a new session token on authentication, and the previous one terminated.
export async function checkFixation(
  flow: Flow,
  preLogin: CookieJar,
  jar: CookieJar,
  name: string,
  where: { url: string; cookie: string },
): Promise<PendingFinding[]> {
  let pre = preLogin;
  let post = jar;
  const fresh = flow.description.freshSession;
  if (pre.get(name) === undefined && fresh !== undefined) {
    // The login page issues no session: start one where the site does, then log in with it.
    pre = new CookieJar();
    await flow.client.send("session-fixation", { url: url(flow, fresh.url), method: "GET" }, pre, {
      follow: true,
    });
    post = pre.clone();
    if (pre.get(name) !== undefined) await logIn(flow, "session-fixation", post);
  }
  const before = pre.get(name);
  const after = post.get(name);
  if (before === undefined) {
    flow.client.note(
      "session-fixation",
      `compare ${name} before and after login`,
      `no ${name} before login`,
      "nothing to fixate from the login page; session-id-adopted tests planted ids",
    );
    return [];
  }
  if (before === after) {
    flow.client.note(
      "session-fixation",
      `compare ${name} before and after login`,
      `unchanged: ${redact(before)}`,
    );
    return [
      {
        id: "session-fixation",
        severity: "high",
        title: "Session id not changed at login",
        evidence: `${name} was ${redact(before)} before login and is the same value after it; an attacker who plants the pre-login id is logged in as the victim`,
        ...where,
      },
    ];
  }
  flow.client.note(
    "session-fixation",
    `compare ${name} before and after login`,
    `changed: ${redact(before)} → ${redact(after ?? "")}`,
  );
  if (await isLoggedIn(flow, "session-fixation", pre)) {
    return [
      {
        id: "session-fixation",
        severity: "high",
        title: "Pre-login session id still works after login",
        evidence: `${name} changed at login (${redact(before)} → ${redact(after ?? "")}), but the pre-login value is logged in too: the old session was upgraded, not replaced`,
        ...where,
      },
    ];
  }
  return [];
}

// An id the server never issued must never become a session (fixation without a visit).
export async function checkAdopted(
  flow: Flow,
  preLogin: CookieJar,
  name: string,
  sample: string,
  where: { url: string; cookie: string },
): Promise<PendingFinding[]> {
  const invented = inventLike(sample);
  const jar = preLogin.clone();
  jar.set(name, invented);
  const { page, login } = await logIn(flow, "session-id-adopted", jar);
  const echoed = [...page, ...login].some((r) =>
    r.setCookies.some((h) => {
      const c = parseSetCookie(h);
      return c?.name === name && c.value === invented;
    }),
  );
  const kept = jar.get(name) === invented && (await isLoggedIn(flow, "session-id-adopted", jar));
  if (!echoed && !kept) return [];
  return [
    {
      id: "session-id-adopted",
      severity: "high",
      title: "Session id chosen by the client is accepted",
      evidence: `an invented ${name} (${redact(invented)}) was ${echoed ? "echoed back in Set-Cookie" : ""}${echoed && kept ? " and " : ""}${kept ? "logged in after login" : ""}: the server adopts ids it never issued`,
      ...where,
    },
  ];
}

// A format marker (iron's "Fe26.2*<password id>*", express-session's "s:", Fernet's version
// byte, a JWT header) is the format, not the randomness. A forgery without it is thrown out
// before any key is tried — iron-session even answers 500 — so the server's handling of an
// unknown but well-formed value would go untested.
const FORMAT_MARKER = /^(?:Fe26\.2\*\d*\*|s%3A|s:|gAAAAA|CfDJ8|eyJ[A-Za-z0-9_-]*\.)/;

/**
 * A value shaped like `sample` (same length, same character classes, same format marker),
 * fresh from the CSPRNG.
 */
export function inventLike(sample: string): string {
  const lower = "abcdefghijklmnopqrstuvwxyz";
  const digits = "0123456789";
  const pick = (set: string) => set[randomInt(set.length)]!;
  if (sample === "") return randomBytes(16).toString("hex");
  const marker = FORMAT_MARKER.exec(sample)?.[0] ?? "";
  let out = marker;
  for (let i = marker.length; i < sample.length; i++) {
    const ch = sample[i]!;
    // Keep percent-escapes and punctuation: they are the format, not the randomness.
    if (ch === "%" && /^%[0-9A-F]{2}/i.test(sample.slice(i, i + 3))) {
      out += sample.slice(i, i + 3);
      i += 2;
    } else if (/[a-z]/.test(ch)) out += pick(lower);
    else if (/[A-Z]/.test(ch)) out += pick(lower.toUpperCase());
    else if (/[0-9]/.test(ch)) out += pick(digits);
    else out += ch;
  }
  return out === sample ? `${out}0` : out;
}
