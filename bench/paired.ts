// Figures that hold on a noisy machine. Every setup runs once per round, interleaved with the others,
// so a slow stretch of the machine hits a setup and the setup it is compared with alike. A figure is
// therefore never "setup A's median minus setup B's median" but the median of the per-round
// differences (or ratios) A − B, and its spread is the min–max of those per-round values.

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many rounds had both sides. */
  rounds: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0)
    return { median: Number.NaN, min: Number.NaN, max: Number.NaN, rounds: 0 };
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    rounds: finite.length,
  };
}

/** Per-round `combine(a[i], b[i])`, for the rounds where both were measured. */
export function paired(
  a: readonly number[],
  b: readonly number[],
  combine: (x: number, y: number) => number,
): Spread {
  const values: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    values.push(combine(a[i] as number, b[i] as number));
  }
  return spreadOf(values);
}

export const difference = (x: number, y: number) => x - y;
export const ratio = (x: number, y: number) => (y === 0 ? Number.NaN : x / y);

/**
 * A target verdict that only counts when the whole spread is on one side of the limit:
 * "met" when even the worst round meets it, "missed" when even the best round misses it, and
 * "undecided" when the rounds disagree (the machine's noise is larger than the margin).
 */
export function verdictAtMost(spread: Spread, limit: number): "met" | "missed" | "undecided" {
  if (spread.rounds === 0) return "undecided";
  if (spread.max <= limit) return "met";
  if (spread.min > limit) return "missed";
  return "undecided";
}

export const formatSpread = (s: Spread, digits = 0): string =>
  s.rounds === 0
    ? "–"
    : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)} to ${s.max.toFixed(digits)})`;
