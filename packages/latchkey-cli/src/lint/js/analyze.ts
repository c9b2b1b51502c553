// Finds session configuration in one JavaScript/TypeScript file and checks it: express-session,
// cookie-session, @fastify/session, @fastify/secure-session, koa-session, iron-session, latchkey's
// createSessions, and the cookies a file sets by hand (`res.cookie`, `reply.setCookie`,
// `ctx.cookies.set`, Next's `cookies().set`, Hono's `setCookie`, a `Set-Cookie` header) when
// they carry a credential (./credential.ts).
import type { CallExpression, Node } from "@babel/types";
import type { Finding } from "../../report/finding.ts";
import { checkCookie } from "../cookie-checks.ts";
import { lintFinding } from "../rules.ts";
import { checkSecret } from "../secret-check.ts";
import type { Comment } from "../suppress.ts";
import { type Position, parseDurationText, type Setting, type Value } from "../value.ts";
import { type CookieValueKind, cookiesReadBack, judgeCookieValue } from "./credential.ts";
import { evaluate } from "./evaluate.ts";
import { type FrameworkProfile, type JsFramework, PACKAGES, PROFILES } from "./frameworks.ts";
import { parseScript, positionOf, walk } from "./parse.ts";
import { type Importer, memberPath, Scope, unwrap } from "./scope.ts";

export interface ScriptResult {
  findings: Finding[];
  comments: Comment[];
  parsed: boolean;
  /** Session setups recognised (calls whose options were examined). */
  setups: number;
  /**
   * Findings about hand-set cookies whose value says nothing either way (`res.cookie("sid", v)`):
   * they count when the application reads that cookie back into a lookup, which `readBack`
   * says for this file (cookie name → why).
   */
  pending: { cookie: string; findings: Finding[] }[];
  readBack: Map<string, string>;
}

/**
 * Lints one JavaScript/TypeScript file. `file` is the path shown in findings; `importer`
 * resolves values imported from the project's own modules (`secret: pkg.name`).
 */
export function lintScript(text: string, file: string, importer?: Importer): ScriptResult {
  const parsed = parseScript(text, file);
  if (parsed === undefined)
    return {
      findings: [],
      comments: [],
      parsed: false,
      setups: 0,
      pending: [],
      readBack: new Map(),
    };
  const scope = new Scope(parsed.ast, text, importer);
  const configured: Finding[] = [];
  const pending: ScriptResult["pending"] = [];
  let setups = 0;
  walk(parsed.ast, (node) => {
    if (node.type !== "CallExpression") return;
    const use = sessionCall(node, scope);
    if (use === undefined) return;
    // A hand-set cookie is judged by what it holds: a constant is a flag or a preference.
    const judged: CookieValueKind =
      use.cookieName === undefined
        ? { kind: "credential", reason: "" }
        : use.constant
          ? { kind: "constant" }
          : byValue(judgeCookieValue(use.value, scope), use.signed === true);
    if (judged.kind === "constant") return;
    setups++;
    const findings: Finding[] = [];
    if (use.secret !== undefined) {
      const setting = { value: evaluate(use.secret, scope), at: positionOf(use.secret) };
      const fix = PROFILES[use.framework].fix.secret;
      findings.push(...checkSecret({ setting, key: "secret", file, fix }));
    }
    const options =
      use.attributes ?? (use.options === undefined ? emptyObject() : evaluate(use.options, scope));
    if (options.kind === "object")
      findings.push(
        ...checkOptions(use.framework, options, positionOf(node), file, use.cookieName),
      );
    if (use.cookieName === undefined) configured.push(...findings);
    else if (judged.kind === "credential")
      configured.push(...findings.map((f) => asCredential(f, judged.reason)));
    else pending.push({ cookie: use.cookieName, findings });
  });
  return {
    findings: configured,
    comments: parsed.comments,
    parsed: true,
    setups,
    pending,
    readBack: cookiesReadBack(parsed.ast),
  };
}

// What the value shows comes first; a value that shows nothing is still worth signing only if
// the app trusts it on return.
function byValue(judged: CookieValueKind, signed: boolean): CookieValueKind {
  return judged.kind === "unknown" && signed
    ? { kind: "credential", reason: "it is signed with a secret" }
    : judged;
}

/** A hand-set cookie's finding, saying why the cookie was judged a session credential. */
export function asCredential(finding: Finding, reason: string): Finding {
  return { ...finding, severityReason: `the cookie carries a credential: ${reason}` };
}

interface SessionCall {
  framework: JsFramework;
  options: Node | undefined;
  /** Hand-set cookies: the name, and the expression the cookie is set to. */
  cookieName?: string;
  value?: Node;
  /** Set with a signing secret (`setSignedCookie`, `{ signed: true }`). */
  signed?: boolean;
  /** A signing secret passed as its own argument (Hono's `setSignedCookie`). */
  secret?: Node;
  /** Options already read (a Set-Cookie header's attributes). */
  attributes?: Value;
  /** The value is written into the header text itself. */
  constant?: boolean;
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
    if (imported.source === "iron-session" && imported.imported === "getIronSession")
      return { framework: "iron-session", options: args[1] };
    if (
      imported.source === "koa-session" &&
      (imported.imported === "default" || imported.imported === "*")
    )
      return { framework: "koa-session", options: args.length >= 2 ? args[0] : undefined };
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
  const method = path?.at(-1) ?? memberName(callee);
  if (method === "register" && args[0] !== undefined) {
    const framework = PACKAGES[pluginSource(args[0], scope) ?? ""];
    if (framework === "@fastify/session" || framework === "@fastify/secure-session") {
      return { framework, options: args[1] };
    }
  }
  if (
    (method === "setHeader" || method === "header" || method === "append" || method === "set") &&
    isSetCookieName(args[0])
  )
    return setCookieHeader(args[1], scope);
  // Next: cookies().set(name, value, opts) / cookies().set({ name, value, … }) / res.cookies.set.
  // Koa: ctx.cookies.set(name, value, opts).
  const owner = callee.type === "MemberExpression" ? unwrap(callee.object) : undefined;
  const onCookies =
    method === "set" &&
    owner !== undefined &&
    (memberPath(owner)?.at(-1) === "cookies" || isCookiesCall(owner));
  if (onCookies) {
    const next =
      isCookiesCall(owner!) ||
      [...scope.imports.values()].some((i) => i.source.startsWith("next/"));
    const framework = next ? "cookies().set" : "ctx.cookies.set";
    const first = args[0] === undefined ? undefined : unwrap(args[0]);
    if (first?.type === "ObjectExpression") {
      const name = stringProperty(first, "name");
      return name === undefined
        ? undefined
        : { framework, options: first, cookieName: name, value: propertyValue(first, "value") };
    }
    if (first?.type !== "StringLiteral") return undefined;
    return {
      framework,
      options: args[2],
      cookieName: first.value,
      value: args[1],
      signed: isSigned(args[2]),
    };
  }
  if (
    (method === "cookie" || method === "setCookie") &&
    args.length >= 2 &&
    args[0]?.type === "StringLiteral"
  ) {
    const framework = method === "setCookie" ? "reply.setCookie" : "res.cookie";
    return {
      framework,
      options: args[2],
      cookieName: args[0].value,
      value: args[1],
      signed: isSigned(args[2]),
    };
  }
  return undefined;
}

function memberName(callee: Node): string | undefined {
  return callee.type === "MemberExpression" &&
    !callee.computed &&
    callee.property.type === "Identifier"
    ? callee.property.name
    : undefined;
}

/** `cookies()` or `await cookies()` (next/headers). */
function isCookiesCall(node: Node): boolean {
  const n = node.type === "AwaitExpression" ? unwrap(node.argument) : node;
  return (
    n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "cookies"
  );
}

function isSetCookieName(node: Node | undefined): boolean {
  return node?.type === "StringLiteral" && node.value.toLowerCase() === "set-cookie";
}

/** `{ signed: true }` in the options: the cookie is worth signing, so it is trusted on return. */
function isSigned(node: Node | undefined): boolean {
  const n = node === undefined ? undefined : unwrap(node);
  if (n?.type !== "ObjectExpression") return false;
  const signed = propertyValue(n, "signed");
  return signed?.type === "BooleanLiteral" && signed.value;
}

function propertyValue(
  object: Extract<Node, { type: "ObjectExpression" }>,
  key: string,
): Node | undefined {
  for (const prop of object.properties) {
    if (prop.type !== "ObjectProperty" || prop.computed) continue;
    const name =
      prop.key.type === "Identifier"
        ? prop.key.name
        : prop.key.type === "StringLiteral"
          ? prop.key.value
          : undefined;
    if (name === key) return prop.value;
  }
  return undefined;
}

function stringProperty(
  object: Extract<Node, { type: "ObjectExpression" }>,
  key: string,
): string | undefined {
  const value = propertyValue(object, key);
  return value?.type === "StringLiteral" ? value.value : undefined;
}

// `res.setHeader("Set-Cookie", \`sid=${token}; HttpOnly; Path=/\`)`: the name, the value's
// expression and the attributes written in the string. Only a template or string literal is read.
function setCookieHeader(node: Node | undefined, scope: Scope): SessionCall | undefined {
  const n = node === undefined ? undefined : unwrap(node);
  if (n?.type === "ArrayExpression") {
    const first = n.elements[0];
    return first === null || first === undefined || first.type === "SpreadElement"
      ? undefined
      : setCookieHeader(first, scope);
  }
  let text: string;
  let value: Node | undefined;
  if (n?.type === "StringLiteral") text = n.value;
  else if (n?.type === "TemplateLiteral") {
    text = n.quasis.map((q) => q.value.cooked ?? "").join("\u0000");
    value = n.expressions[0];
  } else return undefined;
  const eq = text.indexOf("=");
  const hole = text.indexOf("\u0000");
  if (eq <= 0 || (hole >= 0 && hole < eq)) return undefined;
  const name = text.slice(0, eq).trim();
  if (!/^[\w.!#$%&'*+^`|~-]{1,100}$/.test(name)) return undefined;
  const at = positionOf(n);
  const entries = new Map<string, Setting>();
  for (const part of text.split(";").slice(1)) {
    const [rawKey, ...rest] = part.split("=");
    const key = (rawKey ?? "").trim().toLowerCase();
    const raw = rest.join("=").trim();
    if (key === "secure") entries.set("secure", { value: { kind: "bool", value: true }, at });
    else if (key === "httponly")
      entries.set("httpOnly", { value: { kind: "bool", value: true }, at });
    else if (key === "samesite")
      entries.set("sameSite", { value: { kind: "string", value: raw }, at });
    else if (key === "max-age" && /^\d{1,12}$/.test(raw))
      entries.set("maxAge", { value: { kind: "number", value: Number(raw) }, at });
    else if (key === "domain") entries.set("domain", { value: { kind: "string", value: raw }, at });
  }
  // A value written into the literal text (the first expression comes after the first `;`) is
  // a constant.
  const semi = text.indexOf(";");
  const constant = value === undefined || (semi >= 0 && hole > semi);
  return {
    framework: "Set-Cookie header",
    options: undefined,
    cookieName: name,
    ...(constant ? { constant } : { value }),
    attributes: { kind: "object", entries, open: false },
  };
}

/** Hono: `setCookie(c, name, value, opts)`, `setSignedCookie(c, name, value, secret, opts)`. */
function honoCookie(name: string, args: CallExpression["arguments"]): SessionCall | undefined {
  const signed = name === "setSignedCookie";
  if ((name !== "setCookie" && !signed) || args[1]?.type !== "StringLiteral") return undefined;
  return {
    framework: "hono/cookie",
    options: args[signed ? 4 : 3],
    cookieName: args[1].value,
    value: args[2],
    signed,
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
        : // iron-session: `ttl` (seconds) is how long the sealed session is valid.
          framework === "iron-session" && entry(options, "ttl") !== undefined
          ? entry(options, "ttl")
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
          key:
            framework === "latchkey"
              ? "absoluteTimeout"
              : framework === "iron-session" && entry(options, "ttl") !== undefined
                ? "ttl"
                : keyName(profile, "maxAge"),
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
