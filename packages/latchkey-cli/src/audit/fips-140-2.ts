// The FIPS 140-2 statistical random number generator tests (section 4.9.1, as in the 2001
// standard and its change notice: long run ≥ 26 fails). The session-id entropy check runs them
// on bits decoded from collected ids.

export interface BitTest {
  name: "monobit" | "poker" | "runs" | "long run";
  passed: boolean;
  /** The statistic and the bounds it had to meet, for the report. */
  detail: string;
}

/** The length FIPS 140-2 specifies its bounds for. */
export const FIPS_BITS = 20_000;

// FIPS 140-2 (4.9.1) bounds for exactly 20,000 bits.
const FIPS_RUNS: [number, number][] = [
  [2315, 2685],
  [1114, 1386],
  [527, 723],
  [240, 384],
  [103, 209],
  [103, 209],
];
const LONG_RUN = 26;

/**
 * The four FIPS 140-2 tests. On exactly 20,000 bits the bounds are FIPS's own; on fewer, the
 * same tests with bounds scaled to the length at about the same significance (≈ 4 σ).
 */
export function fipsTests(bits: Uint8Array): BitTest[] {
  const n = bits.length;
  const exact = n === FIPS_BITS;
  let ones = 0;
  for (const b of bits) ones += b;
  const monoHalf = exact ? 275 : 3.89 * (Math.sqrt(n) / 2);
  const monobit: BitTest = {
    name: "monobit",
    passed: Math.abs(ones - n / 2) < monoHalf,
    detail: `${ones} ones in ${n} bits (expected ${n / 2} ± ${Math.round(monoHalf)})`,
  };

  const segments = Math.floor(n / 4);
  const f = new Array<number>(16).fill(0);
  for (let s = 0; s < segments; s++) {
    const i = s * 4;
    f[(bits[i]! << 3) | (bits[i + 1]! << 2) | (bits[i + 2]! << 1) | bits[i + 3]!]!++;
  }
  const x = (16 / segments) * f.reduce((a, c) => a + c * c, 0) - segments;
  const poker: BitTest = {
    name: "poker",
    passed: x > 2.16 && x < 46.17,
    detail: `X = ${x.toFixed(2)} over ${segments} nibbles (bounds 2.16 < X < 46.17)`,
  };

  const runCounts = [new Array<number>(6).fill(0), new Array<number>(6).fill(0)];
  let longest = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    run++;
    if (i === n - 1 || bits[i + 1] !== bits[i]) {
      runCounts[bits[i]!]![Math.min(run, 6) - 1]!++;
      longest = Math.max(longest, run);
      run = 0;
    }
  }
  const bounds = FIPS_RUNS.map(([lo, hi], i): [number, number] => {
    if (exact) return [lo, hi];
    const expected = i < 5 ? n / 2 ** (i + 3) : n / 2 ** 7;
    const half = 4 * Math.sqrt(expected);
    return [expected - half, expected + half];
  });
  const badRuns: string[] = [];
  for (const bit of [0, 1]) {
    runCounts[bit]!.forEach((count, i) => {
      const [lo, hi] = bounds[i]!;
      if (count < lo || count > hi)
        badRuns.push(
          `${count} runs of ${i + 1}${i === 5 ? "+" : ""} ${bit}s (expected ${Math.round(lo)}–${Math.round(hi)})`,
        );
    });
  }
  const runs: BitTest = {
    name: "runs",
    passed: badRuns.length === 0,
    detail: badRuns.length === 0 ? "run lengths 1–6+ within bounds" : badRuns.join("; "),
  };
  const longRun: BitTest = {
    name: "long run",
    passed: longest < LONG_RUN,
    detail: `longest run ${longest} (must be under ${LONG_RUN})`,
  };
  return [monobit, poker, runs, longRun];
}
