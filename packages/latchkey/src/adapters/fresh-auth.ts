import { type Duration, parseDuration } from "../core/duration.ts";
import { type Answer, refusal } from "./kit/answers.ts";
import { type Refusal, refusalOf } from "./kit/refusals.ts";

// Step-up before sensitive changes (ASVS 5.0 7.5.1/7.5.3; NIST SP 800-63B §4.2.3): every adapter's
// `requireFreshAuth(maxAge)` answers 403 with one of these reasons, in JSON, when the user has not
// authenticated recently enough. The client can branch on `reason` to show a password prompt.

export type FreshAuthRefusal = "not-authenticated" | "reauthentication-required";

export interface FreshAuthRefusalBody {
  error: "fresh-auth-required";
  reason: FreshAuthRefusal;
  /** The accepted age of the last authentication, in seconds. */
  maxAge: number;
}

export type FreshAuthCheck = (session: {
  readonly userId: string | null;
  isFresh(maxAge: Duration): boolean;
}) => Answer | null;

/** `FreshAuthCheck` for adapters that offer the refusal to the application's `onRefused`. */
export type FreshAuthRefusalCheck = (session: Parameters<FreshAuthCheck>[0]) => Refusal | null;

/** Resolves `maxAge` once (a bad duration throws at startup) and returns the per-request check. */
export function freshAuthRefusalCheck(maxAge: Duration): FreshAuthRefusalCheck {
  const maxAgeMs = parseDuration(maxAge, "requireFreshAuth(maxAge)");
  const maxAgeSeconds = Math.floor(maxAgeMs / 1000);
  return (session) => {
    if (session.userId !== null && session.isFresh(maxAgeMs)) return null;
    const body: FreshAuthRefusalBody = {
      error: "fresh-auth-required",
      reason: session.userId === null ? "not-authenticated" : "reauthentication-required",
      maxAge: maxAgeSeconds,
    };
    return refusalOf("fresh-auth", body.reason, refusal(403, body));
  };
}

/** As `freshAuthRefusalCheck`, answering with latchkey's own 403. */
export function freshAuthCheck(maxAge: Duration): FreshAuthCheck {
  const check = freshAuthRefusalCheck(maxAge);
  return (session) => check(session)?.answer ?? null;
}
