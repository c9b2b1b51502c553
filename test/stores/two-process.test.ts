// Two app processes sharing one store (Redis, PostgreSQL, an SQLite file): a login on A works on B, and
// revokeUser on B rejects A's next request at once.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { CookieJar, request } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import { skipOrFail } from "../helpers/service.ts";
import {
  DATABASE_URL,
  dropRedisPrefix,
  dropSchema,
  postgresUnreachable,
  REDIS_URL,
  redisUnreachable,
  runId,
} from "./support/services.ts";

const APP = new URL("./support/app-process.ts", import.meta.url).pathname;

interface Shared {
  /** What revokeUser() answers for one session: a count of deleted entries, or 0 for marks. */
  revokedCount: number;
  unavailable(): Promise<string | null>;
  env(): Record<string, string>;
  cleanup(env: Record<string, string>): Promise<void>;
}

const shared: Record<string, Shared> = {
  redis: {
    revokedCount: 1,
    unavailable: () => redisUnreachable(),
    env: () => ({ STORE: "redis", REDIS_URL, PREFIX: `${runId("twoproc")}:` }),
    cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
  },
  "one sqlite file": {
    revokedCount: 1,
    unavailable: async () => null,
    env: () => ({
      STORE: "sqlite",
      SQLITE_PATH: join(mkdtempSync(join(tmpdir(), "latchkey-sqlite-")), "sessions.db"),
    }),
    cleanup: async (env) =>
      rmSync(dirname(env.SQLITE_PATH as string), { recursive: true, force: true }),
  },
  "sealed cookies, revocation marks in redis": {
    revokedCount: 0,
    unavailable: () => redisUnreachable(),
    env: () => ({ STORE: "cookie-redis", REDIS_URL, PREFIX: `${runId("twoproc")}:` }),
    cleanup: (env) => dropRedisPrefix(REDIS_URL, env.PREFIX as string),
  },
  postgres: {
    revokedCount: 1,
    unavailable: () => postgresUnreachable(),
    env: () => ({ STORE: "postgres", DATABASE_URL, SCHEMA: runId("twoproc") }),
    cleanup: (env) => dropSchema(env.SCHEMA as string),
  },
};

interface AppProcess {
  url: string;
  child: ChildProcess;
}

async function startProcess(env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", APP], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`app process exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
  return { url: JSON.parse(line).url, child };
}

async function stopProcess(app: AppProcess | undefined): Promise<void> {
  if (app === undefined || app.child.exitCode !== null) return;
  const exited = once(app.child, "exit");
  app.child.kill("SIGTERM");
  await exited;
}

for (const [name, service] of Object.entries(shared)) {
  describe(`two app processes sharing ${name}`, () => {
    let unavailable: string | null = null;
    let env: Record<string, string>;
    let a: AppProcess | undefined;
    let b: AppProcess | undefined;

    before(async () => {
      unavailable = await service.unavailable();
      if (unavailable !== null) return;
      env = { ...service.env(), SESSION_SECRET: testSecret() };
      [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
    });
    after(async () => {
      if (unavailable !== null) return;
      await Promise.all([stopProcess(a), stopProcess(b)]);
      await service.cleanup(env);
    });

    it("a login on A works on B, and revokeUser on B rejects A's next request at once", async (t) => {
      if (unavailable !== null) return skipOrFail(t, unavailable);
      const on = async (
        app: AppProcess | undefined,
        method: string,
        path: string,
        cookie?: string,
      ) => {
        const reply = await request((app as AppProcess).url + path, { method, cookie });
        assert.equal(reply.status, 200, reply.body);
        return { reply, json: JSON.parse(reply.body) };
      };
      const alice = new CookieJar("__Host-session");
      alice.take((await on(a, "POST", "/login?user=alice")).reply);
      const other = new CookieJar("__Host-session");
      other.take((await on(a, "POST", "/login?user=bob")).reply);

      assert.equal(
        (await on(b, "GET", "/read", alice.header)).json.userId,
        "alice",
        "B knows A's login",
      );
      // The browser keeps whatever cookie comes back (a sealed session is re-sealed on each write).
      alice.take((await on(b, "POST", "/set?key=cart&value=3", alice.header)).reply);
      assert.equal(
        (await on(a, "GET", "/read?k=cart", alice.header)).json.values.cart,
        "3",
        "A sees B's write",
      );

      const revoked = await on(b, "POST", "/revoke-user?user=alice");
      assert.equal(revoked.json.revoked, service.revokedCount);
      const next = await on(a, "GET", "/read", alice.header);
      assert.equal(next.json.userId, null, "A rejects the revoked session");
      assert.equal(next.json.isNew, true);
      assert.equal(
        (await on(a, "GET", "/read", other.header)).json.userId,
        "bob",
        "other users are untouched",
      );
    });
  });
}
