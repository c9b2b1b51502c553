// Real-world project layouts under test/fixtures/lint-projects (our own re-creations of
// cookiecutter-flask/-django, Flask app factories and blueprints, Express generator/Passport/
// node-config apps, Fastify, Next.js with iron-session, Koa, a workspace monorepo). Each holds an
// expected.json listing its EXACT findings — id, file, line, severity and the environment the
// finding applies to — and lint run on the project must produce that list and nothing else.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";

const root = fileURLToPath(new URL("../fixtures/lint-projects/", import.meta.url));
const projects = readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface Expected {
  id: string;
  file: string;
  line: number;
  severity: string;
  environment: string;
}

const key = (f: Expected) => `${f.file}:${f.line} ${f.id} ${f.severity} ${f.environment}`;

describe("lint on real-world project layouts", () => {
  it("has at least twelve projects, some of them secure", () => {
    assert.ok(projects.length >= 12, projects.join(", "));
    const clean = projects.filter(
      (p) => (JSON.parse(readFileSync(join(root, p, "expected.json"), "utf8")) as []).length === 0,
    );
    assert.ok(clean.length >= 1, "a secure project must give zero findings");
  });

  for (const project of projects) {
    it(`${project} yields exactly its expected findings`, () => {
      const dir = join(root, project);
      const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected[];
      const result = lintPaths([dir], dir);
      const actual = result.findings.map((f) =>
        key({
          id: f.id,
          file: f.location!.file,
          line: f.location!.line,
          severity: f.severity,
          environment: f.environment!,
        }),
      );
      assert.deepEqual(actual.sort(), expected.map(key).sort());
      assert.deepEqual(result.unparsable, []);
    });
  }

  it("every finding says its environment and why, and development/test findings are info", () => {
    for (const project of projects) {
      for (const f of lintPaths([join(root, project)], join(root, project)).findings) {
        assert.ok(f.environment && f.environmentReason && f.environmentReason.length > 10, f.id);
        if (f.environment === "development" || f.environment === "test")
          assert.equal(f.severity, "info", `${project}: ${f.id} ${f.environmentReason}`);
      }
    }
  });

  it("a hand-set cookie's finding says why the cookie is a credential", () => {
    const hand = ["fastify-secure-session", "koa-session", "flask-settings-import"].flatMap((p) =>
      lintPaths([join(root, p)], join(root, p)).findings.filter((f) =>
        /routes|router|app\.py/.test(f.location!.file),
      ),
    );
    assert.ok(hand.length >= 3);
    for (const f of hand)
      assert.match(f.severityReason ?? "", /^the cookie carries a credential: /);
  });
});
