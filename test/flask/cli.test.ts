import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const cli = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ["--import", "tsx", "packages/latchkey-cli/src/cli.ts", "flask", ...args],
    {
      encoding: "utf8",
    },
  );

const COOKIE = "eyJ0Ijp7IiB0IjpbMSwiYSJdfSwidXNlcl9pZCI6NDJ9.ZVPxAA.9JwNTVOg7BYnnWgS9JJ0bMt51P4";

describe("latchkey flask", () => {
  it("sign prints Flask's cookie for tagged JSON", () => {
    const run = cli(
      "sign",
      '{"user_id": 42, "t": {" t": [1, "a"]}}',
      "--secret",
      "dev",
      "--timestamp",
      "1700000000",
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), COOKIE);
  });

  it("decode shows the data without a secret, and checks the signature with one", () => {
    const plain = cli("decode", COOKIE);
    assert.equal(plain.status, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), {
      data: { t: { " t": [1, "a"] }, user_id: 42 },
      signedAt: "2023-11-14T22:13:20.000Z",
      compressed: false,
    });
    const good = cli("decode", COOKIE, "--secret", "new", "--secret", "dev");
    assert.equal(good.status, 0);
    assert.equal(JSON.parse(good.stdout).signature, "valid (fallback 1)");
    const bad = cli("decode", COOKIE, "--secret", "wrong");
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).signature, "invalid");
  });

  it("exits 2 on usage errors and on text that is not a Flask cookie", () => {
    assert.equal(cli("decode", "not-a-cookie").status, 2);
    assert.equal(cli("sign", '{"a":1}').status, 2);
    assert.equal(cli("sign", "[1]", "--secret", "k").status, 2);
    assert.equal(cli("sign", "{oops", "--secret", "k").status, 2);
    assert.equal(cli("frobnicate", "x").status, 2);
  });
});
