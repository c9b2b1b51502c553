// The shapes people give secrets they make up: runs (aaaa), sequences (abcdef, 123456), keyboard
// walks (qwerty, asdfgh, 0987), dictionary words (leetspeak too: p4ssw0rd) and repeats of an
// earlier part. Each finder looks at a bounded window per position, so a whole scan is linear in
// the secret's length. Characters arrive lowercased: "PassWord" is as guessable as "password".
import { COMMON_WORDS } from "./common-words.ts";
import { WEAK_SECRETS } from "./weak-secrets.ts";

export type PatternKind = "run" | "sequence" | "keyboard" | "dictionary" | "repeat";

/** A pattern that starts at some position and covers `length` characters. */
export interface PatternMatch {
  readonly kind: PatternKind;
  readonly length: number;
}

// Rows of a US keyboard, unshifted and shifted number row. A step to a neighbour in a row, in
// either direction, continues a walk.
const KEYBOARD_ROWS = [
  "`1234567890-=",
  "qwertyuiop[]\\",
  "asdfghjkl;'",
  "zxcvbnm,./",
  "~!@#$%^&*()_+",
];
const ROW_POSITION = new Map<string, { row: number; index: number }>();
for (const [row, keys] of KEYBOARD_ROWS.entries()) {
  for (const [index, key] of Array.from(keys).entries()) ROW_POSITION.set(key, { row, index });
}

// One bit per kind of step between neighbouring characters. A chain of steps of one kind is a
// run (same character), a sequence (alphabet or digits, up or down) or a walk (one keyboard row).
const RUN = 0;
const ALPHABET_UP = 1;
const ALPHABET_DOWN = 2;
const DIGITS_UP = 3;
const DIGITS_DOWN = 4;
const FIRST_ROW_STEP = 5;
export const STEP_KINDS = FIRST_ROW_STEP + 2 * KEYBOARD_ROWS.length;

function stepKinds(from: string, to: string): number {
  if (from === to) return 1 << RUN;
  let kinds = 0;
  const a = from.codePointAt(0) ?? 0;
  const b = to.codePointAt(0) ?? 0;
  if (isLetter(from) && isLetter(to)) {
    if (b === a + 1) kinds |= 1 << ALPHABET_UP;
    if (b === a - 1) kinds |= 1 << ALPHABET_DOWN;
  }
  if (isDigit(from) && isDigit(to)) {
    if (b === a + 1) kinds |= 1 << DIGITS_UP;
    if (b === a - 1) kinds |= 1 << DIGITS_DOWN;
  }
  const p = ROW_POSITION.get(from);
  const q = ROW_POSITION.get(to);
  if (p !== undefined && q !== undefined && p.row === q.row) {
    if (q.index === p.index + 1) kinds |= 1 << (FIRST_ROW_STEP + 2 * p.row);
    if (q.index === p.index - 1) kinds |= 1 << (FIRST_ROW_STEP + 2 * p.row + 1);
  }
  return kinds;
}

const isLetter = (c: string) => c >= "a" && c <= "z";
const isDigit = (c: string) => c >= "0" && c <= "9";

function kindOfStep(step: number): PatternKind {
  if (step === RUN) return "run";
  return step < FIRST_ROW_STEP ? "sequence" : "keyboard";
}

/**
 * For every position, the longest run, sequence or keyboard walk starting there (length 1 when
 * there is none). One pass from the right with a counter per kind of step. Sequences are
 * preferred over walks when both fit ("1234" is both), runs over everything.
 */
export function chainsFrom(chars: readonly string[]): PatternMatch[] {
  const chains: PatternMatch[] = new Array(chars.length);
  const counts = new Array<number>(STEP_KINDS).fill(0);
  for (let i = chars.length - 1; i >= 0; i--) {
    const kinds = i + 1 < chars.length ? stepKinds(chars[i]!, chars[i + 1]!) : 0;
    let best = 0;
    for (let k = 0; k < STEP_KINDS; k++) {
      counts[k] = kinds & (1 << k) ? counts[k]! + 1 : 0;
      if (counts[k]! > counts[best]!) best = k;
    }
    chains[i] = { kind: kindOfStep(best), length: counts[best]! + 1 };
  }
  return chains;
}

// Leetspeak, undone before looking words up. "1" stands for both "i" and "l", so there are two
// readings, each with its own trie; the rest are unambiguous enough to keep one reading.
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "9": "g",
  "@": "a",
  $: "s",
  "!": "i",
  "|": "l",
  "+": "t",
};
const READINGS: ReadonlyArray<Readonly<Record<string, string>>> = [
  { ...LEET, "1": "i" },
  { ...LEET, "1": "l" },
];

interface TrieNode {
  readonly next: Map<string, TrieNode>;
  word: boolean;
}

// Shorter entries turn up by chance in random text too often to say anything about a secret.
const MIN_WORD_LENGTH = 4;

const DICTIONARY = [
  ...new Set(
    [...COMMON_WORDS, ...WEAK_SECRETS]
      .map((word) => word.trim().toLowerCase())
      .filter((word) => Array.from(word).length >= MIN_WORD_LENGTH),
  ),
];

/** How many entries a dictionary match is one choice among. */
export const DICTIONARY_SIZE = DICTIONARY.length;

const TRIES = READINGS.map((reading) => {
  const root: TrieNode = { next: new Map(), word: false };
  for (const entry of DICTIONARY) {
    let node = root;
    for (const c of entry) {
      const key = reading[c] ?? c;
      let child = node.next.get(key);
      if (child === undefined) {
        child = { next: new Map(), word: false };
        node.next.set(key, child);
      }
      node = child;
    }
    node.word = true;
  }
  return root;
});

/** The longest dictionary entry starting at `start` under either reading, and whether leetspeak was undone for it. */
export function wordAt(
  chars: readonly string[],
  start: number,
): { length: number; leet: boolean } | null {
  let found: { length: number; leet: boolean } | null = null;
  TRIES.forEach((root, r) => {
    const reading = READINGS[r]!;
    let node: TrieNode | undefined = root;
    let leet = false;
    // The walk stops where the trie does, so it never looks further than the longest entry.
    for (let i = start; i < chars.length && node !== undefined; i++) {
      const c = chars[i]!;
      const key = reading[c] ?? c;
      leet ||= key !== c;
      node = node.next.get(key);
      const length = i - start + 1;
      if (node?.word && length >= MIN_WORD_LENGTH && (found === null || length > found.length)) {
        found = { length, leet };
      }
    }
  });
  return found;
}

// A repeat is found from its first four characters (a shorter repeat is usual in random text).
const REPEAT_SEED = 4;

/**
 * Finds repeats of earlier text: for each position, the first earlier position whose next four
 * characters are the same, extended as far as the two agree. Positions are registered in order,
 * so only text before the current position (overlaps allowed: "abababab") can be repeated.
 */
export class RepeatFinder {
  readonly #chars: readonly string[];
  readonly #firstSeen = new Map<string, number>();
  #registered = 0;

  constructor(chars: readonly string[]) {
    this.#chars = chars;
  }

  /** Length of the repeat starting at `start`, or 0. Call with increasing `start`. */
  repeatAt(start: number): number {
    const chars = this.#chars;
    for (; this.#registered < start; this.#registered++) {
      const seed = this.#seedAt(this.#registered);
      if (seed !== null && !this.#firstSeen.has(seed)) this.#firstSeen.set(seed, this.#registered);
    }
    const seed = this.#seedAt(start);
    const earlier = seed === null ? undefined : this.#firstSeen.get(seed);
    if (earlier === undefined) return 0;
    let length = REPEAT_SEED;
    while (start + length < chars.length && chars[earlier + length] === chars[start + length]) {
      length++;
    }
    return length;
  }

  #seedAt(position: number): string | null {
    if (position + REPEAT_SEED > this.#chars.length) return null;
    return this.#chars.slice(position, position + REPEAT_SEED).join("\u0000");
  }
}
