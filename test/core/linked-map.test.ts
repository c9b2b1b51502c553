// LinkedMap keeps the order the memory store's LRU, its revocation marks and BoundedMap rely on:
// checked against a plain array model over random operation sequences.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LinkedMap } from "../../packages/latchkey/src/core/linked-map.ts";

type Op =
  | { op: "set" | "setNewest"; key: number; value: number }
  | { op: "touch" | "delete" | "get"; key: number }
  | { op: "shift" | "clear" };

const key = fc.integer({ min: 0, max: 7 });
const operation: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("set" as const, "setNewest" as const), key, value: fc.nat() }),
  fc.record({ op: fc.constantFrom("touch" as const, "delete" as const, "get" as const), key }),
  fc.record({ op: fc.constantFrom("shift" as const, "clear" as const) }),
);

describe("LinkedMap", () => {
  it("answers and orders exactly like an array of [key, value] pairs, oldest first", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (ops) => {
        const map = new LinkedMap<number, number>();
        let model: Array<[number, number]> = [];
        const at = (k: number) => model.findIndex(([mk]) => mk === k);
        for (const o of ops) {
          switch (o.op) {
            case "set": {
              map.set(o.key, o.value);
              const i = at(o.key);
              if (i === -1) model.push([o.key, o.value]);
              else model[i] = [o.key, o.value];
              break;
            }
            case "setNewest":
              map.setNewest(o.key, o.value);
              model = model.filter(([k]) => k !== o.key);
              model.push([o.key, o.value]);
              break;
            case "touch": {
              const i = at(o.key);
              const expected = i === -1 ? undefined : model[i]?.[1];
              assert.equal(map.touch(o.key), expected);
              if (i !== -1) model.push(...model.splice(i, 1));
              break;
            }
            case "delete": {
              const i = at(o.key);
              assert.equal(map.delete(o.key), i === -1 ? undefined : model[i]?.[1]);
              if (i !== -1) model.splice(i, 1);
              break;
            }
            case "get":
              assert.equal(map.get(o.key), model[at(o.key)]?.[1]);
              assert.equal(map.has(o.key), at(o.key) !== -1);
              break;
            case "shift": {
              const first = model.shift();
              const shifted = map.shift();
              assert.deepEqual(shifted && [shifted.key, shifted.value], first);
              break;
            }
            case "clear":
              map.clear();
              model = [];
              break;
          }
          assert.equal(map.size, model.length);
          const oldest = map.oldest();
          assert.deepEqual(oldest && [oldest.key, oldest.value], model[0]);
          assert.deepEqual(
            [...map.entries()].map((e) => [e.key, e.value]),
            model,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("deleting the entry just yielded while iterating visits every entry once", () => {
    const map = new LinkedMap<string, number>();
    for (const [i, k] of ["a", "b", "c", "d"].entries()) map.set(k, i);
    const seen: string[] = [];
    for (const entry of map.entries()) {
      seen.push(entry.key);
      if (entry.value % 2 === 0) map.delete(entry.key);
    }
    assert.deepEqual(seen, ["a", "b", "c", "d"]);
    assert.deepEqual(
      [...map.entries()].map((e) => e.key),
      ["b", "d"],
    );
  });
});
