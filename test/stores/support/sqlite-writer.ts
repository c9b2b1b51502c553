// A worker of sqlite-shared.test.ts: opens the shared file with its own connection and applies
// change sets to one session, as another process would.
import { parentPort, workerData } from "node:worker_threads";
import { sqliteStore } from "../../../packages/latchkey/src/stores/sqlite.ts";

const { path, ref, label, count } = workerData as {
  path: string;
  ref: string;
  label: string;
  count: number;
};
const store = sqliteStore({ path });
for (let i = 0; i < count; i++) {
  await store.update(ref, {
    set: { [`${label}${i}`]: String(i) },
    meta: { lastSeenAt: Date.now() },
  });
}
await store.close?.();
parentPort?.postMessage("done");
