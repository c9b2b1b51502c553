// The entropy estimator and FIPS 140-2 bit tests behind session-id-low-entropy, on generators
// whose entropy is known.
import { strict as assert } from "node:assert";
import { randomBytes, randomInt } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  estimateEntropy,
  expectedUniformEntropy,
  fipsTests,
  sessionIdPart,
} from "../../packages/latchkey-cli/src/audit/entropy.ts";
import { verdict } from "../../packages/latchkey-cli/src/audit/entropy-check.ts";

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

  it("small samples do not under-read random ids (30 samples of 128-bit hex)", () => {
    for (let round = 0; round < 5; round++)
      assert.equal(verdict(estimateEntropy(many(30, hex(16))), "sid"), undefined);
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

describe("expectedUniformEntropy", () => {
  it("approaches log2(k) for large samples and is lower for small ones", () => {
    assert.ok(Math.abs(expectedUniformEntropy(100_000, 16) - 4) < 0.01);
    assert.ok(expectedUniformEntropy(20, 64) < 4.5);
    assert.ok(expectedUniformEntropy(20, 64) > 3.5);
    assert.equal(expectedUniformEntropy(10, 1), 0);
  });
});
