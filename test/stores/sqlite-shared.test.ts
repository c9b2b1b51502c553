// Several connections to one SQLite file (threads here, processes in production): their change
// sets to the same session all persist, with no busy errors.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { Worker } from "node:worker_threads";
import { sqliteStore } from "../../packages/latchkey/src/stores/sqlite.ts";

const WRITER = new URL("./support/sqlite-writer.ts", import.meta.url);

it("four connections updating one session in the same file: every key persists", async () => {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-sqlite-"));
  const path = join(dir, "shared.db");
  const store = sqliteStore({ path });
  try {
    const now = Date.now();
    await store.create("shared", {
      secretHash: "h",
      meta: {
        sid: "s",
        createdAt: now,
        lastSeenAt: now,
        issuedAt: now,
        expiresAt: now + 60_000,
        userId: null,
        authTime: null,
        persistent: false,
        userAgent: null,
        successor: null,
      },
      data: {},
    });
    const workers = ["a", "b", "c", "d"].map(
      (label) =>
        // The worker compiles TypeScript through tsx's API (Node 20 workers take no --import hooks).
        new Worker(
          `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(WRITER.href)}); })`,
          { eval: true, workerData: { path, ref: "shared", label, count: 100 } },
        ),
    );
    await Promise.all(
      workers.map(async (worker) => {
        const [code] = await once(worker, "exit");
        assert.equal(code, 0, "the worker finished without an error");
      }),
    );
    const data = (await store.get("shared"))?.data ?? {};
    assert.equal(Object.keys(data).length, 400);
    for (const label of ["a", "b", "c", "d"]) assert.equal(data[`${label}99`], "99");
  } finally {
    await store.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
});
