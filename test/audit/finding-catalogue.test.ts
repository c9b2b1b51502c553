// One catalogue for both commands: an id reported by `latchkey audit` and by `latchkey lint`
// must produce the same SARIF rule, cite the same standard, and point at docs that exist.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { signFlaskSession } from "../../packages/latchkey/src/flask/index.ts";
import { analyze } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import { bundledCandidates } from "../../packages/latchkey-cli/src/audit/weak-secret.ts";
import {
  CATALOGUE,
  FINDING_IDS,
  findingIdsOf,
  isFindingId,
} from "../../packages/latchkey-cli/src/findings/catalogue.ts";
import { lintScript } from "../../packages/latchkey-cli/src/lint/js/analyze.ts";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";
import type { Finding } from "../../packages/latchkey-cli/src/report/finding.ts";
import { formatSarif } from "../../packages/latchkey-cli/src/report/sarif.ts";
import { observations, response, SESSION_VALUE } from "./fixtures.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const TOOL = { name: "latchkey", version: "9.9.9" };
const HTTPS = "https://app.example.com/";

// Set-Cookie headers that between them break every cookie rule lint also knows.
function auditFindings(): Finding[] {
  const weak = signFlaskSession({ user_id: 1 }, { secretKey: "you-will-never-guess" });
  const headers = [
    `sid=${SESSION_VALUE}`,
    `a=${SESSION_VALUE}; Secure; HttpOnly; SameSite=Sometimes`,
    `b=${SESSION_VALUE}; HttpOnly; SameSite=None`,
    `c=${SESSION_VALUE}; Secure; HttpOnly; SameSite=None`,
    `d=${SESSION_VALUE}; Secure; HttpOnly; SameSite=Lax; Domain=example.com`,
    `e=${SESSION_VALUE}; Secure; HttpOnly; SameSite=Lax; Max-Age=99999999`,
    `PHPSESSID=${SESSION_VALUE}; Secure; HttpOnly; SameSite=Lax`,
    `session=${weak}; Secure; HttpOnly; SameSite=Lax`,
  ];
  const obs = observations(HTTPS, [response(HTTPS, headers)]);
  return analyze(obs, { candidates: bundledCandidates() }).findings;
}

// The lint corpus, plus the one shared problem it has no file for.
function lintFindings(): Finding[] {
  const invalidSameSite = lintScript(
    'import session from "express-session";\napp.use(session({ store, name: "x", secret: process.env.S, cookie: { secure: true, maxAge: 1000, sameSite: "bogus" } }));',
    "app.ts",
  ).findings;
  return [...lintPaths(["test/fixtures/lint"], repoRoot).findings, ...invalidSameSite];
}

type Rule = { id: string };
function rulesOf(findings: Finding[]): Map<string, Rule> {
  const log = JSON.parse(formatSarif({ target: "t", findings }, TOOL));
  const rules: Rule[] = log.runs[0].tool.driver.rules;
  return new Map(rules.map((r) => [r.id, r]));
}

describe("finding catalogue", () => {
  const audit = auditFindings();
  const lint = lintFindings();
  const shared = findingIdsOf("audit").filter((id) =>
    (findingIdsOf("lint") as string[]).includes(id),
  );

  it("every id the catalogue shares between the commands is really reported by both", () => {
    assert.ok(shared.length >= 10, `only ${shared.length} shared ids`);
    for (const id of shared) {
      assert.ok(
        audit.some((f) => f.id === id),
        `audit did not report ${id}`,
      );
      assert.ok(
        lint.some((f) => f.id === id),
        `lint did not report ${id}`,
      );
    }
  });

  it("gives one id the same SARIF rule whichever command reported it", () => {
    const auditRules = rulesOf(audit);
    const lintRules = rulesOf(lint);
    for (const id of shared) {
      assert.ok(auditRules.has(id) && lintRules.has(id), id);
      assert.deepEqual(auditRules.get(id), lintRules.get(id), id);
    }
    // The rule describes the id, not the run: a lone low-severity finding does not change it.
    const one = audit.find((f) => f.id === "cookie-missing-secure")!;
    assert.deepEqual(
      rulesOf([{ ...one, severity: "info", title: "other words" }]).get(one.id),
      auditRules.get(one.id),
    );
  });

  it("every finding either command reports is catalogued, with the catalogue's standard", () => {
    const audited = new Set(findingIdsOf("audit"));
    const linted = new Set(findingIdsOf("lint"));
    for (const [findings, allowed] of [
      [audit, audited],
      [lint, linted],
    ] as const) {
      for (const f of findings) {
        assert.ok(isFindingId(f.id), f.id);
        assert.ok(allowed.has(f.id as never), `${f.id} is not catalogued for this command`);
        assert.equal(f.standard, CATALOGUE[f.id].standard, f.id);
      }
    }
  });

  it("lists every id the lint corpus expects", () => {
    const expected = new Set<string>();
    for (const entry of readdirSync(`${repoRoot}test/fixtures/lint`, { recursive: true })) {
      const path = `${repoRoot}test/fixtures/lint/${entry}`;
      if (!statSync(path).isFile()) continue;
      for (const [, id] of readFileSync(path, "utf8").matchAll(/expect: ([a-z0-9-]+)@/g))
        expected.add(id!);
    }
    assert.ok(expected.size >= 10, `only ${expected.size} ids expected by the corpus`);
    for (const id of expected) assert.ok((findingIdsOf("lint") as string[]).includes(id), id);
    assert.equal(isFindingId("not-a-finding"), false);
    assert.equal(isFindingId("__proto__"), false);
  });

  it("points every id at a heading that exists in the docs", () => {
    const anchors = new Set<string>();
    for (const doc of ["docs/audit.md", "docs/lint.md"]) {
      const text = readFileSync(`${repoRoot}${doc}`, "utf8");
      for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm))
        anchors.add(`${doc}#${githubSlug(heading!)}`);
    }
    for (const id of FINDING_IDS)
      assert.ok(anchors.has(CATALOGUE[id].docs), `${id}: ${CATALOGUE[id].docs}`);
  });

  it("cites ASVS 5.0 by requirement id, and every entry reads as a title", () => {
    for (const id of FINDING_IDS) {
      const { standard, title, commands } = CATALOGUE[id];
      for (const asvs of standard.matchAll(/ASVS[^;]*/g))
        assert.match(asvs[0], /^ASVS 5\.0 \d{1,2}\.\d{1,2}\.\d{1,2}$/, `${id}: ${standard}`);
      assert.match(title, /^[A-Z]/, id);
      assert.ok(commands.length > 0, id);
    }
  });
});

// GitHub's heading anchors: lower case, punctuation other than "-" dropped, spaces to "-".
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}
