// `req.session` typed as express-session's shape in a strict TypeScript app, without casts, once
// the app declares `ExpressRequestTypes { compat: "express-session" }`; and latchkey's Session
// without it. Each fixture (test/fixtures/types/express-*) is compiled by tsc as its own program
// (an augmentation is global to a program) with every `@ts-expect-error` line's directive removed:
// then exactly those lines must fail, so the correct uses compile and every wrong use is refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const REPO = process.cwd();
const TSC = join(REPO, "node_modules/typescript/bin/tsc");
const DIRECTIVE = /^\s*\/\/ @ts-expect-error\b.*$/;

interface Checked {
  /** 1-based lines of the stripped file that followed a directive: the wrong uses. */
  wrongLines: number[];
  /** tsc's errors in the stripped file, by line. */
  errors: Map<number, string[]>;
  /** Errors tsc reported anywhere else (the library included). */
  elsewhere: string[];
}

/** Compiles `fixture`/app.ts with its `@ts-expect-error` directives removed. */
async function compileWithoutDirectives(fixture: string): Promise<Checked> {
  const dir = join(REPO, "test/fixtures/types", fixture);
  const source = readFileSync(join(dir, "app.ts"), "utf8").split("\n");
  const kept: string[] = [];
  const wrongLines: number[] = [];
  for (const line of source) {
    if (DIRECTIVE.test(line)) wrongLines.push(kept.length + 1);
    else kept.push(line);
  }
  const file = "app.stripped.ts";
  const config = "tsconfig.stripped.json";
  writeFileSync(join(dir, file), kept.join("\n"));
  writeFileSync(
    join(dir, config),
    JSON.stringify({ extends: "./tsconfig.json", include: [], files: [file] }),
  );
  let output: string;
  try {
    const result = await promisify(execFile)(
      process.execPath,
      [TSC, "-p", join(dir, config), "--pretty", "false"],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    output = result.stdout;
  } finally {
    rmSync(join(dir, file), { force: true });
    rmSync(join(dir, config), { force: true });
  }
  const errors = new Map<number, string[]>();
  const elsewhere: string[] = [];
  for (const line of output.split("\n")) {
    const match = /^(.*)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
    if (match === null) continue;
    if (match[1]?.endsWith(file)) {
      const at = Number(match[2]);
      errors.set(at, [...(errors.get(at) ?? []), match[3] as string]);
    } else elsewhere.push(line);
  }
  assert.ok(wrongLines.length > 0, `${fixture} marks its wrong uses`);
  return { wrongLines, errors, elsewhere };
}

function assertExactlyWrongLinesFail(checked: Checked): void {
  assert.deepEqual(checked.elsewhere, []);
  const unexpected = [...checked.errors].filter(([line]) => !checked.wrongLines.includes(line));
  assert.deepEqual(unexpected, [], "a correct use does not compile");
  const accepted = checked.wrongLines.filter((line) => !checked.errors.has(line));
  assert.deepEqual(accepted, [], "a wrong use compiles");
}

describe("req.session types in a strict TypeScript app", () => {
  // Both programs at once: each tsc run is mostly waiting on the machine.
  const compat = compileWithoutDirectives("express-compat");
  const plain = compileWithoutDirectives("express-default");

  it("with ExpressRequestTypes { compat: 'express-session' }: express-session's API type-checks, wrong uses do not", async () => {
    const checked = await compat;
    assertExactlyWrongLinesFail(checked);
    const reasons = [...checked.errors.values()].flat().join("\n");
    assert.match(reasons, /TS2540: Cannot assign to 'maxAge' because it is a read-only property/);
    assert.match(reasons, /TS2322: Type 'string' is not assignable to type 'number'/);
    assert.match(reasons, /TS2540: Cannot assign to 'id' because it is a read-only property/);
  });

  it("without it: req.session is latchkey's Session and req.sessionID is not set", async () => {
    assertExactlyWrongLinesFail(await plain);
  });
});
