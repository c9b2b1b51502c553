// The fixture corpus under test/fixtures/lint: code in the styles real projects use, each file
// stating the findings it must produce in `expect: <rule-id>@<line> <severity>` header lines
// (or `expect: none`). The suite checks the exact multiset per file — a missing finding, an
// extra one, a wrong line or a wrong severity all fail.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const corpus = join(repoRoot, "test/fixtures/lint");
const SOURCE = /\.(py|[cm]?[jt]sx?)$/;

function expectations(text: string): string[] {
  const lines = [...text.matchAll(/expect: ([a-z0-9-]+@\d+ [a-z]+)/g)].map((m) => m[1]!);
  return lines.sort();
}

const frameworks = readdirSync(corpus, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe("lint corpus", () => {
  it("covers every framework lint reads", () => {
    assert.deepEqual(frameworks, ["django", "express", "fastify", "flask", "hono", "latchkey"]);
  });

  for (const framework of frameworks) {
    describe(framework, () => {
      const dir = join(corpus, framework);
      const result = lintPaths([dir], repoRoot);
      const actual = new Map<string, string[]>();
      for (const f of result.findings) {
        const file = f.location!.file;
        actual.set(file, [
          ...(actual.get(file) ?? []),
          `${f.id}@${f.location!.line} ${f.severity}`,
        ]);
      }
      const files = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => SOURCE.test(f))
        .sort();
      for (const rel of files) {
        const path = relative(repoRoot, join(dir, rel)).split("\\").join("/");
        it(`${rel} yields exactly its expected findings`, () => {
          const text = readFileSync(join(dir, rel), "utf8");
          assert.match(text, /expect: /, `${rel} must state its expected findings`);
          assert.deepEqual((actual.get(path) ?? []).sort(), expectations(text));
        });
      }
      it("reports nothing outside the corpus files", () => {
        const known = new Set(
          files.map((rel) => relative(repoRoot, join(dir, rel)).split("\\").join("/")),
        );
        assert.deepEqual(
          [...actual.keys()].filter((f) => !known.has(f)),
          [],
        );
      });
    });
  }

  it("every finding carries a location, evidence, a standard and a fix", () => {
    const { findings } = lintPaths([corpus], repoRoot);
    assert.ok(findings.length > 50);
    for (const f of findings) {
      assert.ok(f.location && f.location.line >= 1 && f.location.column >= 1, f.id);
      assert.ok(f.evidence.length > 0 && f.fix.length > 0 && f.standard, f.id);
    }
  });

  it("never prints a whole literal secret in evidence", () => {
    const { findings } = lintPaths([corpus], repoRoot);
    const secretFindings = findings.filter((f) => f.id.startsWith("session-secret-"));
    assert.ok(secretFindings.length >= 10);
    for (const f of secretFindings) {
      const shown = /"([^"]*)…" \((\d+) chars\)/.exec(f.evidence);
      assert.ok(shown, `${f.id}: evidence without a redacted secret: ${f.evidence}`);
      const limit = Math.min(4, Number(shown[2]) / 3);
      assert.ok(shown[1]!.length <= limit, `${f.id} shows too much: ${f.evidence}`);
    }
  });

  it("titles name the cookie: a remember-me or CSRF cookie is not called the session cookie", () => {
    const { findings } = lintPaths([corpus], repoRoot);
    const titleOf = (id: string, cookie: string, file: string) =>
      findings.find((f) => f.id === id && f.cookie === cookie && f.location!.file.endsWith(file))
        ?.title;
    assert.equal(
      titleOf("cookie-lifetime-long", "remember_token", "flask/login_app.py"),
      "Remember-me cookie lives too long",
    );
    assert.equal(
      titleOf("cookie-missing-secure", "remember_token", "flask/login_app.py"),
      "Remember-me cookie may travel over plain HTTP (no Secure)",
    );
    assert.equal(
      titleOf("cookie-missing-secure", "csrftoken", "django/blog/settings.py"),
      "CSRF cookie may travel over plain HTTP (no Secure)",
    );
    assert.equal(
      titleOf("cookie-missing-secure", "sessionid", "django/blog/settings.py"),
      "Cookie may travel over plain HTTP (no Secure)",
    );
    for (const f of findings)
      if (/remember/i.test(f.cookie ?? "")) assert.doesNotMatch(f.title, /session cookie/i, f.id);
  });
});
