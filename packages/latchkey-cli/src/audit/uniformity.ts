// What uniform random draws look like at one position of a session id, so that the entropy
// estimate can tell a random generator from a weak one without flagging random ids by chance.
//
// Why two tests and not one margin: the plug-in entropy of n uniform draws falls below its mean
// with a long tail (its deficit is ≈ χ²/(2n·ln 2)). A fixed margin per position (the first
// version: 0.15 · log2 k) flagged one position of a random hex id in 4,000 at 30 samples, and a
// 128-bit id has 32 positions: random ids read "guessable" in about one audit in 125. No
// per-position threshold can be both that strict and still catch a generator that uses half the
// alphabet everywhere; the sum over positions can, because its spread grows as √m while a
// systematic deficit grows as m. So:
//
// - one position alone is set apart only when it shows so few distinct symbols that uniform
//   draws would do it with probability below 1e-9 (a rigorous bound, not an approximation): a
//   version nibble, a variant field, a position that takes two values;
// - the other positions are judged together, by the sum of their entropy deficits in units of
//   its exact standard deviation.

/** One position of the ids: how many samples have it, how often each symbol appeared there. */
export interface Column {
  n: number;
  counts: readonly number[];
  /** The plug-in (Shannon) entropy of `counts`, in bits. */
  plugin: number;
}

/** Below this, a position's few distinct symbols are no accident of sampling (a rigorous bound). */
const FEW_SYMBOLS_P = 1e-9;
/**
 * The positions' summed entropy deficit, in standard deviations, below which the generator is not
 * uniform. Simulated for 4–32 positions at 20–200 samples over 10–64 symbols, uniform draws reach
 * −4.4 to −5.1 once in 10⁵ (slightly heavier than a normal tail); −7 keeps chance findings far
 * rarer, and 32 positions at 30 samples that use 14 of 16 hex digits still land below it.
 */
const POOLED_Z = -7;

/**
 * Judges the columns against uniform draws from `k` symbols, as described at the top:
 * `tooFewSymbols[i]` sets a column apart, `uniform` is the verdict on all the others together.
 */
export function judgeColumns(
  columns: readonly Column[],
  k: number,
): { uniform: boolean; tooFewSymbols: boolean[] } {
  const tooFewSymbols = columns.map(
    (c) => c.n < 2 || fewSymbolsBound(c.n, k, c.counts.length) < FEW_SYMBOLS_P,
  );
  // Ids of different lengths give columns different sample counts; each count is worked out once.
  const moments = new Map<number, { mean: number; sd: number }>();
  let deficit = 0;
  let variance = 0;
  columns.forEach((c, i) => {
    if (tooFewSymbols[i]) return;
    let m = moments.get(c.n);
    if (m === undefined) {
      m = { mean: expectedUniformEntropy(c.n, k), sd: uniformEntropySd(c.n, k) };
      moments.set(c.n, m);
    }
    deficit += c.plugin - m.mean;
    variance += m.sd * m.sd;
  });
  const uniform = variance > 0 ? deficit / Math.sqrt(variance) >= POOLED_Z : deficit >= -1e-9;
  return { uniform, tooFewSymbols };
}

/**
 * The expected plug-in (Shannon) entropy of `n` uniform draws from `k` symbols. Each symbol's
 * count is Binomial(n, 1/k), so by linearity E[H] = −k · Σ_c P(c) · (c/n) · log2(c/n).
 * Small samples under-read entropy; comparing with this, not with log2(k), corrects for it.
 */
export function expectedUniformEntropy(n: number, k: number): number {
  if (k < 2 || n < 1) return 0;
  const p = 1 / k;
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p); // P(0)
  let sum = 0;
  for (let c = 1; c <= n; c++) {
    logPmf += Math.log((n - c + 1) / c) + logRatio;
    const q = c / n;
    sum += Math.exp(logPmf) * q * Math.log2(q);
  }
  return -k * sum;
}

/** Past this many samples `uniformEntropySd` uses its large-sample form (the exact sum is O(n²)). */
export const EXACT_SD_MAX_SAMPLES = 200;

/**
 * The standard deviation of that plug-in entropy. Exactly, Var H = k·E[f(C)²] + k(k−1)·E[f(C₁)f(C₂)]
 * − (E H)², with f(c) = −(c/n)·log2(c/n), C ~ Binomial(n, 1/k) and (C₁, C₂) two cells of the
 * multinomial. Past `EXACT_SD_MAX_SAMPLES` the large-sample form: H ≈ log2 k − χ²/(2n·ln 2), χ² on
 * k − 1 degrees of freedom, so σ ≈ √(2(k−1)) / (2n·ln 2) (within 5% of the exact value at n = 100).
 */
export function uniformEntropySd(n: number, k: number): number {
  if (k < 2 || n < 2) return 0;
  if (n > EXACT_SD_MAX_SAMPLES) return Math.sqrt(2 * (k - 1)) / (2 * n * Math.LN2);
  const logFact = logFactorials(n);
  const f = (c: number) => -(c / n) * Math.log2(c / n);
  // c · log(x) with 0 · log(0) = 0: with k = 2 a pair of cells leaves the rest empty for certain.
  const times = (c: number, logX: number) => (c === 0 ? 0 : c * logX);
  const logP = -Math.log(k);
  const logRest1 = Math.log1p(-1 / k);
  const logRest2 = Math.log1p(-2 / k);
  let e1 = 0;
  let e2 = 0;
  for (let c = 1; c <= n; c++) {
    const w = Math.exp(
      logFact[n]! - logFact[c]! - logFact[n - c]! + c * logP + times(n - c, logRest1),
    );
    e1 += w * f(c);
    e2 += w * f(c) ** 2;
  }
  let cross = 0;
  for (let a = 1; a < n; a++) {
    for (let b = 1; a + b <= n; b++) {
      const rest = n - a - b;
      const logW =
        logFact[n]! -
        logFact[a]! -
        logFact[b]! -
        logFact[rest]! +
        (a + b) * logP +
        times(rest, logRest2);
      cross += Math.exp(logW) * f(a) * f(b);
    }
  }
  const mean = k * e1;
  return Math.sqrt(Math.max(0, k * e2 + k * (k - 1) * cross - mean * mean));
}

/**
 * An upper bound on the probability that `n` uniform draws from `k` symbols show at most `seen`
 * distinct symbols: some set of `seen` symbols holds every draw, so P ≤ C(k, seen) · (seen/k)ⁿ.
 * Rigorous (a union bound), so a position flagged below 1e-9 is flagged at most that often by
 * chance; tight when `seen` is small, which is the case it is for.
 */
export function fewSymbolsBound(n: number, k: number, seen: number): number {
  if (seen >= k) return 1;
  if (seen <= 0) return n === 0 ? 1 : 0;
  const logFact = logFactorials(k);
  const logChoose = logFact[k]! - logFact[seen]! - logFact[k - seen]!;
  return Math.min(1, Math.exp(logChoose + n * Math.log(seen / k)));
}

function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let i = 2; i <= n; i++) out[i] = out[i - 1]! + Math.log(i);
  return out;
}
