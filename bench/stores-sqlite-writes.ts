// What a write costs in the SQLite store next to the memory store, per operation, in CPU µs (the
// steadier figure on a shared machine) and wall µs. Operations as the engine issues them: a new
// session (create), a value change (update with data), a touch (update of lastSeenAt/expiresAt),
// a periodic rotation (createAndClaim where the store has it), and a read (get). Not a test:
// numbers for bench/results.md.
//
//   node --conditions=latchkey-dev --import tsx bench/stores-sqlite-writes.ts [operations]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "latchkey";
import { memoryStore } from "latchkey/stores/memory";
import { sqliteStore } from "latchkey/stores/sqlite";
import { filledRef, filledSession } from "./stores-fill.ts";

const COUNT = Number(process.argv[2] ?? 20_000);
const ROUNDS = 3;

type Operation = (store: Store, i: number) => Promise<unknown>;

const operations: Record<string, Operation> = {
  create: (store, i) => store.create(`new${i}`, filledSession(i)),
  "update (a value)": (store, i) =>
    store.update(filledRef(i), { set: { cart: `{"items":[${i}]}` } }),
  "update (touch)": (store, i) =>
    store.update(filledRef(i), { meta: { lastSeenAt: Date.now(), expiresAt: Date.now() + 1e6 } }),
  // As the engine rotates: one createAndClaim call where the store has it, create + claim otherwise.
  rotate: async (store, i) => {
    const until = Date.now() + 30_000;
    if (store.createAndClaim !== undefined) {
      await store.createAndClaim(`rot${i}`, filledSession(i), filledRef(i), until);
      return;
    }
    await store.create(`rot${i}`, filledSession(i));
    await store.claim(filledRef(i), `rot${i}`, until);
  },
  get: (store, i) => store.get(`rot${i}`),
};

/** µs per operation (CPU, wall) of `operation` over COUNT sessions of a fresh store. */
async function measure(make: () => Store, operation: Operation): Promise<[number, number]> {
  const store = make();
  for (let i = 1; i <= COUNT; i++) await store.create(filledRef(i), filledSession(i));
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 1; i <= COUNT; i++) await operation(store, i);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - wall;
  await store.close?.();
  return [(used.user + used.system) / COUNT, (elapsed * 1000) / COUNT];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

const dir = mkdtempSync(join(tmpdir(), "latchkey-bench-"));
let file = 0;
const stores: Record<string, () => Store> = {
  memory: () => memoryStore({ maxSessions: COUNT * 4 }),
  sqlite: () => sqliteStore({ path: join(dir, `s${file++}.db`) }),
};
try {
  console.log(`µs per operation (median of ${ROUNDS} rounds of ${COUNT}), CPU / wall`);
  console.log("| operation | memory | sqlite | sqlite − memory (CPU) |\n|---|---|---|---|");
  for (const [name, operation] of Object.entries(operations)) {
    const figures: Record<string, [number, number]> = {};
    for (const [label, make] of Object.entries(stores)) {
      const rounds: Array<[number, number]> = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await measure(make, operation));
      figures[label] = [median(rounds.map((x) => x[0])), median(rounds.map((x) => x[1]))];
    }
    const [mc, mw] = figures.memory as [number, number];
    const [sc, sw] = figures.sqlite as [number, number];
    console.log(
      `| ${name} | ${mc.toFixed(1)} / ${mw.toFixed(1)} | ${sc.toFixed(1)} / ${sw.toFixed(1)} | +${(sc - mc).toFixed(1)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
