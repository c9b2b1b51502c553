// Whether a file takes part in authentication: it imports a session or auth library, declares a
// sign-in route or function, reads the signed-in user (`req.user`, `req.session`), or defines a
// user model.
// A cookie recognised only by its name (`res.cookie("remember", 1)`) is a session cookie in an
// app that signs people in; in an app that has no users — measured: a "remember this choice"
// flag on a public site — it is a preference, and its flags are not a session's problem.
import type { Node } from "@babel/types";
import { walk } from "./parse.ts";
import { memberPath, type Scope } from "./scope.ts";

const AUTH_PACKAGES =
  /^(?:express-session|cookie-session|connect-[\w-]+|@fastify\/(?:session|secure-session|passport|jwt|auth|oauth2)|passport(?:-[\w-]+)?|@passport-[\w-]+\/.+|jsonwebtoken|jose|express-jwt|bcrypt(?:js)?|argon2|@node-rs\/(?:argon2|bcrypt)|next-auth|@auth\/.+|lucia|iron-session|koa-session|hono\/jwt|hono\/basic-auth|express-openid-connect|@clerk\/.+|supertokens-node|latchkey(?:\/.+)?)$/;
const AUTH_ROUTE =
  /^\/(?:.*\/)?(?:log-?in|log-?out|sign-?in|sign-?out|sign-?up|register|auth|session)s?(?:[/?#]|$)/i;
const REQUEST_NAMES = new Set(["req", "request", "ctx", "c", "context"]);
const USER_STATE = new Set(["user", "session", "login", "logIn", "isAuthenticated", "userId"]);
const USER_MODEL = /^(?:User|Users|Account|Member)$/;
const SIGN_IN_FUNCTION = /^(?:log_?in|sign_?in|authenticate)(?:User)?$/i;

/** True when the file shows any sign of signing users in. */
export function usesAuthentication(ast: Node, scope: Scope): boolean {
  for (const { source } of scope.imports.values()) if (AUTH_PACKAGES.test(source)) return true;
  let found = false;
  walk(ast, (node) => {
    if (found) return;
    if (node.type === "ClassDeclaration" && node.id && USER_MODEL.test(node.id.name)) found = true;
    else if (node.type === "FunctionDeclaration" && node.id && SIGN_IN_FUNCTION.test(node.id.name))
      found = true;
    else if (node.type === "MemberExpression") {
      const path = memberPath(node);
      found =
        path !== undefined &&
        path.length === 2 &&
        REQUEST_NAMES.has(path[0]!) &&
        USER_STATE.has(path[1]!);
    } else if (node.type === "CallExpression" && node.arguments[0]?.type === "StringLiteral") {
      const first = node.arguments[0].value;
      const method = memberPath(node.callee)?.at(-1);
      found =
        AUTH_ROUTE.test(first) ||
        (USER_MODEL.test(first) && (method === "model" || method === "define"));
    }
  });
  return found;
}
