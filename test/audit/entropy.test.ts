// The entropy estimator and FIPS 140-2 bit tests behind session-id-low-entropy, on generators
// whose entropy is known.
import { strict as assert } from "node:assert";
import { randomBytes, randomInt } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  estimateEntropy,
  fipsTests,
  sessionIdPart,
} from "../../packages/latchkey-cli/src/audit/entropy.ts";
import { verdict } from "../../packages/latchkey-cli/src/audit/entropy-check.ts";
import {
  expectedUniformEntropy,
  fewSymbolsBound,
  uniformEntropySd,
} from "../../packages/latchkey-cli/src/audit/uniformity.ts";

const many = (n: number, make: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => make(i));
const hex = (bytes: number) => () => randomBytes(bytes).toString("hex");

describe("estimateEntropy on known generators", () => {
  const cases: {
    name: string;
    ids: string[];
    bits: [number, number];
    severity: "high" | "medium" | undefined;
  }[] = [
    { name: "128-bit random hex", ids: many(200, hex(16)), bits: [128, 128], severity: undefined },
    {
      name: "256-bit random base64url",
      ids: many(200, () => randomBytes(32).toString("base64url")),
      bits: [250, 258],
      severity: undefined,
    },
    {
      name: "Django-style 32 chars of [a-z0-9]",
      ids: many(200, () =>
        Array.from(
          { length: 32 },
          () => "abcdefghijklmnopqrstuvwxyz0123456789"[randomInt(36)],
        ).join(""),
      ),
      bits: [165, 166],
      severity: undefined,
    },
    { name: "96-bit random hex", ids: many(200, hex(12)), bits: [96, 96], severity: "medium" },
    {
      name: "UUIDv4 (122 random bits)",
      ids: many(200, () => crypto.randomUUID()),
      bits: [121, 123],
      severity: "medium",
    },
    { name: "48-bit random hex", ids: many(200, hex(6)), bits: [47, 48], severity: "high" },
    {
      name: "a counter",
      ids: many(200, (i) => `sess-${(0x1000 + i).toString(16)}`),
      bits: [0, 16],
      severity: "high",
    },
    {
      name: "a millisecond timestamp and a counter",
      ids: many(200, (i) => `${(1_763_700_000_000 + i * 37).toString(36)}${i % 100}`),
      bits: [0, 32],
      severity: "high",
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.bits.join("–")} bits, ${c.severity ?? "no finding"}`, () => {
      const e = estimateEntropy(c.ids);
      assert.ok(
        e.totalBits >= c.bits[0] && e.totalBits <= c.bits[1],
        `${e.totalBits} bits, expected ${c.bits.join("–")}`,
      );
      assert.equal(verdict(e, "sid")?.severity, c.severity);
    });
  }

  it("strips a shared prefix, suffix and fixed separators", () => {
    const ids = many(
      100,
      () => `app_${randomBytes(16).toString("hex")}.${randomBytes(16).toString("hex")}_v1`,
    );
    const e = estimateEntropy(ids);
    assert.equal(e.prefix, "app_");
    assert.equal(e.suffix, "_v1");
    assert.equal(e.constantPositions, 1);
    assert.equal(e.alphabet.name, "hex");
    assert.equal(Math.round(e.totalBits), 256);
  });

  it("a constant prefix adds no entropy however long it is", () => {
    const core = many(100, hex(8));
    const plain = estimateEntropy(core).totalBits;
    const prefixed = estimateEntropy(core.map((c) => `${"X".repeat(60)}${c}`)).totalBits;
    assert.equal(prefixed, plain);
  });

  it("repeated ids are high whatever their length", () => {
    const one = randomBytes(32).toString("hex");
    const ids = [...many(50, hex(32)), one, one];
    const v = verdict(estimateEntropy(ids), "sid");
    assert.equal(v?.severity, "high");
    assert.match(v?.evidence ?? "", /1 of 52 fresh ids were repeats/);
  });

  // The first estimator used a fixed margin per position and flagged a random 128-bit id in about
  // 1 audit of 125 at 30 samples (CI caught one: "about 127 bits"); 400 rounds failed it nearly
  // always. Chance findings are now rarer than 1 in 10⁷ per round.
  it("small samples do not under-read random ids (400 rounds of 30 samples of 128-bit hex)", () => {
    for (let round = 0; round < 400; round++) {
      const e = estimateEntropy(many(30, hex(16)));
      assert.equal(e.totalBits, 128, `round ${round}: ${e.positionBits.join(" ")}`);
    }
  });

  // FIPS 140-2's bounds fail random bits about once in 1,000 runs; a failure that a fresh batch
  // does not repeat is chance, one that it repeats is a finding.
  const withFailedBitTest = (e: ReturnType<typeof estimateEntropy>) => ({
    ...e,
    bitTests: (e.bitTests ?? []).map((t) =>
      t.name === "long run"
        ? { ...t, passed: false, detail: "longest run 27 (must be under 26)" }
        : t,
    ),
  });
  const passingBatch = () => {
    for (;;) {
      const e = estimateEntropy(many(30, hex(16)));
      if ((e.bitTests ?? []).every((t) => t.passed)) return e;
    }
  };

  it("a bit test failure a fresh batch does not repeat is no finding", () => {
    const first = withFailedBitTest(passingBatch());
    assert.equal(verdict(first, "sid")?.severity, "medium");
    assert.equal(verdict(first, "sid", passingBatch()), undefined);
  });

  it("a bit test failure the fresh batch repeats is a medium finding that says so", () => {
    const first = withFailedBitTest(passingBatch());
    const v = verdict(first, "sid", withFailedBitTest(passingBatch()));
    assert.equal(v?.severity, "medium");
    assert.match(
      v?.evidence ?? "",
      /FIPS 140-2 long run \(longest run 27 .*\) failed; and again on a fresh batch: long run/,
    );
  });

  it("a passing re-run does not excuse too few bits", () => {
    const weak = withFailedBitTest(estimateEntropy(many(30, hex(12))));
    const v = verdict(weak, "sid", passingBatch());
    assert.equal(v?.severity, "medium");
    assert.match(v?.evidence ?? "", /about 96 bits/);
    assert.doesNotMatch(v?.evidence ?? "", /FIPS 140-2 long run \(/);
  });

  it("small samples still catch a generator that uses part of the alphabet at every position", () => {
    // 32 hex digits drawn from only 12 of the 16: 32 · log2(12) ≈ 115 bits.
    const digits = "0123456789ab";
    const ids = many(30, () =>
      Array.from({ length: 32 }, () => digits[randomInt(digits.length)]).join(""),
    );
    const e = estimateEntropy(ids);
    assert.ok(e.totalBits < 120, `${e.totalBits} bits`);
    assert.equal(verdict(e, "sid")?.severity, "medium");
  });

  it("small samples set apart one position with too few symbols (a UUID's variant digit)", () => {
    const e = estimateEntropy(many(30, () => crypto.randomUUID()));
    // 32 hex digits, 4 dashes and the version digit fixed; the variant digit takes 4 values.
    assert.equal(e.positionBits.length, 31);
    assert.equal(e.positionBits.filter((b) => b === 4).length, 30);
    assert.ok(e.totalBits < 123, `${e.totalBits} bits`);
  });

  it("drops express-session's s: prefix and signature", () => {
    const id = randomBytes(24).toString("base64url");
    const signed = `s%3A${id}.${randomBytes(32).toString("base64").replace(/=+$/, "")}`;
    assert.equal(sessionIdPart(signed), id);
    assert.equal(sessionIdPart("plain-id"), "plain-id");
    assert.equal(sessionIdPart("%E0%A4%A"), "%E0%A4%A");
  });

  it("never throws on arbitrary samples", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 30 }), (ids) => {
        const e = estimateEntropy(ids);
        assert.ok(Number.isFinite(e.totalBits) && e.totalBits >= 0);
      }),
    );
  });
});

describe("FIPS 140-2 bit tests", () => {
  const bitsOf = (bytes: Buffer) =>
    Uint8Array.from([...bytes].flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1)));
  const names = (bits: Uint8Array) =>
    fipsTests(bits)
      .filter((t) => !t.passed)
      .map((t) => t.name);

  it("random bits pass all four (exactly 20,000 bits: FIPS's own bounds)", () => {
    const tests = fipsTests(bitsOf(randomBytes(2500)));
    assert.deepEqual(
      tests.map((t) => [t.name, t.passed]),
      [
        ["monobit", true],
        ["poker", true],
        ["runs", true],
        ["long run", true],
      ],
    );
    assert.match(tests[0]!.detail, /expected 10000 ± 275/);
  });

  it("random bits pass the scaled tests on fewer bits", () => {
    assert.deepEqual(names(bitsOf(randomBytes(500))), []);
  });

  it("all zeros fail monobit, poker, runs and long run", () => {
    assert.deepEqual(names(new Uint8Array(20_000)), ["monobit", "poker", "runs", "long run"]);
  });

  it("alternating bits pass monobit but fail poker and runs", () => {
    const bits = Uint8Array.from({ length: 20_000 }, (_, i) => i % 2);
    assert.deepEqual(names(bits), ["poker", "runs"]);
  });

  it("biased bits (60% ones) fail monobit", () => {
    const bytes = randomBytes(20_000);
    const bits = Uint8Array.from(bytes, (b) => (b < 0.6 * 256 ? 1 : 0));
    assert.ok(names(bits).includes("monobit"));
  });

  it("a run of 26 fails long run", () => {
    const bits = bitsOf(randomBytes(2500));
    bits.fill(1, 1000, 1026);
    bits[999] = 0;
    bits[1026] = 0;
    assert.ok(names(bits).includes("long run"));
  });
});

describe("what uniform draws look like", () => {
  // Plug-in entropy of n draws from k symbols, simulated with a fixed-seed generator so the
  // comparison is the same on every run.
  const simulate = (n: number, k: number, trials: number) => {
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const values: number[] = [];
    const counts = new Array<number>(k);
    for (let t = 0; t < trials; t++) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[Math.floor(next() * k)]!++;
      let h = 0;
      for (const c of counts) if (c > 0) h -= (c / n) * Math.log2(c / n);
      values.push(h);
    }
    const mean = values.reduce((a, b) => a + b, 0) / trials;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / trials);
    return { mean, sd };
  };

  it("expectedUniformEntropy approaches log2(k) for large samples and is lower for small ones", () => {
    assert.ok(Math.abs(expectedUniformEntropy(100_000, 16) - 4) < 0.01);
    assert.ok(expectedUniformEntropy(20, 64) < 4.5);
    assert.ok(expectedUniformEntropy(20, 64) > 3.5);
    assert.equal(expectedUniformEntropy(10, 1), 0);
  });

  for (const [n, k] of [
    [30, 16],
    [20, 64],
    [50, 2],
    [150, 36],
    [400, 16], // past the exact sum: the large-sample form
  ] as const) {
    it(`mean and standard deviation match 20,000 simulated samples (n = ${n}, k = ${k})`, () => {
      const sim = simulate(n, k, 20_000);
      const sd = uniformEntropySd(n, k);
      assert.ok(Math.abs(expectedUniformEntropy(n, k) - sim.mean) < 0.05 * sd + 1e-3);
      assert.ok(Math.abs(sd - sim.sd) < 0.06 * sim.sd, `exact ${sd}, simulated ${sim.sd}`);
    });
  }

  it("uniformEntropySd is zero where there is nothing to spread", () => {
    assert.equal(uniformEntropySd(1, 16), 0);
    assert.equal(uniformEntropySd(30, 1), 0);
  });

  it("fewSymbolsBound is C(k, seen)·(seen/k)^n, capped at 1", () => {
    // 30 draws of hex showing only 4 digits: C(16,4) · 4^-30.
    assert.ok(Math.abs(fewSymbolsBound(30, 16, 4) / (1820 * 4 ** -30) - 1) < 1e-9);
    assert.equal(fewSymbolsBound(30, 16, 16), 1);
    assert.equal(fewSymbolsBound(3, 16, 3), 1);
    assert.equal(fewSymbolsBound(30, 16, 0), 0);
    // It bounds the true probability: 2 draws from 2 symbols show 1 symbol half the time.
    assert.ok(fewSymbolsBound(2, 2, 1) >= 0.5);
  });
});
