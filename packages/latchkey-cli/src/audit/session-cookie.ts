// Is this cookie a session cookie? Severity depends on it: a script-readable session id is a
// stolen login, a script-readable theme preference is nothing. Evidence, in order of weight: a
// value that decodes as a known session format, a well-known session cookie name, a long
// high-entropy value.
import type { SetCookie } from "./set-cookie.ts";

export interface SessionVerdict {
  session: boolean;
  reason: string;
}

const SESSION_NAMES =
  /^(?:__(?:host|secure)-)?(?:session|sessionid|session_id|sid|connect\.sid|phpsessid|jsessionid|asp\.net_sessionid|aspsessionid\w*|laravel_session|ci_session|rack\.session|_session_id|_[\w-]+_session|cfid|cftoken|auth|auth_token|access_token|id_token|token|jwt|remember_token|remember_me|remember_user_token|user_session|__session|next-auth\.session-token|sessiontoken|session-token|sess)$/i;
const SESSION_WORDS = /sess|auth|login|remember|jwt/i;
// Cookies that are readable by design (double-submit CSRF tokens) or plainly not sessions.
const NOT_SESSION =
  /^(?:csrftoken|csrf_token|_csrf|xsrf-token|x-csrf-token|csrf|__host-csrf|_ga\w*|_gid|_gcl\w*|_fbp|_hj\w*|theme|lang|locale|timezone|tz|consent|cookie_?consent\w*)$/i;

/**
 * @param format what the value was recognised as ("a flask session", "an iron-session (…)
 *   sealed session"), when it was
 */
export function judgeSessionCookie(cookie: SetCookie, format: string | undefined): SessionVerdict {
  const base = cookie.name.replace(/^__(?:host|secure)-/i, "");
  if (NOT_SESSION.test(cookie.name) || /csrf|xsrf/i.test(cookie.name)) {
    return { session: false, reason: "a CSRF or preference cookie" };
  }
  if (format !== undefined) return { session: true, reason: `its value is ${format}` };
  if (SESSION_NAMES.test(cookie.name))
    return { session: true, reason: `"${cookie.name}" is a session cookie name` };
  if (SESSION_WORDS.test(base) && cookie.value.length >= 16) {
    return {
      session: true,
      reason: `the name "${cookie.name}" and a ${cookie.value.length}-character value`,
    };
  }
  const bits = entropyBits(cookie.value);
  if (bits >= 96)
    return { session: true, reason: `a high-entropy value (~${Math.round(bits)} bits)` };
  return { session: false, reason: "short or low-entropy value and no session name" };
}

/**
 * Rough entropy of one value: length × log2(alphabet), where the alphabet is the smallest
 * standard one (hex, base64url, …) that contains every character. Repetitive values score 0.
 */
export function entropyBits(value: string): number {
  if (value.length < 16) return 0;
  const distinct = new Set(value).size;
  if (distinct < 8) return 0;
  const alphabets: [RegExp, number][] = [
    [/^[0-9]+$/, 10],
    [/^[0-9a-f]+$/i, 16],
    [/^[0-9a-z]+$/i, 36],
    [/^[0-9A-Za-z]+$/, 62],
    [/^[0-9A-Za-z_\-+/=.%]+$/, 64],
  ];
  const size = alphabets.find(([re]) => re.test(value))?.[1] ?? 90;
  return value.length * Math.log2(Math.min(size, distinct * 2));
}
