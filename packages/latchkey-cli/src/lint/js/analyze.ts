// Finds session configuration in one JavaScript/TypeScript file and checks it: express-session,
// cookie-session, @fastify/session, @fastify/secure-session, latchkey's createSessions and
// session-like `res.cookie(...)` / `reply.setCookie(...)` calls.
import type { CallExpression, Node } from "@babel/types";
import type { Finding } from "../../report/finding.ts";
import { checkCookie } from "../cookie-checks.ts";
import { lintFinding } from "../rules.ts";
import { checkSecret } from "../secret-check.ts";
import type { Comment } from "../suppress.ts";
import { type Position, parseDurationText, type Setting, type Value } from "../value.ts";
import { usesAuthentication } from "./auth-signals.ts";
import { evaluate } from "./evaluate.ts";
import {
  type FrameworkProfile,
  type JsFramework,
  PACKAGES,
  PROFILES,
  SESSION_COOKIE_NAME,
} from "./frameworks.ts";
import { parseScript, positionOf, walk } from "./parse.ts";
import { type ImportBinding, memberPath, Scope } from "./scope.ts";

export interface ScriptResult {
  findings: Finding[];
  comments: Comment[];
  parsed: boolean;
  /** Session setups recognised (calls whose options were examined). */
  setups: number;
  /**
   * Findings about cookies recognised only by their name (`res.cookie("remember", …)`): they
   * count when the application signs users in (see ./auth-signals.ts), which `authenticates`
   * says for this file.
   */
  byCookieName: Finding[];
  authenticates: boolean;
}

/**
 * Lints one JavaScript/TypeScript file. `file` is the path shown in findings; `importer`
 * resolves values imported from the project's own modules (`secret: pkg.name`).
 */
export function lintScript(
  text: string,
  file: string,
  importer?: (binding: ImportBinding) => Value,
): ScriptResult {
  const parsed = parseScript(text, file);
  if (parsed === undefined)
    return {
      findings: [],
      comments: [],
      parsed: false,
      setups: 0,
      byCookieName: [],
      authenticates: false,
    };
  const scope = new Scope(parsed.ast, text, importer);
  const configured: Finding[] = [];
  const byCookieName: Finding[] = [];
  let setups = 0;
  walk(parsed.ast, (node) => {
    if (node.type !== "CallExpression") return;
    const use = sessionCall(node, scope);
    if (use === undefined) return;
    setups++;
    const findings = use.cookieName === undefined ? configured : byCookieName;
    if (use.secret !== undefined) {
      const setting = { value: evaluate(use.secret, scope), at: positionOf(use.secret) };
      const fix = PROFILES[use.framework].fix.secret;
      findings.push(...checkSecret({ setting, key: "secret", file, fix }));
    }
    const options = use.options === undefined ? emptyObject() : evaluate(use.options, scope);
    if (options.kind !== "object") return; // built elsewhere: nothing we can judge
    findings.push(...checkOptions(use.framework, options, positionOf(node), file, use.cookieName));
  });
  return {
    findings: configured,
    comments: parsed.comments,
    parsed: true,
    setups,
    byCookieName,
    authenticates: usesAuthentication(parsed.ast, scope),
  };
}

interface SessionCall {
  framework: JsFramework;
  options: Node | undefined;
  cookieName?: string;
  /** A signing secret passed as its own argument (Hono's `setSignedCookie`). */
  secret?: Node;
}

function sessionCall(call: CallExpression, scope: Scope): SessionCall | undefined {
  const callee = call.callee;
  const args = call.arguments;
  // `app.use(require("express-session")({ … }))`
  if (callee.type === "CallExpression") {
    const framework = PACKAGES[pluginSource(callee, scope) ?? ""];
    if (framework === "express-session" || framework === "cookie-session") {
      return { framework, options: args[0] };
    }
    return undefined;
  }
  if (callee.type === "Identifier") {
    const imported = scope.imports.get(callee.name);
    if (imported === undefined) return undefined;
    if (imported.imported === "createSessions") return { framework: "latchkey", options: args[0] };
    if (imported.source === "hono/cookie") return honoCookie(imported.imported, args);
    const framework = PACKAGES[imported.source];
    if (
      (framework === "express-session" || framework === "cookie-session") &&
      (imported.imported === "default" || imported.imported === "*")
    ) {
      return { framework, options: args[0] };
    }
    return undefined;
  }
  const path = memberPath(callee);
  const method = path?.at(-1);
  if (method === "register" && args[0] !== undefined) {
    const framework = PACKAGES[pluginSource(args[0], scope) ?? ""];
    if (framework === "@fastify/session" || framework === "@fastify/secure-session") {
      return { framework, options: args[1] };
    }
  }
  if (
    (method === "cookie" || method === "setCookie") &&
    args.length >= 2 &&
    args[0]?.type === "StringLiteral"
  ) {
    const name = args[0].value;
    if (!SESSION_COOKIE_NAME.test(name)) return undefined;
    const framework = method === "setCookie" ? "reply.setCookie" : "res.cookie";
    return { framework, options: args[2], cookieName: name };
  }
  return undefined;
}

/** Hono: `setCookie(c, name, value, opts)`, `setSignedCookie(c, name, value, secret, opts)`. */
function honoCookie(name: string, args: CallExpression["arguments"]): SessionCall | undefined {
  const signed = name === "setSignedCookie";
  if ((name !== "setCookie" && !signed) || args[1]?.type !== "StringLiteral") return undefined;
  const cookieName = args[1].value;
  if (!SESSION_COOKIE_NAME.test(cookieName)) return undefined;
  return {
    framework: "hono/cookie",
    options: args[signed ? 4 : 3],
    cookieName,
    ...(signed && args[3] !== undefined ? { secret: args[3] } : {}),
  };
}

/** The package a Fastify plugin argument comes from: an imported name or an inline `require(...)`. */
function pluginSource(node: Node, scope: Scope): string | undefined {
  if (node.type === "Identifier") return scope.imports.get(node.name)?.source;
  if (node.type === "CallExpression" && node.arguments[0]?.type === "StringLiteral") {
    const isRequire = node.callee.type === "Identifier" && node.callee.name === "require";
    if (isRequire || node.callee.type === "Import") return node.arguments[0].value;
  }
  return undefined;
}

function emptyObject(): Value {
  return { kind: "object", entries: new Map(), open: false };
}

function entry(options: Extract<Value, { kind: "object" }>, key: string): Setting | undefined {
  return options.entries.get(key);
}

/** The nested cookie options (`cookie: {…}`), merged over the top level for flat libraries. */
function cookieOptions(
  profile: FrameworkProfile,
  options: Extract<Value, { kind: "object" }>,
): Extract<Value, { kind: "object" }> | undefined {
  if (profile.cookieKeys.length === 0) return options;
  for (const key of profile.cookieKeys) {
    const nested = options.entries.get(key);
    if (nested === undefined) continue;
    return nested.value.kind === "object" ? nested.value : undefined;
  }
  return { kind: "object", entries: new Map(), open: options.open };
}

/** A setting whose value is seconds, converted from the library's unit. */
function inSeconds(setting: Setting | undefined, unit: "ms" | "s"): Setting | undefined {
  if (setting === undefined) return undefined;
  const value = setting.value;
  if (value.kind === "number")
    return {
      ...setting,
      value: { kind: "duration", seconds: unit === "ms" ? value.value / 1000 : value.value },
    };
  if (value.kind === "string") {
    const seconds = parseDurationText(value.value);
    if (seconds !== undefined) return { ...setting, value: { kind: "duration", seconds } };
  }
  return setting;
}

function checkOptions(
  framework: JsFramework,
  options: Extract<Value, { kind: "object" }>,
  anchor: Position,
  file: string,
  resCookieName: string | undefined,
): Finding[] {
  const profile = PROFILES[framework];
  const cookie = cookieOptions(profile, options);
  const findings: Finding[] = [];
  // A spread or unknown merge may set what we cannot see: then "missing" proves nothing.
  const known = (opts: Extract<Value, { kind: "object" }> | undefined) =>
    opts !== undefined && !opts.open;
  const nameSetting = profile.nameKey === undefined ? undefined : entry(options, profile.nameKey);
  const cookieName =
    resCookieName ??
    (nameSetting?.value.kind === "string" ? nameSetting.value.value : profile.defaultName);
  if (cookie !== undefined) {
    const present = (key: string) => entry(cookie, key);
    const missingOk = !known(cookie);
    const lifetimeSetting =
      framework === "latchkey"
        ? entry(options, "absoluteTimeout")
        : (present("maxAge") ?? present("expires"));
    findings.push(
      ...checkCookie({
        file,
        anchor,
        cookie: cookieName,
        secure: {
          setting: present("secure"),
          key: keyName(profile, "secure"),
          fix: profile.fix.secure,
          insecureByDefault: !profile.secureByDefault && !missingOk,
        },
        httpOnly: {
          setting: present("httpOnly"),
          key: keyName(profile, "httpOnly"),
          fix: profile.fix.httpOnly,
          insecureByDefault: !profile.httpOnlyByDefault && !missingOk,
        },
        sameSite: {
          setting: present("sameSite"),
          key: keyName(profile, "sameSite"),
          fix: profile.fix.sameSite,
          defaultValue: missingOk ? "unknown" : profile.sameSiteDefault,
        },
        lifetime: {
          setting: inSeconds(lifetimeSetting, profile.maxAgeUnit),
          key: framework === "latchkey" ? "absoluteTimeout" : keyName(profile, "maxAge"),
          fix: profile.fix.lifetime,
          defaultSeconds: undefined,
        },
        ...(profile.nameKey !== undefined && known(options)
          ? {
              name: {
                setting: nameSetting,
                key: profile.nameKey,
                fix: profile.fix.name,
                defaultName: profile.defaultName,
              },
            }
          : {}),
        domain: {
          setting: present("domain"),
          key: keyName(profile, "domain"),
          fix: profile.fix.domain,
        },
      }),
    );
    if (profile.needsTimeout && known(cookie) && known(options) && lifetimeSetting === undefined) {
      findings.push(
        lintFinding({
          id: "session-timeout-missing",
          severity: "low",
          file,
          at: anchor,
          evidence: `${framework} without ${keyName(profile, "maxAge")}: the session never expires on its own`,
          fix: profile.fix.timeout,
          cookie: cookieName,
        }),
      );
    }
  }
  for (const key of profile.secretKeys) {
    findings.push(
      ...checkSecret({ setting: entry(options, key), key, file, fix: profile.fix.secret }),
    );
  }
  if (profile.memoryStoreByDefault && known(options) && entry(options, "store") === undefined) {
    findings.push(
      lintFinding({
        id: "session-store-memory",
        severity: "medium",
        file,
        at: anchor,
        evidence: `${framework} without a \`store\`: the default MemoryStore leaks memory, loses every session on restart and cannot be shared between processes`,
        fix: profile.fix.store,
        cookie: cookieName,
      }),
    );
  }
  return findings;
}

function keyName(profile: FrameworkProfile, key: string): string {
  const prefix = profile.cookieKeys[0];
  return prefix === undefined ? key : `${prefix}.${key}`;
}
