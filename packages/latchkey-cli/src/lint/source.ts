// Facts about a source file that do not depend on its language: where an offset is, whether
// the file is a test, and which environment a module or class is meant for.
import type { Position } from "./value.ts";

/** Maps character offsets to 1-based line/column positions. */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }

  position(from: number, to?: number): Position {
    const start = this.#locate(from);
    if (to === undefined) return start;
    const end = this.#locate(to);
    return { ...start, endLine: end.line, endColumn: end.column };
  }

  #locate(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - this.#starts[low]! + 1 };
  }
}

const TEST_DIRS = new Set([
  "test",
  "tests",
  "__tests__",
  "spec",
  "specs",
  "__mocks__",
  "e2e",
  "testing",
]);

/**
 * True for test code, judged on the path below the scanned root: tests configure insecure
 * cookies on purpose (plain-HTTP test servers, fixed secrets), and reporting them is noise.
 */
export function isTestPath(relativePath: string): boolean {
  const parts = relativePath.split(/[\\/]/);
  const base = parts.at(-1) ?? "";
  if (parts.slice(0, -1).some((part) => TEST_DIRS.has(part))) return true;
  if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(base)) return true;
  return /^test_.*\.py$|_tests?\.py$|^tests\.py$|^conftest\.py$/.test(base);
}

export type Environment = "development" | "production" | "unknown";

/**
 * The environment a settings module (`settings/dev.py`) or config class (`TestingConfig`) is
 * for. Development and test configurations may be insecure by design; production and unknown
 * ones are held to the rules.
 */
export function environmentOf(name: string): Environment {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const dev = ["dev", "develop", "development", "local", "test", "tests", "testing", "debug", "ci"];
  const prod = ["prod", "production", "live", "staging", "stage", "release"];
  if (words.some((w) => prod.includes(w))) return "production";
  if (words.some((w) => dev.includes(w))) return "development";
  return "unknown";
}
