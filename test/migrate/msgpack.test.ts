// The msgpack decoder Flask-Session's sessions are read with: round-trips of values written by a
// reference encoder (every width msgpack allows for each value, not only the shortest) and by
// msgspec itself (what Flask-Session 0.8 stores), and hostile input: truncated, lying lengths,
// deep nesting, unknown extensions, `__proto__` keys. Refusal is always a MsgpackError, in time
// proportional to the input; the reader turns it into a refused session, never a rejection.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Redis } from "ioredis";
import { flaskSessionRedisReader } from "../../packages/latchkey/src/migrate/index.ts";
import { decodeMsgpack, MsgpackError } from "../../packages/latchkey/src/migrate/msgpack.ts";
import { ensurePython } from "../helpers/python.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  dropRedisPrefix,
  REDIS_URL,
  redisUnreachable,
  runId,
  skipReason,
} from "../stores/support/services.ts";

type Value =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Date
  | Value[]
  | { [k: string]: Value };

// ---- reference encoder: `pick(n)` chooses one of the n encodings a value may have ----

function encode(value: Value, pick: (n: number) => number): number[] {
  const out: number[] = [];
  // `prefix`, then `n` big-endian in `bytes` bytes (two's complement when negative).
  const put = (prefix: number[], n: number | bigint, bytes: number) => {
    const v = BigInt.asUintN(bytes * 8, BigInt(n));
    out.push(...prefix);
    for (let i = bytes - 1; i >= 0; i--) out.push(Number((v >> BigInt(i * 8)) & 0xffn));
  };
  const choose = (options: Array<[boolean, () => void]>) => {
    const valid = options.filter(([ok]) => ok);
    (valid[pick(valid.length)] as [boolean, () => void])[1]();
  };
  const sized = (n: number, fix: [number, number] | null, codes: [number, number, number]) =>
    choose([
      [fix !== null && n < fix[1], () => out.push((fix as [number, number])[0] | n)],
      [codes[0] !== 0 && n < 256, () => put([codes[0]], n, 1)],
      [n < 65536, () => put([codes[1]], n, 2)],
      [true, () => put([codes[2]], n, 4)],
    ]);
  const walk = (v: Value): void => {
    if (v === null) out.push(0xc0);
    else if (typeof v === "boolean") out.push(v ? 0xc3 : 0xc2);
    else if (typeof v === "number" && Number.isInteger(v) && !Object.is(v, -0)) {
      choose([
        [v >= 0 && v <= 0x7f, () => out.push(v)],
        [v < 0 && v >= -32, () => out.push(v & 0xff)],
        [v >= 0 && v <= 0xff, () => put([0xcc], v, 1)],
        [v >= 0 && v <= 0xffff, () => put([0xcd], v, 2)],
        [v >= 0 && v <= 0xffffffff, () => put([0xce], v, 4)],
        [v >= 0, () => put([0xcf], v, 8)],
        [v >= -128 && v <= 127, () => put([0xd0], v, 1)],
        [v >= -32768 && v <= 32767, () => put([0xd1], v, 2)],
        [v >= -(2 ** 31) && v < 2 ** 31, () => put([0xd2], v, 4)],
        [true, () => put([0xd3], v, 8)],
      ]);
    } else if (typeof v === "number") {
      const view = new DataView(new ArrayBuffer(8));
      choose([
        [
          Object.is(Math.fround(v), v),
          () => {
            view.setFloat32(0, v);
            out.push(0xca, ...new Uint8Array(view.buffer, 0, 4));
          },
        ],
        [
          true,
          () => {
            view.setFloat64(0, v);
            out.push(0xcb, ...new Uint8Array(view.buffer));
          },
        ],
      ]);
    } else if (typeof v === "string") {
      const bytes = Buffer.from(v, "utf8");
      sized(bytes.length, [0xa0, 32], [0xd9, 0xda, 0xdb]);
      out.push(...bytes);
    } else if (v instanceof Uint8Array) {
      sized(v.length, null, [0xc4, 0xc5, 0xc6]);
      out.push(...v);
    } else if (v instanceof Date) {
      const ms = v.getTime();
      const seconds = Math.floor(ms / 1000);
      const nanoseconds = (ms - seconds * 1000) * 1_000_000;
      choose([
        [
          nanoseconds === 0 && seconds >= 0 && seconds < 2 ** 32,
          () => put([0xd6, 0xff], seconds, 4),
        ],
        [
          seconds >= 0 && seconds < 2 ** 34,
          () => put([0xd7, 0xff], (BigInt(nanoseconds) << 34n) | BigInt(seconds), 8),
        ],
        [
          true,
          () => {
            put([0xc7, 12, 0xff], nanoseconds, 4);
            put([], seconds, 8);
          },
        ],
      ]);
    } else if (Array.isArray(v)) {
      sized(v.length, [0x90, 16], [0, 0xdc, 0xdd]);
      for (const item of v) walk(item);
    } else {
      const keys = Object.keys(v);
      sized(keys.length, [0x80, 16], [0, 0xde, 0xdf]);
      for (const key of keys) {
        walk(key);
        walk(v[key] as Value);
      }
    }
  };
  walk(value);
  return out;
}

/** A null-prototype object, as the decoder answers maps (deepStrictEqual compares prototypes). */
function bare(entries: Array<[string, Value]>): { [k: string]: Value } {
  const map: { [k: string]: Value } = Object.create(null);
  for (const [key, item] of entries) map[key] = item;
  return map;
}

// Keys starting with "$" are left out only because msgspec_encode.py uses them as tags.
const key = fc.oneof(
  fc.string({ maxLength: 10 }).filter((k) => !k.startsWith("$")),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "_user_id"),
);
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 32, maxLength: 300 }) },
);
const date = fc
  .integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) })
  .map((ms) => new Date(ms));
const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -40, max: 300 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: false }).filter((n) => !Number.isInteger(n)),
    text,
    fc.uint8Array({ maxLength: 300 }),
    date,
    fc.array(tie("value"), { maxLength: 20 }),
    fc.array(fc.tuple(key, tie("value")), { maxLength: 20 }).map(bare),
  ),
})).value;

const picks = fc.infiniteStream(fc.nat()).map((stream) => {
  const it = stream[Symbol.iterator]();
  return (n: number) => (it.next().value as number) % n;
});
const shortest = () => 0;

/** Decodes, and answers whether it refused; any throw but a MsgpackError fails the test. */
function refuses(bytes: Uint8Array): boolean {
  try {
    decodeMsgpack(bytes);
    return false;
  } catch (error) {
    assert.ok(error instanceof MsgpackError, `not a MsgpackError: ${String(error)}`);
    return true;
  }
}

function assertPrototypesClean(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.polluted, undefined, "Object.prototype was polluted");
  assert.equal(Object.getOwnPropertyNames(Object.prototype).includes("polluted"), false);
}

describe("msgpack decoder: round-trips", () => {
  test("any value, in any encoding msgpack allows, decodes to itself", () => {
    fc.assert(
      fc.property(value, picks, (v, pick) => {
        assert.deepStrictEqual(decodeMsgpack(Uint8Array.from(encode(v, pick))), v);
      }),
      { numRuns: 400 },
    );
  });

  test("a map's `__proto__` key is an own key of a null-prototype object", () => {
    const decoded = decodeMsgpack(
      Uint8Array.from(
        encode(
          bare([
            ["__proto__", bare([["polluted", true]])],
            ["a", 1],
          ]),
          shortest,
        ),
      ),
    ) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(decoded), null);
    assert.ok(Object.hasOwn(decoded, "__proto__"));
    assert.deepStrictEqual(
      Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value,
      bare([["polluted", true]]),
    );
    assertPrototypesClean();
  });

  test("integer map keys become their text, as Python's dict keys turned into JSON would", () => {
    // {1: "a", -5: "b"}
    const decoded = decodeMsgpack(Uint8Array.from([0x82, 0x01, 0xa1, 0x61, 0xfb, 0xa1, 0x62]));
    assert.deepStrictEqual(
      decoded,
      bare([
        ["1", "a"],
        ["-5", "b"],
      ]),
    );
  });

  test("what msgspec (Flask-Session 0.8's serializer) writes decodes to the value it was given", (t) => {
    const python = ensurePython({ msgspec: "msgspec" });
    if (!python.ok) return skipOrFail(t, `python3/msgspec not reachable: ${python.reason}`);
    const samples = fc.sample(value, { numRuns: 300, seed: 7 });
    const tagged = (v: Value): unknown => {
      if (v instanceof Date) return { $date: v.getTime() };
      if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString("hex") };
      if (Array.isArray(v)) return v.map(tagged);
      if (v !== null && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, tagged(item)]));
      return v;
    };
    // JSON has no NaN or infinities (JSON.stringify writes null); msgspec writes them as any
    // other float64, the case the reference encoder covers.
    const finite = (v: Value): boolean =>
      typeof v === "number"
        ? Number.isFinite(v)
        : Array.isArray(v)
          ? v.every(finite)
          : v !== null && typeof v === "object" && !(v instanceof Date || v instanceof Uint8Array)
            ? Object.values(v).every(finite)
            : true;
    const portable = samples.filter(finite);
    assert.ok(portable.length > 200);
    const result = spawnSync(
      "python3",
      [fileURLToPath(new URL("../fixtures/migrate/msgspec_encode.py", import.meta.url))],
      { input: JSON.stringify(portable.map(tagged)), encoding: "utf8", maxBuffer: 64 << 20 },
    );
    assert.equal(result.status, 0, result.stderr);
    const encoded = JSON.parse(result.stdout) as string[];
    assert.equal(encoded.length, portable.length);
    let datesBefore1970 = 0;
    portable.forEach((v, i) => {
      const hex = encoded[i] as string;
      if (hex.includes("c70cff")) datesBefore1970++;
      assert.deepStrictEqual(decodeMsgpack(Buffer.from(hex, "hex")), v, hex);
    });
    // msgspec's 96-bit timestamps (datetimes before 1970) were among them.
    assert.ok(datesBefore1970 > 0);
  });
});

describe("msgpack decoder: hostile input is a MsgpackError, never another throw", () => {
  test("every truncation of a valid encoding is refused", () => {
    fc.assert(
      fc.property(value, picks, (v, pick) => {
        const bytes = Uint8Array.from(encode(v, pick));
        for (let length = 0; length < bytes.length; length++) {
          assert.ok(refuses(bytes.subarray(0, length)), `prefix of ${length}/${bytes.length}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("valid encodings with bytes altered, inserted or removed: a value or a MsgpackError", () => {
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom("set", "insert", "delete"),
    });
    fc.assert(
      fc.property(
        value,
        picks,
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (v, pick, edits) => {
          const bytes = encode(v, pick);
          for (const { at, byte, kind } of edits) {
            const i = at % (bytes.length + 1);
            if (kind === "set") bytes[Math.min(i, bytes.length - 1)] = byte;
            else if (kind === "insert") bytes.splice(i, 0, byte);
            else bytes.splice(i, 1);
          }
          refuses(Uint8Array.from(bytes));
          assertPrototypesClean();
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("random bytes: a value or a MsgpackError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        refuses(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  const hostile: Array<[string, number[]]> = [
    ["empty input", []],
    ["str32 declaring 4 GiB", [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]],
    ["bin32 declaring 4 GiB", [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]],
    ["array32 of 4 billion items", [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0]],
    ["map32 of 4 billion entries", [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa0, 0xc0]],
    ["map16 whose values are missing", [0xde, 0x00, 0x03, 0xa0, 0xa0, 0xa0]],
    ["never-used type 0xc1", [0xc1]],
    ["fixext1 of type 5", [0xd4, 0x05, 0x00]],
    ["fixext2 of type -1", [0xd5, 0xff, 0x00, 0x00]],
    ["fixext4 of type 5", [0xd6, 0x05, 0x00, 0x00, 0x00, 0x00]],
    ["fixext8 of type 0", [0xd7, 0x00, ...Array(8).fill(0)]],
    ["fixext16 timestamp", [0xd8, 0xff, ...Array(16).fill(0)]],
    ["ext8 of 12 bytes, type 3", [0xc7, 12, 0x03, ...Array(12).fill(0)]],
    ["ext8 timestamp of 4 bytes", [0xc7, 4, 0xff, 0, 0, 0, 0]],
    ["ext16", [0xc8, 0x00, 0x01, 0x01, 0x00]],
    ["ext32", [0xc9, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00]],
    ["timestamp64 of 2^30-1 nanoseconds", [0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0]],
    ["timestamp96 past Date's range", [0xc7, 12, 0xff, 0, 0, 0, 0, 0x7f, ...Array(7).fill(0xff)]],
    ["uint64 past 2^53", [0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0x01]],
    ["int64 below -2^53", [0xd3, 0xff, 0xd0, 0, 0, 0, 0, 0, 0]],
    ["invalid UTF-8", [0xa2, 0xc3, 0x28]],
    ["a lone surrogate in UTF-8", [0xa3, 0xed, 0xa0, 0x80]],
    ["an array as a map key", [0x81, 0x90, 0xc0]],
    ["nil as a map key", [0x81, 0xc0, 0xc0]],
    ["a map as a map key", [0x81, 0x80, 0xc0]],
    ["trailing bytes", [0xc0, 0xc0]],
  ];
  for (const [name, bytes] of hostile) {
    test(`refused: ${name}`, () => {
      assert.ok(refuses(Uint8Array.from(bytes)));
    });
  }

  test("nesting: 20 levels decode, deeper than the bound is refused without exhausting the stack", () => {
    const nested = (levels: number, open: number[]) => {
      const bytes: number[] = [];
      for (let i = 0; i < levels; i++) bytes.push(...open);
      bytes.push(0xc0);
      return Uint8Array.from(bytes);
    };
    let expected: unknown = null;
    for (let i = 0; i < 20; i++) expected = [expected];
    assert.deepStrictEqual(decodeMsgpack(nested(20, [0x91])), expected);
    for (const levels of [40, 1000, 1_000_000]) {
      assert.ok(refuses(nested(levels, [0x91])), `${levels} arrays`);
      assert.ok(refuses(nested(levels, [0x81, 0xa1, 0x61])), `${levels} maps`);
    }
  });

  test("time is proportional to the input, refused or not (1 MiB inputs)", () => {
    const mib = 1 << 20;
    const header = (code: number, n: number) => [
      code,
      n >>> 24,
      (n >>> 16) & 0xff,
      (n >>> 8) & 0xff,
      n & 0xff,
    ];
    const cases: Array<[string, Uint8Array, boolean]> = [
      [
        "an array of a million nils",
        Uint8Array.from([...header(0xdd, mib), ...new Uint8Array(mib).fill(0xc0)]),
        false,
      ],
      [
        "a map of a quarter million entries",
        (() => {
          const bytes = [...header(0xdf, mib / 4)];
          for (let i = 0; i < mib / 4; i++) bytes.push(0xcd, (i >> 8) & 0xff, i & 0xff, 0xc0);
          return Uint8Array.from(bytes);
        })(),
        false,
      ],
      ["a million nested arrays", new Uint8Array(mib).fill(0x91), true],
      [
        "a million-item array whose last item is cut",
        Uint8Array.from([...header(0xdd, mib), ...new Uint8Array(mib - 1).fill(0xc0)]),
        true,
      ],
      [
        "a million one-byte strings, then invalid UTF-8",
        (() => {
          const bytes = [...header(0xdd, mib / 2)];
          for (let i = 0; i < mib / 2 - 1; i++) bytes.push(0xa1, 0x61);
          bytes.push(0xa1, 0xff);
          return Uint8Array.from(bytes);
        })(),
        true,
      ],
    ];
    for (const [name, bytes, refusal] of cases) {
      const started = performance.now();
      assert.equal(refuses(bytes), refusal, name);
      const elapsed = performance.now() - started;
      // Linear work on 1 MiB takes tens of milliseconds; the bound leaves room for a loaded
      // machine but not for quadratic behaviour, which would take minutes.
      assert.ok(elapsed < 5_000, `${name}: ${elapsed.toFixed(0)} ms`);
    }
  });
});

const redisSkip = skipReason(await redisUnreachable());

describe("flaskSessionRedisReader on hostile stored bytes (real Redis)", {
  skip: redisSkip ?? false,
}, () => {
  const prefix = `${runId("msgpack")}:session:`;
  let client: Redis;
  before(() => {
    client = new Redis(REDIS_URL);
  });
  after(async () => {
    client.disconnect();
    await dropRedisPrefix(REDIS_URL, prefix);
  });

  test("whatever is stored, read answers found or a refused bad-payload; it never rejects", async () => {
    const reader = flaskSessionRedisReader({ client, prefix });
    const sid = "A".repeat(43);
    const stored = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.tuple(value, picks).map(([v, pick]) => {
        const bytes = encode(v, pick);
        bytes.splice(bytes.length >> 1, 1);
        return Uint8Array.from(bytes);
      }),
      fc
        .tuple(fc.array(fc.tuple(key, value), { maxLength: 5 }), picks)
        .map(([entries, pick]) => Uint8Array.from(encode(bare(entries), pick))),
    );
    await fc.assert(
      fc.asyncProperty(stored, async (bytes) => {
        await client.set(prefix + sid, Buffer.from(bytes));
        const found = await reader.read(new Map([["session", sid]]));
        if (found.outcome === "refused") assert.equal(found.reason, "bad-payload");
        else {
          assert.equal(found.outcome, "found");
          assert.equal(typeof found.session.data, "object");
        }
        assertPrototypesClean();
      }),
      { numRuns: 150 },
    );
  });

  test("a stored `__proto__` key is data under that name, not a prototype", async () => {
    const reader = flaskSessionRedisReader({ client, prefix });
    const sid = "B".repeat(43);
    const session = bare([
      ["_user_id", "7"],
      [
        "__proto__",
        bare([
          ["polluted", true],
          ["_user_id", "admin"],
        ]),
      ],
      ["constructor", bare([["prototype", bare([["polluted", true]])]])],
    ]);
    await client.set(prefix + sid, Buffer.from(encode(session, shortest)));
    const found = await reader.read(new Map([["session", sid]]));
    assert.equal(found.outcome, "found");
    if (found.outcome !== "found") return;
    assert.equal(found.session.userId, "7");
    assert.ok(Object.hasOwn(found.session.data, "__proto__"));
    assert.deepStrictEqual(Object.keys(found.session.data).sort(), ["__proto__", "constructor"]);
    assertPrototypesClean();
  });
});
