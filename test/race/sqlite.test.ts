// Races between app processes sharing one SQLite file (see support/race-suite.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { raceSuite } from "./support/race-suite.ts";

raceSuite("one sqlite file", {
  sealed: false,
  unavailable: async () => null,
  env: () => ({
    STORE: "sqlite",
    SQLITE_PATH: join(mkdtempSync(join(tmpdir(), "latchkey-race-")), "sessions.db"),
  }),
  cleanup: async (env) =>
    rmSync(dirname(env.SQLITE_PATH as string), { recursive: true, force: true }),
});
