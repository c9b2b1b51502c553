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
import {
  assertExactlyWrongLinesFail,
  errorsIn,
  type Stripped,
  stripDirectives,
} from "./expect-errors.ts";

const REPO = process.cwd();
const TSC = join(REPO, "node_modules/typescript/bin/tsc");

/** Compiles `fixture`/app.ts with its `@ts-expect-error` directives removed: tsc's output. */
async function compileWithoutDirectives(
  fixture: string,
): Promise<{ output: string; stripped: Stripped }> {
  const dir = join(REPO, "test/fixtures/types", fixture);
  const stripped = stripDirectives(readFileSync(join(dir, "app.ts"), "utf8"));
  const file = "app.stripped.ts";
  const config = "tsconfig.stripped.json";
  writeFileSync(join(dir, file), stripped.code);
  writeFileSync(
    join(dir, config),
    JSON.stringify({ extends: "./tsconfig.json", include: [], files: [file] }),
  );
  try {
    const result = await promisify(execFile)(
      process.execPath,
      [TSC, "-p", join(dir, config), "--pretty", "false"],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    return { output: result.stdout, stripped };
  } finally {
    rmSync(join(dir, file), { force: true });
    rmSync(join(dir, config), { force: true });
  }
}

describe("req.session types in a strict TypeScript app", () => {
  // Both programs at once: each tsc run is mostly waiting on the machine.
  const compat = compileWithoutDirectives("express-compat");
  const plain = compileWithoutDirectives("express-default");

  it("with ExpressRequestTypes { compat: 'express-session' }: express-session's API type-checks, wrong uses do not", async () => {
    const { output, stripped } = await compat;
    assertExactlyWrongLinesFail(output, "app.stripped.ts", stripped);
    const reasons = [...errorsIn(output, "app.stripped.ts").errors.values()].flat().join("\n");
    assert.match(reasons, /TS2540: Cannot assign to 'maxAge' because it is a read-only property/);
    assert.match(reasons, /TS2322: Type 'string' is not assignable to type 'number'/);
    assert.match(reasons, /TS2540: Cannot assign to 'id' because it is a read-only property/);
  });

  it("without it: req.session is latchkey's Session and req.sessionID is not set", async () => {
    const { output, stripped } = await plain;
    assertExactlyWrongLinesFail(output, "app.stripped.ts", stripped);
  });
});
