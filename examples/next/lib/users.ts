import { timingSafeEqual } from "node:crypto";

// The example's one account. A real app checks a password hash (argon2, scrypt) from its database.
const DEMO_USER = { id: "ada", email: "ada@example.com", password: "correct horse battery staple" };

/** The user id for these credentials, or null. */
export function checkPassword(email: unknown, password: unknown): string | null {
  if (typeof email !== "string" || typeof password !== "string") return null;
  const expected = Buffer.from(DEMO_USER.password);
  const given = Buffer.from(password);
  const matches = given.length === expected.length && timingSafeEqual(given, expected);
  return matches && email === DEMO_USER.email ? DEMO_USER.id : null;
}
