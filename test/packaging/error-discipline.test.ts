// "Every deliberate error is a LatchkeyError with a stable code" (DESIGN.md), checked on the
// TypeScript syntax tree of the library's sources (comments and strings that mention an error
// class do not count):
// - no built-in error is made on purpose: `new Error(…)`, `TypeError(…)`, `RangeError(…)` and the
//   rest, whether thrown, rejected or handed to a callback; rethrowing a caught error is fine;
// - nothing but an error object is thrown (`throw "text"` carries no code);
// - every code given to `new LatchkeyError(…)` is a literal of the exported LatchkeyErrorCode union
//   (no cast smuggles in another string).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const SOURCES = "packages/latchkey/src";
const ERRORS_FILE = join(SOURCES, "core/errors.ts");

const BUILT_IN_ERRORS = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
]);

/** The string literals of `export type LatchkeyErrorCode = "a" | "b" | …` in errors.ts. */
export function errorCodes(text: string): Set<string> {
  const source = ts.createSourceFile(ERRORS_FILE, text, ts.ScriptTarget.Latest, true);
  const alias = source.statements.find(
    (s): s is ts.TypeAliasDeclaration =>
      ts.isTypeAliasDeclaration(s) && s.name.text === "LatchkeyErrorCode",
  );
  assert.ok(alias, "errors.ts declares LatchkeyErrorCode");
  const members = ts.isUnionTypeNode(alias.type) ? alias.type.types : [alias.type];
  const codes = new Set<string>();
  for (const member of members) {
    assert.ok(
      ts.isLiteralTypeNode(member) && ts.isStringLiteral(member.literal),
      `LatchkeyErrorCode is a union of string literals (found ${member.getText()})`,
    );
    codes.add(member.literal.text);
  }
  return codes;
}

/** The string literals an expression can evaluate to (through parentheses and ?:), and whether a cast hides anything. */
function codeLiterals(node: ts.Expression): { literals: string[]; cast: boolean } {
  if (ts.isParenthesizedExpression(node)) return codeLiterals(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return { literals: [node.text], cast: false };
  }
  if (ts.isConditionalExpression(node)) {
    const a = codeLiterals(node.whenTrue);
    const b = codeLiterals(node.whenFalse);
    return { literals: [...a.literals, ...b.literals], cast: a.cast || b.cast };
  }
  if (
    ts.isAsExpression(node) ||
    ts.isTypeAssertionExpression(node) ||
    ts.isSatisfiesExpression(node)
  ) {
    return { literals: [], cast: !ts.isSatisfiesExpression(node) };
  }
  // A parameter or variable: the compiler holds it to LatchkeyErrorCode.
  return { literals: [], cast: false };
}

function calleeName(node: ts.Expression): string | null {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    // globalThis.Error, window.TypeError
    return node.expression.text === "globalThis" ? node.name.text : null;
  }
  return null;
}

export function findErrorViolations(fileName: string, text: string, codes: Set<string>): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node) => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart());
    return `${fileName}:${line + 1}:${character + 1}`;
  };
  const visit = (node: ts.Node) => {
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      if (name !== null && BUILT_IN_ERRORS.has(name)) {
        found.push(`${where(node)} ${name}: use LatchkeyError with a code`);
      }
      if (ts.isNewExpression(node) && name === "LatchkeyError") {
        const first = node.arguments?.[0];
        if (first === undefined) {
          found.push(`${where(node)} LatchkeyError without a code`);
        } else {
          const { literals, cast } = codeLiterals(first);
          if (cast)
            found.push(`${where(node)} LatchkeyError code behind a cast: ${first.getText()}`);
          for (const code of literals) {
            if (!codes.has(code)) found.push(`${where(node)} unknown LatchkeyError code "${code}"`);
          }
        }
      }
    }
    if (ts.isThrowStatement(node)) {
      const thrown = node.expression;
      if (
        ts.isStringLiteral(thrown) ||
        ts.isNoSubstitutionTemplateLiteral(thrown) ||
        ts.isTemplateExpression(thrown) ||
        ts.isNumericLiteral(thrown) ||
        ts.isObjectLiteralExpression(thrown)
      ) {
        found.push(`${where(node)} throws a ${ts.SyntaxKind[thrown.kind]}, not an error`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("error discipline (packages/latchkey/src)", () => {
  const codes = errorCodes(readFileSync(ERRORS_FILE, "utf8"));

  it("reads the code union from errors.ts", () => {
    assert.ok(codes.size >= 20, `found ${codes.size} codes`);
    for (const code of ["config-invalid", "argument-invalid", "flask-value-invalid"]) {
      assert.ok(codes.has(code), code);
    }
  });

  it("the checker catches what it must (and nothing harmless)", () => {
    const bad = [
      'throw new Error("x");',
      'throw new TypeError("x");',
      'if (a) throw new RangeError("x");',
      'next(new TypeError("mount it first"));',
      'return Promise.reject(new Error("x"));',
      'throw Error("no new");',
      'throw new globalThis.TypeError("x");',
      'throw "a string";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text for the checker
      "throw `template ${x}`;",
      'throw new LatchkeyError("no-such-code", "x");',
      'throw new LatchkeyError("argument-invalid" as "config-invalid", "x");',
      'throw new LatchkeyError(a ? "argument-invalid" : "nope", "x");',
      "throw new LatchkeyError();",
    ];
    for (const text of bad) {
      assert.equal(findErrorViolations("bad.ts", text, codes).length, 1, text);
    }
    const fine = [
      'throw new LatchkeyError("argument-invalid", "x");',
      'throw new LatchkeyError(a ? "argument-invalid" : "config-invalid", "x");',
      "throw new LatchkeyError(code, message, { cause });",
      "throw error;",
      "throw invalid(option, value);",
      "if (!(error instanceof TypeError)) throw error;",
      "// throw new Error('in a comment')",
      'const s = "throw new TypeError(x)";',
      "class MyError extends Error {}",
    ];
    for (const text of fine) {
      assert.deepEqual(findErrorViolations("fine.ts", text, codes), [], text);
    }
  });

  it("every deliberate error in the library is a LatchkeyError with a known code", () => {
    const files = readdirSync(SOURCES, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(SOURCES, f));
    assert.ok(files.length > 30, `found ${files.length} source files`);
    const violations = files.flatMap((f) => findErrorViolations(f, readFileSync(f, "utf8"), codes));
    assert.deepEqual(violations, []);
  });
});
