// The README's OWASP ASVS 5.0 table cites, for each requirement, the test that proves it:
// `file` › "test name". This keeps the table from drifting: every cited file is a test file that
// `npm test` runs, and holds a test with exactly that name.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";

interface Citation {
  readonly requirement: string;
  readonly file: string;
  readonly name: string;
}

const SECTION = "## OWASP ASVS 5.0";
// A table row: | 7.2.4 | … | … | `test/x.test.ts` › "name" |  (or — when no test applies)
const ROW = /^\|\s*(\d+\.\d+\.\d+)\s*\|.*\|\s*(.+?)\s*\|\s*$/;
const CITATION = /^`([^`]+)` › "(.+)"$/;

/** The rows of the ASVS table in `markdown`, each with its citation (null for "—"). */
function citations(markdown: string): Array<Citation | { requirement: string; file: null }> {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  assert.ok(start >= 0, `the document has a "${SECTION}" section`);
  const end = markdown.indexOf("\n## ", start + SECTION.length + 2);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const rows = [];
  for (const line of section.split("\n")) {
    const row = ROW.exec(line);
    if (row === null) continue;
    const [, requirement, proof] = row as unknown as [string, string, string];
    if (proof === "—") {
      rows.push({ requirement, file: null });
      continue;
    }
    const cited = CITATION.exec(proof);
    assert.ok(cited, `${requirement}: the proof is \`file\` › "test name" or —, not ${proof}`);
    rows.push({ requirement, file: cited[1]!, name: cited[2]! });
  }
  return rows;
}

/** Names of the tests declared in a test file's source with a plain string literal. */
function testNames(source: string): Set<string> {
  const names = new Set<string>();
  const declared =
    /\b(?:it|test)(?:\.only|\.skip|\.todo)?\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`$]*`)/g;
  for (const match of source.matchAll(declared)) {
    const literal = match[1]!;
    names.add(
      literal.startsWith('"')
        ? (JSON.parse(literal) as string)
        : literal.slice(1, -1).replace(/\\(.)/g, "$1"),
    );
  }
  return names;
}

/** What is wrong with a citation, or null: `npm test` runs `*.test.ts` files under test/. */
function citationProblem(citation: Citation, read = readSource): string | null {
  const { file, name } = citation;
  if (!/^test\/.+\.test\.ts$/.test(file) || file.includes("..")) {
    return `${file} is not a .test.ts file under test/, so npm test does not run it`;
  }
  const source = read(file);
  if (source === null) return `${file} does not exist`;
  if (!testNames(source).has(name)) return `${file} has no test named "${name}"`;
  return null;
}

function readSource(file: string): string | null {
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

describe("README ASVS 5.0 table", () => {
  const rows = citations(readFileSync("README.md", "utf8"));

  it("covers every requirement of V7, V3.3 and V3.5", () => {
    const listed = new Set(rows.map((r) => r.requirement));
    const required = [
      ...["7.1.1", "7.1.2", "7.1.3", "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.3.1", "7.3.2"],
      ...["7.4.1", "7.4.2", "7.4.3", "7.4.4", "7.4.5", "7.5.1", "7.5.2", "7.5.3", "7.6.1"],
      ...["7.6.2", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5"],
      ...["3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5", "3.5.6", "3.5.7", "3.5.8"],
    ];
    assert.deepEqual(
      required.filter((id) => !listed.has(id)),
      [],
    );
  });

  it("every cited test exists, under that exact name, in a file npm test runs", () => {
    const problems = rows.flatMap((row) => {
      if (row.file === null) return [];
      const problem = citationProblem(row as Citation);
      return problem === null ? [] : [`${row.requirement}: ${problem}`];
    });
    assert.ok(
      rows.some((row) => row.file !== null),
      "the table cites tests",
    );
    assert.deepEqual(problems, []);
  });
});

describe("the ASVS table check catches a made-up citation", () => {
  const synthetic = [
    "# doc",
    "",
    SECTION,
    "",
    "| ASVS | requirement | verdict | proof |",
    "| --- | --- | --- | --- |",
    '| 7.2.4 | rotate | by default | `test/core/fake.test.ts` › "login rotates" |',
    '| 7.3.1 | idle | by default | `test/core/fake.test.ts` › "a name nobody wrote" |',
    '| 7.3.2 | absolute | by default | `test/core/missing.test.ts` › "login rotates" |',
    '| 7.4.4 | logout link | the app\'s job | `test/helpers/fake.ts` › "login rotates" |',
    "| 7.6.1 | federation | the app's job | — |",
    "",
    "## Next",
    '| 9.9.9 | outside the section | x | `nowhere.ts` › "ignored" |',
  ].join("\n");
  // A templated test name as its source spells it (assembled, so no linter takes it for one).
  const placeholder = "$" + "{x}";
  const files: Record<string, string> = {
    "test/core/fake.test.ts": `it("login rotates", () => {});\nit(\`template ${placeholder}\`, () => {});`,
    "test/helpers/fake.ts": 'it("login rotates", () => {});',
  };
  const read = (file: string) => files[file] ?? null;
  const rows = citations(synthetic);

  it("reads only the section's rows, and the ones without a test", () => {
    assert.deepEqual(
      rows.map((r) => r.requirement),
      ["7.2.4", "7.3.1", "7.3.2", "7.4.4", "7.6.1"],
    );
    assert.equal(rows[4]!.file, null);
  });

  it("accepts the real citation and names what is wrong with each made-up one", () => {
    const problems = rows.map((row) =>
      row.file === null ? null : citationProblem(row as Citation, read),
    );
    assert.deepEqual(problems, [
      null,
      'test/core/fake.test.ts has no test named "a name nobody wrote"',
      "test/core/missing.test.ts does not exist",
      "test/helpers/fake.ts is not a .test.ts file under test/, so npm test does not run it",
      null,
    ]);
  });

  it("refuses a proof that is neither a citation nor —", () => {
    assert.throws(
      () =>
        citations(
          `${SECTION}\n| 7.1.1 | doc | by default | see the tests |\n`.replace(
            SECTION,
            `\n${SECTION}`,
          ),
        ),
      /not see the tests/,
    );
  });

  it("does not count a templated test name as a literal one", () => {
    assert.equal(testNames(files["test/core/fake.test.ts"]!).has(`template ${placeholder}`), false);
  });
});
