// A small seeded PRNG (sfc32) so every fuzz case can be replayed from (seed, case index) alone.
import { randomInt } from "node:crypto";

export interface Rng {
  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number, stream: number): Rng {
  // Seeding sfc32 from two words and discarding the first outputs decorrelates nearby indexes.
  let a = seed >>> 0;
  let b = stream >>> 0;
  let c = (seed ^ 0x9e3779b9) >>> 0;
  let d = 1;
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const int = (n: number) => Math.floor((u32() / 0x1_0000_0000) * n);
  return {
    u32,
    int,
    pick: <T>(items: readonly T[]) => items[int(items.length)] as T,
    chance: (p) => u32() / 0x1_0000_0000 < p,
  };
}

/**
 * The run's seed: LATCHKEY_FUZZ_SEED to replay a failure, otherwise a fresh one, so each CI run
 * explores new inputs. Failures print it together with the case index.
 */
export function fuzzSeed(): number {
  const given = process.env.LATCHKEY_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed))
      throw new Error(`LATCHKEY_FUZZ_SEED must be an integer: ${given}`);
    return seed >>> 0;
  }
  return randomInt(0, 2 ** 32 - 1);
}
