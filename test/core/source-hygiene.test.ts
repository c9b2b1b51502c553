// Rules the whole of src/ must keep, checked on the TypeScript syntax tree (not on text, so
// comments and strings that mention them do not count):
// - no Math.random: every random value comes from node:crypto (ASVS 5.0 11.5.1);
// - no ==, ===, != or !== with a secret-looking operand (token, secret, mac, hash, digest,
//   signature, tag): secrets are compared with crypto.timingSafeEqual (ASVS 5.0 11.2.4).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const SECRET_NAME = /(secret|token|mac|hash|digest|signature|tag)s?$/i;
const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
]);

/** The name an operand is known by: `secret`, `x.secretHash`, `a["token"]`; null for anything else. */
function operandName(node: ts.Expression): string | null {
  if (ts.isParenthesizedExpression(node)) return operandName(node.expression);
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
    return node.argumentExpression.text;
  }
  return null;
}

// A comparison with a literal of no secret value (null, undefined, a type tag) compares no secret.
function isHarmlessLiteral(node: ts.Expression): boolean {
  return (
    node.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(node) && node.text === "undefined") ||
    ts.isNumericLiteral(node) ||
    ts.isStringLiteral(node) ||
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword
  );
}

export function findViolations(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node) => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart());
    return `${fileName}:${line + 1}:${character + 1}`;
  };
  const visit = (node: ts.Node) => {
    if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === "random" &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "Math"
    ) {
      found.push(`${where(node)} Math.random`);
    }
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      for (const [side, other] of [
        [node.left, node.right],
        [node.right, node.left],
      ] as const) {
        const name = operandName(side);
        if (name !== null && SECRET_NAME.test(name) && !isHarmlessLiteral(other)) {
          found.push(`${where(node)} ${node.getText()}`);
          break;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("source hygiene", () => {
  it("the checker catches what it must (and nothing harmless)", () => {
    const bad = [
      "const x = Math.random();",
      "if (token === expected) {}",
      "if (a.secretHash == b) {}",
      'if (presented !== stored["mac"]) {}',
      "const ok = (digest) === other;",
    ];
    for (const text of bad) assert.equal(findViolations("bad.ts", text).length, 1, text);
    const fine = [
      "if (token === null) {}",
      "if (token.length === 77) {}",
      'if (typeof secret !== "string") {}',
      "const r = crypto.randomBytes(16);",
      "// Math.random and token === x in a comment",
      'const s = "token === other";',
    ];
    for (const text of fine) assert.deepEqual(findViolations("fine.ts", text), [], text);
  });

  it("both packages' sources have no Math.random and no ==/=== on secrets", () => {
    const files = ["packages/latchkey/src", "packages/latchkey-cli/src"].flatMap((dir) =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => join(dir, f)),
    );
    assert.ok(files.length > 10);
    const violations = files.flatMap((f) => findViolations(f, readFileSync(f, "utf8")));
    assert.deepEqual(violations, []);
  });
});
