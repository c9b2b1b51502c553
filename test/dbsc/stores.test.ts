// The DBSC scenario on every store, Redis Cluster included (Express): the binding lives with the
// session and the challenges in the same store; sealed cookies keep the binding in the seal and
// the challenges in their revocation store.
import { describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { targets } from "../stores/support/targets.ts";
import { DEVICE_BOUND, runBoundScenario } from "./flow.ts";

for (const target of targets) {
  describe(`DBSC with ${target.name}`, () => {
    for (const sealed of [false, true]) {
      it(`${sealed ? "sealed cookie + revocation store" : "server store"}: register, refresh, stolen cookie refused, logout`, async (t) => {
        const why = await target.unavailable();
        if (why !== null) return skipOrFail(t, why);
        const made = await target.make();
        const clock = fakeClock();
        const sessions = createSessions<AppSession>({
          secrets: [testSecret()],
          store: sealed ? cookieStore({ revocation: made.store }) : made.store,
          now: clock.now,
          deviceBound: DEVICE_BOUND,
        });
        const server = await (mounts.express as NonNullable<typeof mounts.express>)(sessions);
        try {
          await runBoundScenario(server.url, clock, "ES256");
        } finally {
          await server.close();
          // The store is closed by its cleanup.
          await made.cleanup();
        }
      });
    }
  });
}
