import { LatchkeyError } from "../../core/errors.ts";

/**
 * Reads the logged-in user from express-session-style data, for latchkey's `login()` (listing
 * and revocation by user). Return null or undefined for "nobody".
 */
export type UserIdOf = (session: Readonly<Record<string, unknown>>) => unknown;

/** Passport's place for the user: `req.session.passport.user`. */
export const passportUser: UserIdOf = (session) => {
  const passport = session.passport;
  return passport !== null && typeof passport === "object"
    ? (passport as { user?: unknown }).user
    : undefined;
};

/**
 * The user id as latchkey keeps it. Anything but a string or a number is refused: a user that
 * latchkey cannot name would be logged in without the new token that `login()` issues.
 */
export function userIdString(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new LatchkeyError(
    "argument-invalid",
    `expressSessionCompat: the session's user is a ${typeof value}, not a string or number id. ` +
      "Serialize the user to its id (passport.serializeUser((user, done) => done(null, user.id))) " +
      "or pass userId: (session) => … to expressSessionCompat().",
  );
}
