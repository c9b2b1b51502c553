// Tests that need an outside service or tool (redis, postgres, python3 + Flask, chromium) skip
// loudly when it is missing — unless LATCHKEY_REQUIRE_SERVICES=1 (CI), where they fail.
import type { TestContext } from "node:test";

export const servicesRequired = process.env.LATCHKEY_REQUIRE_SERVICES === "1";

/**
 * Skips the test with a loud message, or fails it when services are required.
 *
 * @example if (!python.ok) return skipOrFail(t, `python3/flask not reachable: ${python.reason}`);
 */
export function skipOrFail(t: TestContext, message: string): void {
  if (servicesRequired) throw new Error(`${message} (LATCHKEY_REQUIRE_SERVICES=1)`);
  console.warn(`\n  ⚠ SKIPPED: ${message}\n`);
  t.skip(message);
}
