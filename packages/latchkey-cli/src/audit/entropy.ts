// How much randomness is in a set of session ids collected from a live site? Pure functions, no
// network. The approach of Burp Sequencer and ZAP's token analyser, made honest for small samples:
//
// 1. Strip what every sample shares (a prefix such as "s%3A", a suffix, fixed separators):
//    characters that never change carry no entropy.
// 2. Per remaining position, estimate the entropy of the characters seen there. When the spread
//    of characters is what uniform draws from the alphabet would give for this many samples
//    (see uniformity.ts: positions judged together, plus a bound for a position with too few
//    symbols), a position is credited the alphabet's full log2(size) bits; otherwise it gets its
//    Miller–Madow corrected Shannon entropy. The total is the sum over positions (positions are
//    assumed independent, so this is an upper bound: a hash of a counter passes, a counter does
//    not).
// 3. Decode the varying characters to bits and run the FIPS 140-2 statistical tests (monobit,
//    poker, runs, long run) on them.
//
// ASVS 5.0 7.2.3 asks for at least 128 bits; NIST SP 800-63B and OWASP for at least 64.
import type { BitTest } from "./fips-140-2.ts";
import { FIPS_BITS, fipsTests } from "./fips-140-2.ts";

import { type Column, judgeColumns } from "./uniformity.ts";

export type { BitTest } from "./fips-140-2.ts";
export { fipsTests } from "./fips-140-2.ts";

export interface Alphabet {
  name: string;
  /** Characters in index order; for an unrecognised set, the characters seen, sorted. */
  chars: string;
}

export interface EntropyEstimate {
  samples: number;
  /** Different values among the samples; fewer than `samples` means an id was issued twice. */
  distinct: number;
  /** Shared by every sample, removed before the estimate. */
  prefix: string;
  suffix: string;
  /** Positions (after the prefix) where every sample has the same character. */
  constantPositions: number;
  /** Positions that vary, each with its estimated bits. */
  positionBits: number[];
  alphabet: Alphabet;
  /** Sum of `positionBits`. */
  totalBits: number;
  /** Bits decoded from the varying characters and fed to the bit tests. */
  decodedBits: number;
  /** Undefined when there were too few bits (see `bitTestsSkipped`). */
  bitTests?: BitTest[];
  bitTestsSkipped?: string;
}

const ALPHABETS: Alphabet[] = [
  { name: "decimal", chars: "0123456789" },
  { name: "hex", chars: "0123456789abcdef" },
  { name: "hex", chars: "0123456789ABCDEF" },
  { name: "base32", chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
  { name: "base32", chars: "abcdefghijklmnopqrstuvwxyz234567" },
  { name: "base36", chars: "0123456789abcdefghijklmnopqrstuvwxyz" },
  { name: "base36", chars: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
  { name: "base62", chars: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
  {
    name: "base64url",
    chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  },
  { name: "base64", chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
];

/** Fewer bits than this and the FIPS tests say nothing; from here to 20,000 they are scaled. */
export const MIN_TEST_BITS = 2_000;

/**
 * Estimates the entropy of session ids issued one after another.
 *
 * @example
 * const e = estimateEntropy(ids);
 * if (e.totalBits < 128) console.log(`only ~${Math.round(e.totalBits)} bits`);
 */
export function estimateEntropy(values: readonly string[]): EntropyEstimate {
  const samples = [...values];
  const distinct = new Set(samples).size;
  const prefix = commonPrefix(samples);
  const maxSuffix = Math.min(...samples.map((s) => s.length)) - prefix.length;
  const suffix = commonSuffix(samples, Math.max(0, maxSuffix));
  const cores = samples.map((s) => s.slice(prefix.length, s.length - suffix.length));
  const width = Math.max(0, ...cores.map((c) => c.length));

  // Left-aligned columns; a column every sample has with one character is constant.
  const varying: number[] = [];
  let constantPositions = 0;
  for (let j = 0; j < width; j++) {
    const seen = new Set<string>();
    let present = 0;
    for (const c of cores) {
      if (j < c.length) {
        seen.add(c[j]!);
        present++;
      }
    }
    if (seen.size <= 1 && present === cores.length) constantPositions++;
    else varying.push(j);
  }
  const used = new Set<string>();
  for (const c of cores) for (const j of varying) if (j < c.length) used.add(c[j]!);
  const alphabet = alphabetFor(used);
  const size = alphabet.chars.length;
  const full = Math.log2(Math.max(2, size));

  const positionBits = creditPositions(cores, varying, size, full);
  const totalBits = positionBits.reduce((a, b) => a + b, 0);

  const bits = decodeBits(cores, varying, alphabet);
  const estimate: EntropyEstimate = {
    samples: samples.length,
    distinct,
    prefix,
    suffix,
    constantPositions,
    positionBits,
    alphabet,
    totalBits,
    decodedBits: bits.length,
  };
  if (bits.length < MIN_TEST_BITS) {
    estimate.bitTestsSkipped = `${bits.length} bits decoded; the bit tests need at least ${MIN_TEST_BITS} (collect more samples)`;
  } else {
    estimate.bitTests = fipsTests(bits.length >= FIPS_BITS ? bits.subarray(0, FIPS_BITS) : bits);
  }
  return estimate;
}

/**
 * The part of a cookie value that is the session id: URL-decoded, and without the signature
 * of a cookie-signature value (express-session's `s:<id>.<HMAC>`), which is derived from the
 * id and would count as entropy it is not.
 */
export function sessionIdPart(value: string): string {
  let v = value;
  try {
    v = decodeURIComponent(value);
  } catch {
    // not percent-encoded: use as is
  }
  const signed = /^s:(.+)\.[A-Za-z0-9+/]{43}$/.exec(v);
  return signed?.[1] ?? v;
}

/** Bits credited to each varying position; see step 2 at the top. */
function creditPositions(
  cores: readonly string[],
  varying: readonly number[],
  size: number,
  full: number,
): number[] {
  const columns = varying.map((j): Column => {
    const seen = new Map<string, number>();
    let n = 0;
    for (const c of cores) {
      if (j >= c.length) continue;
      seen.set(c[j]!, (seen.get(c[j]!) ?? 0) + 1);
      n++;
    }
    const counts = [...seen.values()];
    return { n, counts, plugin: shannon(counts, n) };
  });
  const { uniform, tooFewSymbols } = judgeColumns(columns, size);
  return columns.map((c, i) => {
    if (uniform && !tooFewSymbols[i]) return full;
    const corrected = c.n > 0 ? c.plugin + (c.counts.length - 1) / (2 * c.n * Math.LN2) : 0;
    return Math.min(full, corrected);
  });
}

function alphabetFor(used: ReadonlySet<string>): Alphabet {
  const match = ALPHABETS.find((a) => [...used].every((ch) => a.chars.includes(ch)));
  if (match !== undefined) return match;
  return { name: `${used.size} distinct characters`, chars: [...used].sort().join("") };
}

function shannon(counts: readonly number[], n: number): number {
  let h = 0;
  for (const c of counts) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Varying characters → bits. A power-of-two alphabet maps each character to its index bits,
 * dropping bits that never change at that position (the padding bits of a last base64
 * character). Other alphabets (decimal, base36, base62) read each sample as one big number and
 * keep its low bits, less 8, which are near-uniform when the characters are.
 */
function decodeBits(cores: readonly string[], varying: readonly number[], alphabet: Alphabet) {
  const size = alphabet.chars.length;
  const index = new Map([...alphabet.chars].map((ch, i) => [ch, i]));
  const out: number[] = [];
  if (size >= 2 && (size & (size - 1)) === 0) {
    const width = Math.log2(size);
    const masks = varying.map((j) => {
      let and = size - 1;
      let or = 0;
      for (const c of cores) {
        if (j >= c.length) continue;
        const i = index.get(c[j]!) ?? 0;
        and &= i;
        or |= i;
      }
      return or & ~and; // bits that took both values
    });
    for (const c of cores) {
      varying.forEach((j, k) => {
        if (j >= c.length) return;
        const i = index.get(c[j]!) ?? 0;
        for (let b = width - 1; b >= 0; b--) if ((masks[k]! >> b) & 1) out.push((i >> b) & 1);
      });
    }
  } else if (size >= 2) {
    const base = BigInt(size);
    for (const c of cores) {
      let n = 0n;
      let digits = 0;
      for (const j of varying) {
        if (j >= c.length) continue;
        n = n * base + BigInt(index.get(c[j]!) ?? 0);
        digits++;
      }
      const keep = Math.floor(digits * Math.log2(size)) - 8;
      for (let b = keep - 1; b >= 0; b--) out.push(Number((n >> BigInt(b)) & 1n));
    }
  }
  return Uint8Array.from(out);
}

function commonPrefix(values: readonly string[]): string {
  if (values.length === 0) return "";
  let p = values[0]!;
  for (const v of values) while (!v.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function commonSuffix(values: readonly string[], max: number): string {
  if (values.length === 0 || max <= 0) return "";
  let s = values[0]!.slice(-max);
  for (const v of values) while (s !== "" && !v.endsWith(s)) s = s.slice(1);
  return s;
}
