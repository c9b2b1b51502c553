// Whether a cookie a JavaScript/TypeScript file sets is a session credential, judged from what the
// code puts in it and how the application reads it back, never from its name alone:
// - a constant (`res.cookie("remember", 1)`, `"theme", "dark"`) is a preference or a flag;
// - a value from a random or signing source (crypto.randomBytes/randomUUID, nanoid, uuid,
//   jwt.sign, a sealed or signed value), a user id (`user.id`, `req.user`), a session id or a
//   variable holding a token is a credential;
// - anything else is a credential when the application reads the cookie back and hands it to a
//   lookup (`db.findSession(req.cookies.sid)`, `jwt.verify(ctx.cookies.get("t"))`).
import type { Node } from "@babel/types";
import { walk } from "./parse.ts";
import { memberPath, type Scope, unwrap } from "./scope.ts";

/** `constant`: never a credential; `credential`: with the reason; `unknown`: ask the read-backs. */
export type CookieValueKind =
  | { kind: "constant" }
  | { kind: "credential"; reason: string }
  | { kind: "unknown" };

const RANDOM_OR_SIGNED =
  /^(?:randomBytes|randomUUID|getRandomValues|nanoid|customAlphabet|uuid|v4|v7|ulid|cuid|createId|sign|signCookie|seal|sealData|encrypt|EncryptJWT|SignJWT|createToken|generateToken|issueToken|createSession|createSessionToken|generateSessionToken|generateId|createHmac)$/;
const TOKEN_NAME =
  /token|jwt|session_?id|sessionid|^sid$|^sess$|credential|^signed|nonce|api_?key|ticket|bearer/i;
const USER_NAME = /^(?:user|member|account|customer|currentUser|principal)$/i;
const ID_NAME = /^(?:id|_id|uid|userId|user_id|uuid|sub)$/;
const REQUEST_NAMES = new Set(["req", "request", "ctx", "c", "context", "this"]);
const MAX_DEPTH = 6;

/** What the expression a cookie is set to makes the cookie. */
export function judgeCookieValue(node: Node | undefined, scope: Scope, depth = 0): CookieValueKind {
  if (node === undefined || depth > MAX_DEPTH) return { kind: "unknown" };
  const n = unwrap(node);
  switch (n.type) {
    case "StringLiteral":
    case "NumericLiteral":
    case "BooleanLiteral":
    case "NullLiteral":
      return { kind: "constant" };
    case "TemplateLiteral": {
      if (n.expressions.length === 0) return { kind: "constant" };
      for (const e of n.expressions) {
        const inner = judgeCookieValue(e, scope, depth + 1);
        if (inner.kind === "credential") return inner;
      }
      return { kind: "unknown" };
    }
    case "AwaitExpression":
      return judgeCookieValue(n.argument, scope, depth + 1);
    case "CallExpression": {
      const callee = n.callee.type === "V8IntrinsicIdentifier" ? undefined : unwrap(n.callee);
      const path = callee === undefined ? undefined : memberPath(callee);
      const last = path?.at(-1);
      if (last !== undefined && RANDOM_OR_SIGNED.test(last))
        return { kind: "credential", reason: `its value comes from ${path!.join(".")}()` };
      // `crypto.randomBytes(32).toString("hex")`, `String(user.id)`, `JSON.stringify(...)`.
      if (callee?.type === "MemberExpression")
        return judgeCookieValue(callee.object, scope, depth + 1);
      if (n.arguments[0] !== undefined && (last === "String" || last === "stringify"))
        return judgeCookieValue(n.arguments[0], scope, depth + 1);
      return { kind: "unknown" };
    }
    case "NewExpression": {
      const path = memberPath(n.callee);
      const last = path?.at(-1);
      return last !== undefined && RANDOM_OR_SIGNED.test(last)
        ? { kind: "credential", reason: `its value comes from new ${path!.join(".")}()` }
        : { kind: "unknown" };
    }
    case "Identifier": {
      // What the variable was set to says more than its name.
      const binding = scope.bindings.get(n.name);
      const bound =
        binding !== undefined && binding !== "ambiguous" && "node" in binding
          ? judgeCookieValue(binding.node, scope, depth + 1)
          : undefined;
      if (bound !== undefined && bound.kind !== "unknown") return bound;
      if (TOKEN_NAME.test(n.name))
        return { kind: "credential", reason: `its value is the variable ${n.name}` };
      return { kind: "unknown" };
    }
    case "MemberExpression":
    case "OptionalMemberExpression": {
      const path = memberPath(n);
      if (path === undefined) return { kind: "unknown" };
      const shown = path.join(".");
      const last = path.at(-1)!;
      if (TOKEN_NAME.test(last) || last === "sessionID")
        return { kind: "credential", reason: `its value is ${shown}` };
      if (REQUEST_NAMES.has(path[0]!) && (path[1] === "user" || path[1] === "session"))
        return { kind: "credential", reason: `its value comes from ${path.slice(0, 2).join(".")}` };
      if (path.length >= 2 && ID_NAME.test(last) && USER_NAME.test(path.at(-2)!))
        return { kind: "credential", reason: `its value is the user id ${shown}` };
      return { kind: "unknown" };
    }
    default:
      return { kind: "unknown" };
  }
}

// Calls that look a read-back cookie up: a user, a session, a token's signature.
const LOOKUP =
  /^(?:find\w*|lookup\w*|load\w*|verify\w*|unseal\w*|unsign|decrypt|decode|deserializeUser|authenticate|getSession|getUser\w*|get\w*By\w*|fetchUser|query|select|validate\w*|jwtVerify)$/;
const STORE_OWNER = /session|store|token|user|redis|cache/i;

/**
 * The cookies a file reads back and hands to a lookup, with why:
 * `db.findSession(req.cookies.sid)`, `const t = ctx.cookies.get("t"); jwt.verify(t, key)`.
 */
export function cookiesReadBack(ast: Node): Map<string, string> {
  const readInto = new Map<string, string>(); // local variable → cookie name
  const lookups: { path: string[]; args: Node[] }[] = [];
  walk(ast, (node) => {
    if (node.type === "VariableDeclarator") {
      if (node.id.type !== "Identifier" || !node.init) return;
      const name = cookieRead(node.init);
      if (name !== undefined) readInto.set(node.id.name, name);
      return;
    }
    if (node.type !== "CallExpression") return;
    const path = memberPath(node.callee);
    const last = path?.at(-1);
    if (path === undefined || last === undefined) return;
    const lookup =
      LOOKUP.test(last) ||
      (last === "get" &&
        path.length >= 2 &&
        STORE_OWNER.test(path.at(-2)!) &&
        path.at(-2) !== "cookies");
    if (lookup) lookups.push({ path, args: node.arguments });
  });
  // Declarations first, then the calls: a variable read above a lookup is known by then.
  const found = new Map<string, string>();
  for (const { path, args } of lookups) {
    for (const arg of args) {
      const a = unwrap(arg);
      const name = cookieRead(a) ?? (a.type === "Identifier" ? readInto.get(a.name) : undefined);
      if (name !== undefined && !found.has(name))
        found.set(name, `the app reads it back and passes it to ${path.join(".")}()`);
    }
  }
  return found;
}

/** `req.cookies.sid`, `req.signedCookies["sid"]`, `ctx.cookies.get("sid")`, `cookies().get("sid")?.value`. */
function cookieRead(node: Node): string | undefined {
  let n = unwrap(node);
  if (n.type === "AwaitExpression") n = unwrap(n.argument);
  if (
    (n.type === "MemberExpression" || n.type === "OptionalMemberExpression") &&
    !n.computed &&
    n.property.type === "Identifier" &&
    n.property.name === "value"
  )
    n = unwrap(n.object);
  if (n.type === "CallExpression" || n.type === "OptionalCallExpression") {
    const callee = n.callee;
    const first = n.arguments[0];
    if (
      (callee.type === "MemberExpression" || callee.type === "OptionalMemberExpression") &&
      !callee.computed &&
      callee.property.type === "Identifier" &&
      callee.property.name === "get" &&
      first?.type === "StringLiteral"
    ) {
      const owner = unwrap(callee.object);
      const ownerPath = memberPath(owner);
      const isCookies =
        ownerPath?.at(-1) === "cookies" ||
        (owner.type === "CallExpression" && memberPath(owner.callee)?.at(-1) === "cookies") ||
        (owner.type === "AwaitExpression" &&
          owner.argument.type === "CallExpression" &&
          memberPath(owner.argument.callee)?.at(-1) === "cookies");
      if (isCookies) return first.value;
    }
    // Hono: getCookie(c, "sid"), getSignedCookie(c, secret, "sid").
    if (callee.type === "Identifier" && /^get(?:Signed)?Cookie$/.test(callee.name)) {
      const arg = n.arguments[callee.name === "getCookie" ? 1 : 2];
      if (arg?.type === "StringLiteral") return arg.value;
    }
    return undefined;
  }
  const path = memberPath(n);
  if (path !== undefined && path.length >= 3) {
    const owner = path.at(-2);
    if (owner === "cookies" || owner === "signedCookies") return path.at(-1);
  }
  return undefined;
}
