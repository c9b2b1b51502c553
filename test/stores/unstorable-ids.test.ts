// Through the engine, on every store: a user id a store cannot hold is the caller's mistake
// (argument-invalid), never an outage — no store-unavailable error, no outage event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createSessions,
  isLatchkeyError,
  type SessionEvent,
} from "../../packages/latchkey/src/index.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import { targets } from "./support/targets.ts";

describe("unstorable user ids through the engine", () => {
  for (const target of targets.filter((t) => t.name !== "redis cluster")) {
    it(`${target.name}: a NUL byte in a user id is argument-invalid, not store-unavailable`, async (t) => {
      const unavailable = await target.unavailable();
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const made = await target.make();
      const events: SessionEvent[] = [];
      const sessions = createSessions({
        secrets: [testSecret()],
        store: made.store,
        onEvent: (event) => events.push(event),
      });
      try {
        for (const call of [
          () => sessions.revokeUser("alice\u0000admin"),
          () => sessions.listSessions("alice\u0000admin"),
          () => sessions.revokeUser("\uD800"),
        ]) {
          await assert.rejects(call, (error: unknown) =>
            isLatchkeyError(error, "argument-invalid"),
          );
        }
        assert.deepEqual(
          events.filter((event) => event.type === "store-unavailable"),
          [],
          "no outage was reported",
        );
      } finally {
        await made.cleanup();
      }
    });
  }
});
