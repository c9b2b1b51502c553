// `latchkey --version` and the SARIF tool version both come from the CLI package's own
// package.json, read at run time.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { runCli } from "./harness.ts";

const manifest = JSON.parse(
  readFileSync(new URL("../../packages/latchkey-cli/package.json", import.meta.url), "utf8"),
) as { version: string };

describe("latchkey --version", () => {
  it("prints the CLI package's version, with --version and -v", async () => {
    assert.match(manifest.version, /^\d+\.\d+\.\d+/);
    for (const flag of ["--version", "-v"]) {
      const run = await runCli([flag]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${manifest.version}\n`);
      assert.equal(run.stderr, "");
    }
  });

  it("is listed by --help", async () => {
    const run = await runCli(["--help"]);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /latchkey --version/);
    assert.match(run.stdout, /-v\b/);
  });

  it("is the SARIF tool.driver.version", async () => {
    const run = await runCli(["lint", "--sarif", "test/fixtures/lint/express/hardened.ts"]);
    assert.equal(run.status, 0, run.stderr);
    const driver = JSON.parse(run.stdout).runs[0].tool.driver;
    assert.equal(driver.name, "latchkey");
    assert.equal(driver.version, manifest.version);
  });

  it("an unknown command is a usage error (exit 2), even one named like an Object method", async () => {
    for (const name of ["frobnicate", "constructor", "__proto__"]) {
      const run = await runCli([name]);
      assert.equal(run.status, 2, name);
      assert.match(run.stderr, new RegExp(`unknown command '${name}'`));
    }
  });
});
