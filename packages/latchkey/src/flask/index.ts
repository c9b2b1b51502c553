/**
 * `latchkey/flask`: read, verify and write Flask session cookies from Node — to share sessions
 * with a Flask app during a migration, or to see what a Flask cookie exposes.
 *
 * @example
 * import { signFlaskSession, verifyFlaskSession } from "latchkey/flask";
 * const cookie = signFlaskSession({ user_id: 42 }, { secretKey: process.env.SECRET_KEY! });
 * const result = verifyFlaskSession(cookie, { secretKey: process.env.SECRET_KEY! });
 * if (result.valid) result.data.user_id; // 42
 */

export { deriveKey as deriveFlaskKey } from "./itsdangerous.ts";
export type {
  DecodedFlaskSession,
  SecretKey,
  SignOptions,
  VerifyOptions,
  VerifyResult,
} from "./session-cookie.ts";
export {
  decodeFlaskSession,
  FLASK_DEFAULT_MAX_AGE,
  FLASK_SESSION_SALT,
  flaskSignatureMatches,
  signFlaskSession,
  verifyFlaskSession,
} from "./session-cookie.ts";
export { tag as toTaggedJson, untag as fromTaggedJson } from "./tagged-json.ts";
export type { FlaskSession, FlaskValue } from "./values.ts";
export { FlaskTuple, FlaskUuid, Markup } from "./values.ts";
