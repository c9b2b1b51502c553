// Type tests that prove both directions: a consumer's `@ts-expect-error` directives are removed,
// the file is compiled, and exactly the lines that followed a directive must fail. The correct
// uses compile; every wrong use is refused (and stays refused).
import assert from "node:assert/strict";

const DIRECTIVE = /^\s*\/\/ @ts-expect-error\b.*$/;

export interface Stripped {
  code: string;
  /** 1-based lines of `code` that followed a directive: the wrong uses. */
  wrongLines: number[];
}

export function stripDirectives(source: string): Stripped {
  const kept: string[] = [];
  const wrongLines: number[] = [];
  for (const line of source.split("\n")) {
    if (DIRECTIVE.test(line)) wrongLines.push(kept.length + 1);
    else kept.push(line);
  }
  assert.ok(wrongLines.length > 0, "the consumer marks its wrong uses");
  return { code: kept.join("\n"), wrongLines };
}

/** tsc's errors (`--pretty false` output) in `file`, by line, and those anywhere else. */
export function errorsIn(
  output: string,
  file: string,
): { errors: Map<number, string[]>; elsewhere: string[] } {
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
  return { errors, elsewhere };
}

export function assertExactlyWrongLinesFail(
  output: string,
  file: string,
  stripped: Stripped,
): void {
  const { errors, elsewhere } = errorsIn(output, file);
  assert.deepEqual(elsewhere, []);
  const unexpected = [...errors].filter(([line]) => !stripped.wrongLines.includes(line));
  assert.deepEqual(unexpected, [], "a correct use does not compile");
  const accepted = stripped.wrongLines.filter((line) => !errors.has(line));
  assert.deepEqual(accepted, [], "a wrong use compiles");
}
