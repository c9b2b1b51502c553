// The conformance suite can fail: run against stores with typical mistakes (in a child process,
// so their failures are not this run's), it names exactly the checks each mistake breaks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";

const BROKEN = new URL("./support/broken-stores.ts", import.meta.url).pathname;

it("the conformance suite catches lost updates, resurrection, re-formatting, forgotten marks, listed rotations, racy claims, chain-blind revocation, check-then-act limits, driver errors for unstorable ids, updates that move a rotated-away entry, createAndClaim that creates on a lost claim", () => {
  // Without NODE_TEST_CONTEXT the child reports in plain TAP, not to this runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--test-reporter=tap", BROKEN], {
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.notEqual(run.status, 0, "the broken stores fail");
  // TAP: a suite line (`not ok N - store conformance: <name>`) follows its failed subtests.
  const failures: Record<string, string[]> = {};
  let pending: string[] = [];
  for (const line of run.stdout.split("\n")) {
    const sub = /^ {4}not ok \d+ - (.*)$/.exec(line);
    if (sub) pending.push(sub[1] as string);
    const suite = /^(?:not )?ok \d+ - store conformance: (.*)$/.exec(line);
    if (suite) {
      failures[suite[1] as string] = pending;
      pending = [];
    }
  }
  assert.deepEqual(failures, {
    overwriting: [
      "100 concurrent updates of different keys all persist",
      "concurrent deletes and sets of other keys do not interfere",
    ],
    resurrecting: [
      "update() of a missing entry leaves it missing",
      "update() after delete() does not resurrect the session",
      "update() resolves true when it applied the change, false for a missing entry",
    ],
    reformatting: ["create() then get() returns the entry exactly, value texts unchanged"],
    forgetful: ["deleteAll() removes every session but keeps revocation marks"],
    "lists-rotated": [
      "listByUser() lists the user's sessions, without rotated-away tokens",
      "a claimed entry is no longer listed as the user's session",
      "createWithinLimit() refuses past the limit, counting only live, unrotated sessions",
    ],
    "racy-claim": [
      "concurrent claims of one ref: exactly one wins, every loser learns the winner",
      "concurrent claims with pointerUntil 0: one wins, the others find the entry gone",
      "an update racing the claim of its entry never moves the pointer",
    ],
    "chain-blind": [
      "delete() removes the entry and its whole successor chain",
      "deleteByUser() follows successor chains, and counts every entry it removed",
    ],
    "check-then-act": [
      "concurrent createWithinLimit() for one user (refuse): never more than the limit",
      "concurrent createWithinLimit() for one user (evict-oldest): never more than the limit",
    ],
    "driver-errors": [
      "a user id with a NUL byte is refused by every method, nothing written",
      "a value key with a NUL byte is refused by create() and update()",
    ],
    "pointer-moving": [
      "update() of a rotated-away entry changes nothing: expiresAt, values, meta",
      "an update racing the claim of its entry never moves the pointer",
    ],
    "creates-on-lost-claim": [
      "createAndClaim() of an already rotated entry loses to its successor, creates nothing",
      "createAndClaim() of a missing entry reports it gone, creates nothing",
      "concurrent createAndClaim() of one ref (pointerUntil set): exactly one wins and exists, losers learn the winner",
      "concurrent createAndClaim() of one ref (pointerUntil 0): exactly one wins and exists, losers learn the winner",
    ],
  });
});
