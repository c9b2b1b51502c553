// The project's own demo and examples must pass its own linter: nothing above `low`.
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";
import { severityAtLeast } from "../../packages/latchkey-cli/src/report/finding.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const examples = join(repoRoot, "examples");

it("latchkey lint finds nothing above low in examples/", (t) => {
  if (!existsSync(examples)) {
    console.warn("examples/ does not exist yet: nothing to lint");
    t.skip("examples/ does not exist");
    return;
  }
  const result = lintPaths([examples], repoRoot);
  // The demo configures latchkey with createSessions(): the linter must have looked at it.
  assert.ok(result.scriptSetups >= 1, "no session setup recognised in examples/");
  const serious = result.findings.filter((f) => severityAtLeast(f.severity, "medium"));
  assert.deepEqual(
    serious.map((f) => `${f.id} ${f.location?.file}:${f.location?.line} ${f.evidence}`),
    [],
  );
});
