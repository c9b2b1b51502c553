// Programming mistakes at the session API each have their own stable code.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as latchkey from "../../packages/latchkey/src/index.ts";
import { createSessions, isLatchkeyError } from "../../packages/latchkey/src/index.ts";
import { cookieStore } from "../../packages/latchkey/src/stores/cookie.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { testSecret } from "../helpers/secrets.ts";

const modes = { "server store": memoryStore, "sealed cookie": cookieStore };

for (const [mode, store] of Object.entries(modes)) {
  describe(`${mode}: error codes`, () => {
    const make = () =>
      createSessions<{ n: number }>({ secrets: [testSecret()], store: store(), production: false });

    it("login() with an empty or non-string user id rejects with argument-invalid", async () => {
      const session = await make().load({});
      for (const userId of ["", undefined, 42]) {
        await assert.rejects(session.login(userId as string), (error) =>
          isLatchkeyError(error, "argument-invalid"),
        );
      }
      assert.equal(session.userId, null);
    });

    it("setting persistent on a session that was never saved throws session-not-saved", async () => {
      const session = await make().load({});
      assert.throws(
        () => {
          session.persistent = true;
        },
        (error) => isLatchkeyError(error, "session-not-saved"),
      );
      await session.login("alice");
      session.persistent = true;
      assert.equal(session.persistent, true);
    });

    it("a session from another createSessions() is refused with session-foreign", async () => {
      const mine = make();
      const theirs = await make().load({});
      theirs.set("n", 1);
      const refused = (error: unknown) => isLatchkeyError(error, "session-foreign");
      assert.throws(() => mine.prepare(theirs), refused);
      await assert.rejects(mine.commit(theirs), refused);
      await assert.rejects(mine.revokeOthers(theirs), refused);
    });

    it("changes after logout() throw session-ended", async () => {
      const session = await make().load({});
      await session.logout();
      assert.throws(
        () => session.set("n", 1),
        (error) => isLatchkeyError(error, "session-ended"),
      );
    });
  });
}

describe("public entry", () => {
  it("exports Session as a type only: sessions come from an adapter, never from `new`", () => {
    assert.equal("Session" in latchkey, false);
    assert.equal(typeof latchkey.createSessions, "function");
  });
});
