// Checks on one Set-Cookie header. Strict when judging (a repeated or misspelt SameSite is a
// finding), lenient when reading (set-cookie.ts never throws).

import type { FindingIdOf } from "../findings/catalogue.ts";
import type { Finding } from "../report/finding.ts";
import type { AuditContext, ObservedCookie } from "./context.ts";
import { makeFinding, transport } from "./context.ts";
import {
  attributeValues,
  hasAttribute,
  lastAttribute,
  lifetimeSeconds,
  redactSetCookie,
} from "./set-cookie.ts";

const DAY = 86_400;
// RFC 6265bis 5.5: user agents cap Expires/Max-Age at 400 days.
const MAX_LIFETIME = 400 * DAY;
// NIST SP 800-63B AAL2 reauthentication: 24 hours.
const SESSION_LIFETIME = DAY;
const FINGERPRINT_NAMES =
  /^(?:phpsessid|jsessionid|asp\.net_sessionid|aspsessionid\w*|cfid|cftoken|connect\.sid|sessionid|laravel_session|ci_session|rack\.session|_session_id)$/i;
const CSRF_COOKIE = /csrf|xsrf/i;

export function checkCookie(observed: ObservedCookie, ctx: AuditContext): Finding[] {
  const { cookie, response, verdict } = observed;
  const lifetime = lifetimeSeconds(cookie, ctx.now);
  // A cookie being deleted (logout) carries no value worth protecting.
  if (lifetime !== undefined && lifetime <= 0) return [];
  const session = verdict.session;
  // A remember-me cookie logs in on its own like a session cookie, but it is not the session:
  // the title names what the reader will find in their config.
  const kind = !session
    ? "Cookie"
    : /remember/i.test(cookie.name)
      ? "Remember-me cookie"
      : "Session cookie";
  const out: Finding[] = [];
  const add = (
    id: FindingIdOf<"audit">,
    severity: Finding["severity"],
    title: string,
    detail?: string,
  ) =>
    out.push(
      makeFinding(
        ctx,
        id,
        severity,
        title,
        `${detail !== undefined ? `${detail}; ` : ""}Set-Cookie: ${redactSetCookie(cookie)}`,
        {
          url: response.url,
          cookie: cookie.name,
        },
      ),
    );
  const secure = hasAttribute(cookie, "secure");
  const lowerName = cookie.name.toLowerCase();

  if (!secure) {
    add(
      "cookie-missing-secure",
      transport(ctx, session ? "high" : "low"),
      `${kind} sent without Secure`,
      session ? `${kind.toLowerCase()}: ${verdict.reason}` : undefined,
    );
  }
  if (!hasAttribute(cookie, "httponly") && !CSRF_COOKIE.test(cookie.name)) {
    add(
      "cookie-missing-httponly",
      session ? "high" : "low",
      `${kind} readable by scripts (no HttpOnly)`,
      session ? `${kind.toLowerCase()}: ${verdict.reason}` : undefined,
    );
  }

  const sameSite = attributeValues(cookie, "samesite").map((v) => (v ?? "").trim());
  const distinct = new Set(sameSite.map((v) => v.toLowerCase()));
  if (sameSite.length === 0) {
    add("cookie-samesite-missing", session ? "medium" : "low", `${kind} without SameSite`);
  } else if (
    distinct.size > 1 ||
    ![...distinct].every((v) => ["lax", "strict", "none"].includes(v))
  ) {
    add(
      "cookie-samesite-invalid",
      session ? "medium" : "low",
      `${kind} with an invalid SameSite`,
      `SameSite values: ${sameSite.map((v) => JSON.stringify(v)).join(", ")}`,
    );
  }
  const effectiveSameSite = (sameSite[sameSite.length - 1] ?? "").toLowerCase();
  if (effectiveSameSite === "none" && !secure) {
    add(
      "cookie-samesite-none-insecure",
      session ? "high" : "medium",
      `${kind} with SameSite=None but no Secure (browsers reject it)`,
    );
  } else if (effectiveSameSite === "none" && session) {
    add("cookie-samesite-none", "low", `${kind} sent on cross-site requests (SameSite=None)`);
  }

  const path = lastAttribute(cookie, "path");
  const domain = lastAttribute(cookie, "domain");
  if (lowerName.startsWith("__host-")) {
    const broken = [
      !secure && "no Secure",
      path !== "/" && `Path=${path ?? "(none)"}`,
      domain !== undefined && "a Domain",
    ].filter(Boolean);
    if (broken.length > 0)
      add(
        "cookie-prefix-invalid",
        "medium",
        "__Host- cookie breaks the prefix rules (browsers drop it)",
        `has ${broken.join(", ")}`,
      );
  } else if (lowerName.startsWith("__secure-")) {
    if (!secure)
      add("cookie-prefix-invalid", "medium", "__Secure- cookie without Secure (browsers drop it)");
  } else if (session) {
    add("cookie-prefix-missing", "low", `${kind} without the __Host- prefix`);
  }
  if (hasAttribute(cookie, "partitioned") && !secure) {
    add(
      "cookie-partitioned-insecure",
      "low",
      "Partitioned cookie without Secure (browsers reject it)",
    );
  }

  if (domain !== undefined && domain !== "") {
    const d = domain.replace(/^\./, "").toLowerCase();
    const host = ctx.target.hostname.toLowerCase();
    if (d !== host && host.endsWith(`.${d}`)) {
      add(
        "cookie-domain-broad",
        session ? "medium" : "low",
        `${kind} shared with every subdomain of ${d}`,
      );
    } else if (d === host && session) {
      add(
        "cookie-domain-broad",
        "low",
        `${kind} with a Domain attribute (also sent to subdomains)`,
      );
    }
  }

  if (lifetime !== undefined) {
    const days = Math.round(lifetime / DAY);
    if (lifetime > MAX_LIFETIME) {
      add(
        "cookie-lifetime-long",
        session ? "medium" : "low",
        `${kind} lifetime beyond 400 days`,
        `lifetime ${days} days`,
      );
    } else if (session && lifetime > SESSION_LIFETIME) {
      add(
        "cookie-lifetime-long",
        "low",
        `Persistent ${kind.toLowerCase()} outlives a working day`,
        `lifetime ${lifetime >= DAY * 2 ? `${days} days` : `${Math.round(lifetime / 3600)} hours`}`,
      );
    }
  }

  const size = Buffer.byteLength(cookie.name) + Buffer.byteLength(cookie.value);
  if (size > 4096) {
    add(
      "cookie-too-large",
      session ? "medium" : "low",
      `${kind} over 4096 bytes (browsers drop it)`,
      `name+value ${size} bytes`,
    );
  } else {
    const long = cookie.attributes.find((a) => Buffer.byteLength(a.value ?? "") > 1024);
    if (long !== undefined)
      add(
        "cookie-too-large",
        "low",
        "Cookie attribute over 1024 bytes (browsers ignore it)",
        `${long.name} is ${Buffer.byteLength(long.value ?? "")} bytes`,
      );
  }

  if (FINGERPRINT_NAMES.test(cookie.name)) {
    add("cookie-name-fingerprint", "low", "Cookie name reveals the framework");
  }
  return out;
}
