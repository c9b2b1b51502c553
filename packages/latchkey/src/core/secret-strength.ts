// Is a secret random enough to key sessions? A list of known secrets (weak-secrets.ts) catches
// the copied ones; this catches the made-up ones: "abcdefgh" four times, a keyboard row, a
// phrase, a known secret with digits on the end. 32 bytes of such text carry far fewer than
// 32 bytes of guessing work.
//
// The model, deliberately simple and conservative towards random secrets:
// - Every character not explained by a pattern costs log2(charset) bits, where charset is the sum
//   of the classes the secret uses (26 lowercase, 26 uppercase, 10 digits, 33 ASCII symbols and
//   space, 100 for anything else). This is what brute force over those classes would need.
// - Patterns are priced as an attacker who tries them would pay: a run or sequence or keyboard
//   walk is its first character, its kind and its length; a dictionary word is one choice from
//   the dictionary (plus a bit each for capitals and leetspeak); a repeat is where it copies from
//   and how long it is. The secret is read left to right, taking at each position the pattern
//   that saves the most bits.
// - The secret must come to 128 bits (ASVS 5.0 11.2.3, 11.5.1: 128 bits of security). Random
//   secrets clear it by far: 32 random bytes as hex, base64 or base64url estimate at 250 bits or
//   more, and a chance word or "abc" in them costs a few bits, never a hundred
//   (test/core/secret-strength.test.ts checks that with fast-check).
// - Fewer than 8 distinct characters is refused unless the length makes up for it (a random
//   bit string of 128 characters or more).
import {
  chainsFrom,
  DICTIONARY_SIZE,
  type PatternKind,
  RepeatFinder,
  STEP_KINDS,
  wordAt,
} from "./secret-patterns.ts";
import { isWellKnownSecret } from "./weak-secrets.ts";

/** The estimated entropy a secret needs. */
export const MIN_SECRET_BITS = 128;

// Only the first 4 KiB are read. Entropy never shrinks when text is appended, so a strong prefix
// proves a strong secret, and the check stays bounded whatever is passed in. A secret whose
// first 4 KiB are weak is refused even if random text follows, which no generator produces.
const CHECKED_PREFIX = 4096;

// Runs, sequences and walks of three ("eee", "bcd") turn up in random hex often enough to matter
// to a 128-bit secret; from four on they are rare there and still catch every made-up one.
const MIN_CHAIN_LENGTH = 4;

/**
 * Why `secret` is too weak to sign or encrypt sessions with, or `null` when it is strong enough.
 * The reason completes a sentence about the secret ("The secret is one 8-character pattern
 * repeated (…)") and never contains the secret or any part of it. Refused: well-known example
 * secrets, repeated patterns, runs and sequences (`abcdef`, `123456`), keyboard walks
 * (`qwerty`), common words and phrases (leetspeak included), and anything estimated below
 * 128 bits of entropy. Random secrets always pass.
 *
 * It does not check the length in bytes; `createSessions()` also wants 32 bytes or more.
 *
 * @example
 * ```ts
 * import { secretWeakness } from "latchkey";
 * secretWeakness("abcdefgh".repeat(4)); // "is one 8-character pattern repeated (about 13 bits …)"
 * secretWeakness(crypto.randomBytes(32).toString("base64url")); // null
 * ```
 */
export function secretWeakness(secret: string): string | null {
  if (isWellKnownSecret(secret)) return "is a well-known example or default value";
  const original = Array.from(secret.slice(0, CHECKED_PREFIX));
  const chars = original.map((c) => c.toLowerCase());
  const { bits, savedBy } = estimateBits(original, chars);
  const about = `(about ${Math.floor(bits)} bits of entropy by latchkey's estimate; ${MIN_SECRET_BITS} are needed)`;
  if (bits < MIN_SECRET_BITS) return `${describeWeakness(chars, bits, savedBy)} ${about}`;
  const distinct = new Set(original).size;
  if (distinct < 8 && original.length * Math.log2(distinct) < MIN_SECRET_BITS) {
    return `uses only ${distinct} different character${distinct === 1 ? "" : "s"}`;
  }
  return null;
}

type Savings = Record<PatternKind, number>;

interface Candidate {
  readonly kind: PatternKind;
  readonly length: number;
  /** Bits an attacker who tries this pattern spends on these characters. */
  readonly cost: number;
}

/** Estimated bits of entropy, and how many bits each kind of pattern took off the naive count. */
export function estimateBits(
  original: readonly string[],
  chars: readonly string[],
): { bits: number; savedBy: Savings } {
  const perChar = Math.log2(charsetSize(original));
  const chains = chainsFrom(chars);
  const repeats = new RepeatFinder(chars);
  const savedBy: Savings = { run: 0, sequence: 0, keyboard: 0, dictionary: 0, repeat: 0 };
  let bits = 0;
  let i = 0;
  while (i < chars.length) {
    const candidates: Candidate[] = [];
    const chain = chains[i]!;
    if (chain.length >= MIN_CHAIN_LENGTH) {
      // First character, then which of the kinds of step (a run has only one), then the length.
      const kindBits = chain.kind === "run" ? 0 : Math.log2(STEP_KINDS);
      candidates.push({ ...chain, cost: perChar + kindBits + Math.log2(chain.length) });
    }
    const word = wordAt(chars, i);
    if (word !== null) {
      const capitals = original.slice(i, i + word.length).some((c, k) => c !== chars[i + k]);
      const cost = Math.log2(DICTIONARY_SIZE) + Number(capitals) + Number(word.leet);
      candidates.push({ kind: "dictionary", length: word.length, cost });
    }
    const repeat = repeats.repeatAt(i);
    if (repeat > 0) {
      candidates.push({ kind: "repeat", length: repeat, cost: Math.log2(i) + Math.log2(repeat) });
    }
    let best: Candidate | null = null;
    let bestSaving = 0;
    for (const candidate of candidates) {
      const saving = candidate.length * perChar - candidate.cost;
      if (saving > bestSaving) [best, bestSaving] = [candidate, saving];
    }
    if (best === null) {
      bits += perChar;
      i += 1;
    } else {
      bits += best.cost;
      savedBy[best.kind] += bestSaving;
      i += best.length;
    }
  }
  return { bits, savedBy };
}

function charsetSize(chars: readonly string[]): number {
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  let other = false;
  for (const c of chars) {
    if (c >= "a" && c <= "z") lower = true;
    else if (c >= "A" && c <= "Z") upper = true;
    else if (c >= "0" && c <= "9") digit = true;
    else if (c >= " " && c <= "~") symbol = true;
    else other = true;
  }
  return 26 * +lower + 26 * +upper + 10 * +digit + 33 * +symbol + 100 * +other || 1;
}

const PATTERN_REASONS: Record<PatternKind, string> = {
  repeat: "repeats parts of itself",
  run: "is mostly one character repeated",
  sequence: "contains sequences such as abcdef or 123456",
  keyboard: "contains keyboard walks such as qwerty or asdfgh",
  dictionary: "is made of common words or well-known example secrets",
};

function describeWeakness(chars: readonly string[], bits: number, savedBy: Savings): string {
  const period = smallestPeriod(chars);
  if (chars.length > 1 && period * 2 <= chars.length) {
    return period === 1
      ? "is one character repeated"
      : `is one ${period}-character pattern repeated`;
  }
  const kinds = Object.keys(savedBy) as PatternKind[];
  const saved = kinds.reduce((sum, kind) => sum + savedBy[kind], 0);
  // Name a pattern only when the patterns are what pulls the secret under the floor; otherwise
  // the secret is simply too short for its characters.
  if (saved >= MIN_SECRET_BITS - bits) {
    const worst = kinds.reduce((a, b) => (savedBy[b] > savedBy[a] ? b : a));
    return PATTERN_REASONS[worst];
  }
  return "is too short for the kinds of characters it uses";
}

/** The smallest p with chars[i] === chars[i + p] throughout (Knuth–Morris–Pratt failure function). */
function smallestPeriod(chars: readonly string[]): number {
  const n = chars.length;
  if (n === 0) return 0;
  const border = new Array<number>(n).fill(0);
  for (let i = 1, k = 0; i < n; i++) {
    while (k > 0 && chars[i] !== chars[k]) k = border[k - 1]!;
    if (chars[i] === chars[k]) k++;
    border[i] = k;
  }
  return n - border[n - 1]!;
}
