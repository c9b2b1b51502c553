// The DBSC scenario on every adapter, both algorithms, memory store.
import { describe, it } from "node:test";
import { createSessions } from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import type { AppSession } from "../adapters/app.ts";
import { mounts } from "../adapters/mounts.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testSecret } from "../helpers/secrets.ts";
import { DEVICE_BOUND, runBoundScenario } from "./flow.ts";

for (const [name, mount] of Object.entries(mounts)) {
  describe(`DBSC on ${name}`, () => {
    for (const alg of ["ES256", "RS256"] as const) {
      it(`${alg}: registers, refreshes past expiry, refuses the stolen session cookie, ends at logout`, async () => {
        const clock = fakeClock();
        const sessions = createSessions<AppSession>({
          secrets: [testSecret()],
          store: memoryStore(),
          now: clock.now,
          deviceBound: DEVICE_BOUND,
        });
        const server = await mount(sessions);
        try {
          await runBoundScenario(server.url, clock, alg);
        } finally {
          await server.close();
          await sessions.close();
        }
      });
    }
  });
}
