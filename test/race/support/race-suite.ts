// The race suite for one shared store: three app processes, every race run TRIALS times, and no
// violation allowed. Each race test is bounded: TRIALS sequential trials with barrier timeouts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testSecret } from "../../helpers/secrets.ts";
import { skipOrFail } from "../../helpers/service.ts";
import { type AppProcess, startCluster, stopCluster } from "./app-cluster.ts";
import {
  limitedLogins,
  logoutVsRotation,
  type Race,
  revokeUserVsRotate,
  revokeUserVsRotation,
  revokeUserVsWrite,
  runTrials,
  twoRotations,
} from "./races.ts";

const TRIALS = 20;
const PROCESSES = 3;
const LOGINS = 6;

export interface SharedStore {
  /** Sealed cookie sessions (revocation marks only): no session counts, no limits, no forks. */
  sealed: boolean;
  unavailable(): Promise<string | null>;
  env(): Record<string, string>;
  cleanup(env: Record<string, string>): Promise<void>;
}

export function raceSuite(name: string, shared: SharedStore): void {
  describe(`races between ${PROCESSES} app processes on ${name} (${TRIALS} trials each)`, () => {
    let unavailable: string | null = null;
    let env: Record<string, string>;
    let apps: AppProcess[] = [];

    before(async () => {
      unavailable = await shared.unavailable();
      if (unavailable !== null) return;
      env = { ...shared.env(), SESSION_SECRET: testSecret() };
      apps = await startCluster(PROCESSES, env);
    });
    after(async () => {
      if (unavailable !== null) return;
      await stopCluster(apps);
      await shared.cleanup(env);
    });

    const race = (title: string, run: Race) =>
      it(title, { timeout: 60_000 }, async (t) => {
        if (unavailable !== null) return skipOrFail(t, unavailable);
        const violations = await runTrials(apps, run, TRIALS);
        assert.deepEqual(violations, [], `${violations.length} violation(s)`);
      });

    const countable = !shared.sealed;
    race(
      "revokeUser() while a rotating request is in flight: nothing comes back",
      revokeUserVsRotation(countable),
    );
    race(
      "logout() while a rotating request is in flight: nothing comes back",
      logoutVsRotation(countable),
    );
    race(
      "revokeUser() while a writing request is in flight: nothing comes back",
      revokeUserVsWrite(countable),
    );
    race(
      "rotate() of a session revoked in flight rejects with session-revoked",
      revokeUserVsRotate(countable),
    );
    if (shared.sealed) return;
    race(
      "two requests rotating one token: one live session, no lost write, one logout ends it",
      twoRotations,
    );
    race(
      `${LOGINS} logins at once under maxSessionsPerUser 2 (refuse)`,
      limitedLogins("refuse", LOGINS),
    );
    race(
      `${LOGINS} logins at once under maxSessionsPerUser 2 (evict-oldest)`,
      limitedLogins("evict-oldest", LOGINS),
    );
  });
}
