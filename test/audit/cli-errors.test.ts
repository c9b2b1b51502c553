// Every deliberate failure in the CLI package is a CliError with a code: callers branch on
// `code`, never on a class they would have to import or a message they would have to match.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CliError, isCliError } from "../../packages/latchkey-cli/src/errors.ts";

const src = fileURLToPath(new URL("../../packages/latchkey-cli/src/", import.meta.url));

// `throw new Error(`, `new TypeError(` …, and any other error class besides CliError.
const FORBIDDEN = [
  /\bnew (?:Error|TypeError|RangeError)\(/,
  /\bclass \w+ extends (?:Error|TypeError|RangeError)\b/,
];

function offences(text: string): string[] {
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => !line.startsWith("//") && !line.startsWith("*"))
    .filter(({ line }) => FORBIDDEN.some((re) => re.test(line)))
    .map(({ line, n }) => `${n}: ${line}`);
}

describe("CLI errors", () => {
  it("the scan recognises what it forbids (it is not vacuous)", () => {
    assert.equal(offences('  throw new Error("x");').length, 1);
    assert.equal(offences("reject(new TypeError(`y`));").length, 1);
    assert.equal(offences("export class FetchError extends Error {}").length, 1);
    assert.equal(offences('throw new CliError("usage", "x");').length, 0);
  });

  it("packages/latchkey-cli/src throws nothing but CliError", () => {
    const files = readdirSync(src, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts"));
    assert.ok(files.length > 20, `only ${files.length} files found`);
    const found: string[] = [];
    for (const file of files) {
      const path = join(src, file);
      // errors.ts is where the one error class is declared.
      if (relative(src, path) === "errors.ts") continue;
      for (const o of offences(readFileSync(path, "utf8"))) found.push(`${file}:${o}`);
    }
    assert.deepEqual(found, []);
  });

  it("carries its code, and isCliError narrows by code", () => {
    const error = new CliError("network", "timed out after 10 ms");
    assert.ok(error instanceof Error);
    assert.equal(error.code, "network");
    assert.equal(error.name, "CliError");
    assert.equal(isCliError(error), true);
    assert.equal(isCliError(error, "usage", "network"), true);
    assert.equal(isCliError(error, "input"), false);
    assert.equal(isCliError(new Error("x")), false);
    assert.equal(isCliError("network"), false);
  });
});
