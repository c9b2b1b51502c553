// PostgreSQL backends terminated under load. Only this pool's own backends are terminated: they
// are found by the application_name set on the pool, so other tests' connections to the shared
// server are never touched.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createSessions, type Sessions } from "../../packages/latchkey/src/index.ts";
import { type PostgresStore, postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import type { RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  DATABASE_URL,
  dropSchema,
  postgresUnreachable,
  runId,
} from "../stores/support/services.ts";
import { startLoadApp, type Values } from "./support/load.ts";
import { runOutage } from "./support/outage-run.ts";

describe("postgres backends terminated under load", { timeout: 120_000 }, () => {
  let unreachable: string | null = null;
  const appName = `latchkey-reliability-${randomBytes(6).toString("hex")}`;
  const schema = runId("reliability");
  let admin: pg.Client;
  let store: PostgresStore;
  let sessions: Sessions<Values>;
  let app: RunningServer;
  let rotations = 0;

  /** Terminates every backend of our pool; resolves to how many there were. */
  async function terminateOurBackends(): Promise<number> {
    const result = await admin.query(
      `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
       WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [appName],
    );
    return result.rowCount ?? 0;
  }

  before(async () => {
    unreachable = await postgresUnreachable();
    if (unreachable !== null) return;
    admin = new pg.Client({ connectionString: DATABASE_URL, application_name: `${appName}-admin` });
    await admin.connect();
    const url = new URL(DATABASE_URL);
    url.searchParams.set("application_name", appName);
    store = postgresStore({
      connectionString: url.href,
      schema,
      // A terminated backend fails its query at once; these bound the reconnects in between.
      poolOptions: { connectionTimeoutMillis: 2_000, query_timeout: 2_000 },
    });
    await store.migrate();
    sessions = createSessions<Values>({
      secrets: [testSecret()],
      store,
      // Periodic rotation during the run: claims and successor writes are cut by the outage too.
      rotateEvery: "2s",
      onEvent: (e) => {
        if (e.type === "rotated") rotations++;
      },
    });
    app = await startLoadApp(sessions);
  });

  after(async () => {
    if (unreachable !== null) return;
    await app.close();
    await store.close?.();
    await admin.end();
    await dropSchema(schema);
  });

  it("every backend terminated once: never another user, nothing acknowledged lost", async (t) => {
    if (unreachable !== null) return skipOrFail(t, unreachable);
    let terminated = 0;
    const rotatedBefore = rotations;
    await runOutage(sessions, app.url, {
      label: "postgres backends terminated once",
      users: 6,
      down: async () => {
        terminated = await terminateOurBackends();
      },
      downFor: 0,
      up: async () => {},
      mustFail: false,
    });
    assert.ok(rotations > rotatedBefore, "sessions were rotated during the run");
    console.log(`    (${terminated} backends terminated)`);
  });

  it("backends terminated every 20 ms for 2.5 s: 503s, then every user served again", async (t) => {
    if (unreachable !== null) return skipOrFail(t, unreachable);
    let storming = false;
    let terminated = 0;
    let storm: Promise<void> = Promise.resolve();
    const rotatedBefore = rotations;
    await runOutage(sessions, app.url, {
      label: "postgres termination storm",
      users: 6,
      down: async () => {
        storming = true;
        storm = (async () => {
          while (storming) {
            terminated += await terminateOurBackends();
            await sleep(20);
          }
        })();
      },
      downFor: 2_500,
      up: async () => {
        storming = false;
        await storm;
      },
    });
    assert.ok(rotations > rotatedBefore, "sessions were rotated during the run");
    console.log(`    (${terminated} backends terminated)`);
  });
});
