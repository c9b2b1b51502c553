// Next.js writes cookies through `cookies().set(…)`, which takes attributes, not a Set-Cookie
// line. The lines parsed here are latchkey's own (core/cookies.ts serializes them), so the parser
// knows every attribute it can meet and refuses anything else rather than drop it silently: an
// attribute lost on the way (Secure, HttpOnly) would weaken the cookie without a trace.

import { LatchkeyError } from "../../core/errors.ts";

/** A cookie as `cookies().set()` from `next/headers` takes it. */
export interface NextCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: "strict" | "lax" | "none";
  priority?: "low" | "medium" | "high";
  partitioned?: boolean;
}

/** Turns one Set-Cookie line written by latchkey into the `cookies().set()` form. */
export function parseSetCookie(line: string): NextCookie {
  const [pair = "", ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq <= 0) throw unexpected(line);
  const cookie: NextCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const value = at === -1 ? "" : attribute.slice(at + 1).trim();
    switch (key) {
      case "path":
        cookie.path = value;
        break;
      case "domain":
        cookie.domain = value;
        break;
      case "max-age":
        cookie.maxAge = Number(value);
        break;
      case "expires":
        cookie.expires = new Date(value);
        break;
      case "secure":
        cookie.secure = true;
        break;
      case "httponly":
        cookie.httpOnly = true;
        break;
      case "partitioned":
        cookie.partitioned = true;
        break;
      case "samesite":
        cookie.sameSite = oneOf<"strict" | "lax" | "none">(
          value.toLowerCase(),
          ["strict", "lax", "none"],
          line,
        );
        break;
      case "priority":
        cookie.priority = oneOf<"low" | "medium" | "high">(
          value.toLowerCase(),
          ["low", "medium", "high"],
          line,
        );
        break;
      default:
        throw unexpected(line);
    }
  }
  return cookie;
}

function oneOf<V extends string>(value: string, allowed: readonly V[], line: string): V {
  if ((allowed as readonly string[]).includes(value)) return value as V;
  throw unexpected(line);
}

function unexpected(line: string): LatchkeyError {
  const name = line.split("=", 1)[0];
  return new LatchkeyError(
    "argument-invalid",
    `latchkey/next cannot carry the Set-Cookie line of cookie "${name}" through cookies().set(): an attribute it does not know.`,
  );
}
