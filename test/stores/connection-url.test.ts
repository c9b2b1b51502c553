// A malformed store URL, or one of another scheme, stops the app in the factory — synchronously,
// with no network — with the fix in the message and without echoing a password.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLatchkeyError } from "../../packages/latchkey/src/core/errors.ts";
import { postgresStore } from "../../packages/latchkey/src/stores/postgres.ts";
import { redisStore } from "../../packages/latchkey/src/stores/redis.ts";

const SECRET = "hunter2-s3cret";

/** Asserts `make` throws config-invalid whose message names the fix and hides the password. */
function refusedWithFix(make: () => unknown, fix: string): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(isLatchkeyError(error, "config-invalid"), `config-invalid, got ${String(error)}`);
    assert.match(error.message, new RegExp(fix.replace(/[/:.]/g, "\\$&")));
    assert.ok(!error.message.includes(SECRET), "the password is not in the message");
    return true;
  });
}

describe("redisStore({ url }) refuses a URL it cannot use", () => {
  const bad: Array<[string, unknown]> = [
    ["an empty string", ""],
    ["host:port without a scheme", "localhost:6379"],
    ["a missing colon after the scheme", `redis//:${SECRET}@localhost:6379`],
    ["a port that is not a number", `redis://:${SECRET}@localhost:63a9`],
    ["an http URL", `http://:${SECRET}@localhost:6379`],
    ["a postgres URL", `postgres://u:${SECRET}@localhost/db`],
    ["a number", 6379],
  ];
  for (const [problem, url] of bad) {
    it(`${problem}: config-invalid naming redis:// and rediss://`, () => {
      refusedWithFix(() => redisStore({ url: url as string }), "redis:// or rediss://");
    });
  }

  for (const url of ["redis://localhost:6379", "rediss://:p%40ss@cache.internal:6380/2"]) {
    it(`accepts ${url}`, async () => {
      const store = redisStore({ url, redisOptions: { lazyConnect: true } });
      await store.close?.();
    });
  }
});

describe("postgresStore({ connectionString }) refuses a URL it cannot use", () => {
  const bad: Array<[string, unknown]> = [
    ["an empty string", ""],
    ["libpq key=value text", `host=localhost password=${SECRET}`],
    ["a port out of range", `postgres://u:${SECRET}@localhost:99999/db`],
    ["a mysql URL", `mysql://u:${SECRET}@localhost/db`],
    ["a redis URL", "redis://localhost:6379"],
  ];
  for (const [problem, connectionString] of bad) {
    it(`${problem}: config-invalid naming postgres:// and postgresql://`, () => {
      refusedWithFix(
        () => postgresStore({ connectionString: connectionString as string }),
        "postgres:// or postgresql://",
      );
    });
  }

  for (const url of [
    "postgres:///app",
    "postgresql://u:p%23w@db.internal:5432/app?sslmode=require",
  ]) {
    it(`accepts ${url} (no connection is made)`, async () => {
      const store = postgresStore({ connectionString: url });
      await store.close?.();
    });
  }
});
