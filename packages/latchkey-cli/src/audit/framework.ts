// Which framework set these cookies? It decides the wording of every fix (Flask config keys,
// Django settings, express-session options, latchkey options).
import type { FetchedResponse } from "./fetch.ts";
import type { SetCookie } from "./set-cookie.ts";

export type Framework = "flask" | "django" | "express" | "cookie-session" | "latchkey" | "generic";

export const FRAMEWORK_NAMES: Record<Framework, string> = {
  flask: "Flask",
  django: "Django",
  express: "Express (express-session)",
  "cookie-session": "Express (cookie-session)",
  latchkey: "latchkey",
  generic: "unknown framework",
};

export function detectFramework(
  responses: readonly FetchedResponse[],
  cookies: readonly SetCookie[],
  flaskCookie: boolean,
): Framework {
  const names = new Set(cookies.map((c) => c.name));
  const header = (name: string) => responses.map((r) => r.headers[name] ?? "").join(" ");
  // A server that names itself wins over a cookie name others can copy (Flask-Session apps
  // often call their cookie __Host-session too).
  if (/Werkzeug/i.test(header("server"))) return "flask";
  if ([...names].some((n) => /^__host-session$/i.test(n))) return "latchkey";
  if (names.has("connect.sid") || cookies.some((c) => c.value.startsWith("s%3A"))) return "express";
  if ([...names].some((n) => names.has(`${n}.sig`))) return "cookie-session";
  if (
    names.has("sessionid") ||
    names.has("csrftoken") ||
    /WSGIServer|Django/i.test(header("server"))
  )
    return "django";
  if (flaskCookie || /Werkzeug/i.test(header("server"))) return "flask";
  if (/Express/i.test(header("x-powered-by"))) return "express";
  return "generic";
}
