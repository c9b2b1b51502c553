// Cookies a Flask or Django view sets by hand: `response.set_cookie(name, value, secure=…,
// httponly=…, samesite=…, max_age=…)`. Werkzeug and Django set none of the flags by default. As in
// JavaScript (../js/credential.ts), a cookie is judged a session credential from what it holds —
// `secrets.token_urlsafe()`, `uuid4()`, `jwt.encode(...)`, a serializer's `dumps`, a user id, a
// token variable — or because the app reads it back into a lookup
// (`User.query.filter_by(token=request.cookies.get("t"))`); a constant is a flag.
import type { SyntaxNode } from "@lezer/common";
import type { Finding } from "../../report/finding.ts";
import { checkCookie } from "../cookie-checks.ts";
import { isLiteral, type Setting, type Value } from "../value.ts";
import { evaluatePython } from "./evaluate.ts";
import type { PyModule } from "./module.ts";
import { argumentsOf, children, dottedName, positionOf } from "./parse.ts";

const RANDOM_OR_SIGNED =
  /^(?:token_urlsafe|token_hex|token_bytes|urandom|uuid4|uuid1|uuid7|encode|dumps|sign|create_access_token|create_refresh_token|generate_token|make_token|get_random_string|signing_dumps|encrypt|new_session_id)$/;
const TOKEN_NAME = /token|jwt|session_?id|^sid$|^sess$|credential|^signed|nonce|api_?key|ticket/i;
const USER_NAME = /^(?:user|current_user|member|account|g\.user)$/;
const ID_NAME = /^(?:id|pk|uid|user_id|get_id)$/;
const LOOKUP =
  /^(?:filter_by|filter|get|get_or_404|first|one|find\w*|load\w*|lookup\w*|loads|decode|unsign|verify\w*|authenticate|get_user\w*|query|execute)$/;
const MAX_DEPTH = 6;

export interface PendingCookie {
  cookie: string;
  findings: Finding[];
}

export interface SetCookieResult {
  /** Cookies whose value shows they carry a credential. */
  findings: Finding[];
  /** Cookies whose value says nothing either way: they count if the app reads them back. */
  pending: PendingCookie[];
  /** Cookie names this module reads back into a lookup, with why. */
  readBack: Map<string, string>;
}

/**
 * `imported` resolves a name the module imports (`from constants import AUTH_COOKIE`) to the
 * value its own module writes.
 */
export function lintSetCookies(
  module: PyModule,
  imported?: (ref: string[]) => Value | undefined,
): SetCookieResult {
  const { py } = module;
  const result: SetCookieResult = { findings: [], pending: [], readBack: readBack(module) };
  const cursor = py.tree.cursor();
  do {
    if (cursor.name !== "CallExpression") continue;
    const node = cursor.node;
    const [callee, argList] = children(node);
    const path = callee ? dottedName(py, callee) : undefined;
    if (path === undefined || path.at(-1) !== "set_cookie" || path.length < 2) continue;
    const args = argumentsOf(py, argList ?? null);
    const nameNode = args.positional[0] ?? args.keyword.get("key")?.value;
    const local = nameNode === undefined ? undefined : evaluatePython(nameNode, module.scope);
    const ref = nameNode && local?.kind !== "string" ? dottedName(py, nameNode) : undefined;
    const name = ref && imported ? imported(ref) : local;
    if (name?.kind !== "string") continue;
    const valueNode = args.positional[1] ?? args.keyword.get("value")?.value;
    const judged = judge(module, valueNode, 0);
    if (judged === "constant") continue;
    const option = (key: string, index: number): Setting | undefined => {
      const keyword = args.keyword.get(key);
      const at = keyword?.value ?? args.positional[index];
      if (at === undefined) return undefined;
      return { value: evaluatePython(at, module.scope), at: positionOf(py, keyword?.name ?? at) };
    };
    const findings = checkCookie({
      file: module.file,
      anchor: positionOf(py, node),
      cookie: name.value,
      secure: {
        setting: option("secure", 6),
        key: "secure",
        fix: "Pass secure=True to set_cookie.",
        insecureByDefault: true,
      },
      httpOnly: {
        setting: option("httponly", 7),
        key: "httponly",
        fix: "Pass httponly=True to set_cookie: a credential is not for scripts.",
        insecureByDefault: true,
      },
      sameSite: {
        setting: option("samesite", 8),
        key: "samesite",
        fix: 'Pass samesite="Lax" (or "Strict") to set_cookie.',
        defaultValue: undefined,
      },
      lifetime: {
        setting: option("max_age", 2),
        key: "max_age",
        fix: "Keep max_age at 86400 seconds or less, or leave it out for a browser-session cookie.",
        defaultSeconds: undefined,
      },
      domain: {
        setting: option("domain", 5),
        key: "domain",
        fix: "Leave domain out so the cookie stays host-only.",
      },
    });
    if (judged === "unknown") result.pending.push({ cookie: name.value, findings });
    else result.findings.push(...findings.map((f) => credential(f, judged)));
  } while (cursor.next());
  return result;
}

/** A finding about a hand-set cookie, saying why the cookie was judged a credential. */
export function credential(finding: Finding, reason: string): Finding {
  return { ...finding, severityReason: `the cookie carries a credential: ${reason}` };
}

/** "constant", "unknown", or why the value is a credential. */
function judge(module: PyModule, node: SyntaxNode | undefined, depth: number): string {
  if (node === undefined || depth > MAX_DEPTH) return "unknown";
  const { py } = module;
  const value: Value = evaluatePython(node, module.scope);
  if (isLiteral(value)) return "constant";
  if (node.name === "CallExpression") {
    const [callee, argList] = children(node);
    const path = callee ? dottedName(py, callee) : undefined;
    const last = path?.at(-1);
    if (last !== undefined && RANDOM_OR_SIGNED.test(last))
      return `its value comes from ${path!.join(".")}()`;
    const first = argumentsOf(py, argList ?? null).positional[0];
    if (last === "str" && first !== undefined) return judge(module, first, depth + 1);
    // `uuid.uuid4().hex`, `signer.sign(x).decode()`: the object of the method call.
    const object = callee?.name === "MemberExpression" ? callee.firstChild : null;
    return object ? judge(module, object, depth + 1) : "unknown";
  }
  const path = dottedName(py, node);
  if (path === undefined) return "unknown";
  const last = path.at(-1)!;
  if (TOKEN_NAME.test(last)) return `its value is ${path.join(".")}`;
  if (path.length >= 2 && ID_NAME.test(last) && USER_NAME.test(path.slice(0, -1).join(".")))
    return `its value is the user id ${path.join(".")}`;
  if (node.name === "MemberExpression" && node.firstChild?.name === "CallExpression")
    return judge(module, node.firstChild, depth + 1);
  return "unknown";
}

// `lookup(request.cookies.get("t"))`, `t = request.COOKIES["t"]` then `lookup(t)`. Read on the
// source text, line by line, with linear patterns.
const READ = /request\.(?:cookies|COOKIES)(?:\.get\(\s*|\[\s*)["']([^"'\n]{1,100})["']/g;
const ASSIGNED =
  /^\s*(\w+)\s*=\s*request\.(?:cookies|COOKIES)(?:\.get\(\s*|\[\s*)["']([^"'\n]{1,100})["']/;
const SIMPLE_CALL = /([A-Za-z_][\w.]{0,100})\(([^()\n]{0,200})\)/g;
const MAX_LINE = 2000;
// How far back from a read the enclosing lookup call is looked for: bounds the work per read.
const OPEN_CALL_WINDOW = 300;

function readBack(module: PyModule): Map<string, string> {
  const found = new Map<string, string>();
  const text = module.py.text;
  if (!/request\.(?:cookies|COOKIES)/.test(text)) return found;
  const note = (name: string, callee: string) => {
    if (!found.has(name)) found.set(name, `the app reads it back and passes it to ${callee}()`);
  };
  const variables = new Map<string, string>();
  for (const whole of text.split("\n")) {
    const line = whole.slice(0, MAX_LINE);
    const assigned = ASSIGNED.exec(line);
    if (assigned) variables.set(assigned[1]!, assigned[2]!);
    // A read inside a lookup's parentheses: the calls still open where the read starts.
    for (const read of line.matchAll(READ)) {
      for (const callee of openCalls(
        line.slice(Math.max(0, read.index - OPEN_CALL_WINDOW), read.index),
      ))
        if (LOOKUP.test(callee.split(".").at(-1)!)) note(read[1]!, callee);
    }
    // A variable holding a read, passed to a lookup.
    for (const call of line.matchAll(SIMPLE_CALL)) {
      const callee = call[1]!;
      if (!LOOKUP.test(callee.split(".").at(-1)!)) continue;
      for (const word of call[2]!.split(/\W+/)) {
        const cookie = variables.get(word);
        if (cookie !== undefined) note(cookie, callee);
      }
    }
  }
  return found;
}

/** The callees whose `(` is still open at the end of `prefix`, innermost first (at most three). */
function openCalls(prefix: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (let i = prefix.length - 1; i >= 0 && out.length < 3; i--) {
    const c = prefix[i];
    if (c === ")") depth++;
    else if (c === "(") {
      if (depth > 0) depth--;
      else {
        const name = /[A-Za-z_][\w.]{0,100}$/.exec(prefix.slice(Math.max(0, i - 101), i));
        if (name) out.push(name[0]);
      }
    }
  }
  return out;
}
