// sqliteStore.deleteAll() (revokeAll) on a file the store opened runs its batches on a worker
// thread with its own connection, so the WAL checkpoints and fsyncs its commits trigger never wait
// on the app's event loop. Which connection deleted the rows is observed with a TEMP trigger: a
// temporary trigger belongs to the connection that created it, so it counts the deletes made
// through the app's own connection only. No wall-clock time is asserted.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { filledRef, filledSession, fillSqlite } from "../../bench/stores-fill.ts";
import { LatchkeyError } from "../../packages/latchkey/src/core/errors.ts";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";

const ROWS = 5_000;
const BATCH = 100;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-sweep-worker-"));
  dirs.push(dir);
  return join(dir, "sessions.db");
}

/** The nice value in a /proc stat file (field 19, counted after the name, which may hold ") "). */
function niceOf(statFile: string): number {
  const stat = readFileSync(statFile, "utf8");
  return Number(stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[16]);
}

/** What this test process runs at (0 normally; more under `nice npm test`). */
const inherited = getPriority();

/** Thread id → nice value, for every thread of this process. */
function threadNiceness(): Map<number, number> {
  const tasks = `/proc/${process.pid}/task`;
  const nice = new Map<number, number>();
  for (const tid of readdirSync(tasks)) {
    try {
      nice.set(Number(tid), niceOf(`${tasks}/${tid}/stat`));
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return nice;
}

/** Counts the rows deleted through `db` itself (not through other connections to the file). */
function countOwnDeletes(db: Database.Database): () => number {
  let deleted = 0;
  db.function("latchkey_test_deleted", () => {
    deleted++;
    return null;
  });
  db.exec(`CREATE TEMP TRIGGER latchkey_test_count AFTER DELETE ON main.latchkey_sessions
           BEGIN SELECT latchkey_test_deleted(); END`);
  return () => deleted;
}

const left = (db: Database.Database) =>
  db.prepare("SELECT count(*) FROM latchkey_sessions").pluck().get() as number;

/** A store on a file of its own holding ROWS sessions, and the rows each sweep batch removed. */
function filledStore(path = tempFile()) {
  const batches: number[] = [];
  const store = sqliteStore({ path, sweepBatch: BATCH, onSweepBatch: (n) => batches.push(n) });
  fillSqlite(store.database, ROWS);
  return { store, batches };
}

describe("sqliteStore.deleteAll on a worker thread", () => {
  it("a file it opened: the worker deletes every row, live requests are served meanwhile", async () => {
    const { store, batches } = filledStore();
    // A rotation claimed just before: its successor sorts before every filled row (behind the
    // cursor), and is found through the chain.
    await store.create("zzz-rotated", filledSession(1));
    await store.create("0-successor", filledSession(2));
    assert.deepEqual(await store.claim("zzz-rotated", "0-successor", Date.now() + 60_000), {
      claimed: true,
    });
    const ownDeletes = countOwnDeletes(store.database);

    const sweep = store.deleteAll();
    // Live requests while the sweep runs: writes find the worker's lock now and then and retry
    // on timers; none may fail. Refs sorting before the cursor are not the sweep's to delete.
    let live = 0;
    let sweeping = true;
    void sweep.finally(() => {
      sweeping = false;
    });
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    while (sweeping) {
      const ref = `0live${String(live).padStart(4, "0")}`;
      await store.create(ref, filledSession(live));
      assert.ok(await store.get(ref), "a live session is readable at once");
      assert.equal(await store.update(ref, { set: { n: String(live) } }), true);
      live++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await sweep;

    assert.equal(ownDeletes(), 0, "no row was deleted through the app's own connection");
    assert.ok(live > 0, "requests were served while the sweep ran");
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      ROWS + 2,
      "progress reported per batch",
    );
    assert.ok(batches.length >= ROWS / BATCH, `batches: ${batches.length}`);
    assert.ok(Math.max(...batches) <= BATCH + 1, "batches keep their size");
    assert.equal(await store.get(filledRef(1)), null);
    assert.equal(await store.get("0-successor"), null, "the successor chain is followed");
    assert.equal(left(store.database), live, "only the sessions created during the sweep remain");
    // The worker has exited and released the file: it can be checkpointed and truncated.
    assert.deepEqual(store.database.pragma("wal_checkpoint(TRUNCATE)"), [
      { busy: 0, log: 0, checkpointed: 0 },
    ]);
    assert.equal(store.database.pragma("wal_autocheckpoint", { simple: true }), 1000);
    await store.close?.();
  });

  it("Linux: the worker thread runs 10 nice steps lower, the app's thread and the process keep theirs", {
    skip:
      (process.platform !== "linux" && "thread niceness is read from Linux /proc") ||
      (inherited >= 19 && "already at the lowest priority: nothing to lower"),
  }, async () => {
    const { store, batches } = filledStore();
    const before = threadNiceness();
    const sweep = store.deleteAll();
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const during = threadNiceness();
    await sweep;
    assert.deepEqual([...new Set(before.values())], [inherited], "every thread as started, before");
    assert.equal(during.get(process.pid), inherited, "the app's own thread keeps its priority");
    const lowered = [...during].filter(([, nice]) => nice !== inherited);
    assert.deepEqual(
      lowered.map(([, nice]) => nice),
      [Math.min(19, inherited + 10)],
      "exactly one thread, the sweep's, 10 steps lower",
    );
    assert.ok(!before.has(lowered[0]![0]), "a thread started for the sweep");
    assert.equal(
      niceOf(`/proc/${process.pid}/stat`),
      inherited,
      "the process as a whole is unchanged",
    );
    assert.equal(left(store.database), 0);
    await store.close?.();
  });

  it("a database passed in, or :memory:: swept on the app's own connection, as before", async () => {
    const database = new Database(tempFile());
    database.pragma("journal_mode = WAL");
    for (const store of [
      sqliteStore({ database, sweepBatch: BATCH }),
      sqliteStore({ path: ":memory:", sweepBatch: BATCH }),
    ]) {
      fillSqlite(store.database, 1_000);
      const ownDeletes = countOwnDeletes(store.database);
      await store.deleteAll();
      assert.equal(ownDeletes(), 1_000);
      assert.equal(left(store.database), 0);
      await store.close?.();
    }
    database.close();
  });

  it("a lock held past lockTimeout: deleteAll rejects with store-unavailable", async () => {
    const path = tempFile();
    const store = sqliteStore({ path, lockTimeout: 200, sweepBatch: BATCH });
    fillSqlite(store.database, 1_000);
    const holder = new Database(path);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      await assert.rejects(store.deleteAll(), (error: unknown) => {
        assert.ok(error instanceof LatchkeyError);
        assert.equal(error.code, "store-unavailable");
        assert.doesNotMatch(error.message, /sessions\.db|latchkey-sweep-worker/);
        return true;
      });
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    assert.equal(left(store.database), 1_000);
    await store.close?.();
  });

  it("close() during a sweep stops the worker; deleteAll rejects; the file is left usable", async () => {
    const path = tempFile();
    const { store, batches } = filledStore(path);
    const sweep = store.deleteAll();
    const outcome = sweep.then(
      () => null,
      (error: unknown) => error,
    );
    while (batches.length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
    await store.close?.();
    const error = await outcome;
    assert.ok(error instanceof LatchkeyError && error.code === "store-unavailable", String(error));
    const reopened = sqliteStore({ path });
    const remaining = left(reopened.database);
    assert.ok(remaining > 0 && remaining < ROWS, `${remaining} rows left`);
    await reopened.deleteAll();
    assert.equal(left(reopened.database), 0);
    await reopened.close?.();
  });

  it("from the built package (ESM .js, no tsx): the worker starts, deletes, and lowers only itself", () => {
    // Compiled as the package build does (tsc, .ts imports rewritten to .js), into a folder
    // inside the repository so better-sqlite3 resolves from node_modules.
    const out = join("test-artifacts", `sweep-dist-${process.pid}`);
    mkdirSync(out, { recursive: true });
    dirs.push(out);
    const src = "packages/latchkey/src/stores";
    const tsc = spawnSync(
      process.execPath,
      [
        "node_modules/typescript/bin/tsc",
        `${src}/sqlite.ts`,
        `${src}/sqlite-sweep-worker.ts`,
        ...["--outDir", out, "--rootDir", "packages/latchkey/src", "--module", "nodenext"],
        ...["--moduleResolution", "nodenext", "--target", "es2022", "--types", "node"],
        ...["--rewriteRelativeImportExtensions", "--allowImportingTsExtensions", "--skipLibCheck"],
        ...["--strict", "--verbatimModuleSyntax", "--esModuleInterop"],
      ],
      { encoding: "utf8" },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    writeFileSync(join(out, "package.json"), '{"type":"module"}');
    const script = `
      import { readdirSync, readFileSync } from "node:fs";
      import { sqliteStore } from "./stores/sqlite.js";
      // Every thread's nice value but the main one's, seen at the first batch (Linux /proc).
      let others = null;
      const niceOf = (f) => { const t = readFileSync(f, "utf8"); return Number(t.slice(t.lastIndexOf(") ") + 2).split(" ")[16]); };
      const onSweepBatch = () => {
        if (others !== null || process.platform !== "linux") return;
        others = readdirSync("/proc/self/task").filter((t) => Number(t) !== process.pid)
          .map((t) => { try { return niceOf("/proc/self/task/" + t + "/stat"); } catch { return null; } })
          .filter((n) => n !== null);
      };
      const store = sqliteStore({ path: process.argv[2], sweepBatch: 250, onSweepBatch });
      const insert = store.database.prepare("INSERT INTO latchkey_sessions (ref, secret_hash, sid, created_at, last_seen_at, issued_at, expires_at, persistent, data, prune_after) VALUES (?, 'h', 's', 0, 0, 0, ?, 0, '{}', ?)");
      const far = Date.now() + 3600000;
      store.database.transaction(() => { for (let i = 0; i < 3000; i++) insert.run("r" + i, far, far); })();
      let own = 0;
      store.database.function("own_delete", () => { own++; return null; });
      store.database.exec("CREATE TEMP TRIGGER t AFTER DELETE ON main.latchkey_sessions BEGIN SELECT own_delete(); END");
      await store.deleteAll();
      const left = store.database.prepare("SELECT count(*) FROM latchkey_sessions").pluck().get();
      await store.close?.();
      const main = process.platform === "linux" ? niceOf("/proc/self/stat") : null;
      const lowered = (others ?? []).filter((n) => n !== main);
      console.log(JSON.stringify({ own, left, main, lowered }));`;
    writeFileSync(join(out, "run.mjs"), script);
    // Started at nice 15 (Linux): the sweep's thread goes 10 steps lower, capped at 19, and never
    // above what it inherited, even for root, who could raise it.
    const linux = process.platform === "linux";
    const command = linux ? ["nice", "-n", "15", process.execPath] : [process.execPath];
    const run = spawnSync(
      command[0] as string,
      [...command.slice(1), join(out, "run.mjs"), tempFile()],
      {
        encoding: "utf8",
        // Plain node: no tsx loader, no development condition.
        env: { ...process.env, NODE_OPTIONS: "" },
      },
    );
    assert.equal(run.status, 0, run.stderr);
    const outcome = JSON.parse(run.stdout.trim());
    assert.deepEqual(
      { own: outcome.own, left: outcome.left },
      { own: 0, left: 0 },
      "the worker deleted every row",
    );
    if (linux) {
      // `nice -n 15` adds to what this process runs at; Linux stops at 19.
      const main = Math.min(19, inherited + 15);
      assert.equal(outcome.main, main);
      assert.deepEqual(
        outcome.lowered,
        main < 19 ? [19] : [],
        "one thread lower than the rest, the sweep's, at 19 (15 + 10, capped)",
      );
    }
  });
});
