import { hash } from "node:crypto";
import { encodeBase64url } from "../crypto/encoding.ts";
import { randomBytesPooled } from "../crypto/random.ts";
import type { Store } from "../stores/types.ts";

// Challenges are single-use and expire, across every process: each is an entry of the session
// store (or of a sealed-cookie setup's revocation store) that `claim()` — atomic, exactly one
// winner on every store — deletes when it is answered. The entry holds what the challenge is for
// and whose it is, so a challenge issued to one session, or for registration, proves nothing
// for another session or for a refresh. Its ref can never be a session's: those are 32 base64url
// characters, these start with "dbsc.".

export type ChallengePurpose = "register" | "refresh";

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function refOf(challenge: string): string {
  return `dbsc.${hash("sha256", challenge, "base64url").slice(0, 32)}`;
}

/** A new challenge for `purpose`, owned by `subject` (a session's sid, or a binding id). */
export async function issueChallenge(
  store: Store,
  purpose: ChallengePurpose,
  subject: string,
  now: number,
  ttlMs: number,
): Promise<string> {
  const challenge = encodeBase64url(randomBytesPooled(32));
  await store.create(refOf(challenge), {
    secretHash: "",
    meta: {
      sid: subject,
      createdAt: now,
      lastSeenAt: now,
      issuedAt: now,
      expiresAt: now + ttlMs,
      userId: null,
      authTime: null,
      persistent: false,
      userAgent: null,
      successor: null,
    },
    data: { purpose: JSON.stringify(purpose) },
  });
  return challenge;
}

/**
 * Uses up `challenge`: true only for a live challenge issued for `purpose` to `subject`, and only
 * for the first caller. A challenge of another kind or owner is left alone (it is not this
 * caller's to burn).
 */
export async function consumeChallenge(
  store: Store,
  challenge: string,
  purpose: ChallengePurpose,
  subject: string,
  now: number,
): Promise<boolean> {
  if (!CHALLENGE.test(challenge)) return false;
  const ref = refOf(challenge);
  const entry = await store.get(ref);
  if (entry === null || entry.meta.successor !== null) return false;
  if (entry.meta.expiresAt <= now) return false;
  if (entry.meta.sid !== subject || entry.data.purpose !== JSON.stringify(purpose)) return false;
  const claim = await store.claim(ref, `${ref}.used`, 0);
  return claim.claimed;
}
