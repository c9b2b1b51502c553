// Views taken out of CSRF protection: Django's `@csrf_exempt` (also through
// `@method_decorator(csrf_exempt, name="dispatch")`) and Flask-WTF's `@csrf.exempt`. Exempting a
// view that only answers GET/HEAD changes nothing, so those are not reported.
import type { SyntaxNode } from "@lezer/common";
import type { Finding } from "../../report/finding.ts";
import { lintFinding } from "../rules.ts";
import {
  argumentsOf,
  children,
  dottedName,
  type PythonFile,
  positionOf,
  stringValue,
  textOf,
} from "./parse.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const UNSAFE_HANDLERS = new Set(["post", "put", "patch", "delete"]);
// Generic views that answer only safe methods unless a subclass adds a handler.
const READ_ONLY_VIEWS = new Set(["View", "TemplateView", "ListView", "DetailView", "RedirectView"]);

export function lintExemptViews(py: PythonFile, file: string): Finding[] {
  const findings: Finding[] = [];
  const cursor = py.tree.cursor();
  do {
    if (cursor.name !== "DecoratedStatement") continue;
    const node = cursor.node;
    const decorators = node.getChildren("Decorator");
    const exempt = decorators.find((d) => isExemptDecorator(py, d));
    if (exempt === undefined) continue;
    const target = children(node).at(-1);
    const name = target?.getChild("VariableName");
    if (!target || !name || onlySafeMethods(py, decorators, target)) continue;
    const kind = target.name === "ClassDefinition" ? "class-based view" : "view";
    findings.push(
      lintFinding({
        id: "csrf-exempt-view",
        severity: "medium",
        file,
        at: positionOf(py, exempt),
        evidence: `${kind} ${textOf(py, name)} is decorated with ${textOf(py, exempt).trim().replace(/\s+/g, " ")}`,
        fix: "Remove the exemption and send the CSRF token (hidden form field or X-CSRFToken header); for a machine-to-machine webhook, authenticate it with a signature instead.",
      }),
    );
  } while (cursor.next());
  return findings;
}

// lezer reads a decorator as a flat dotted name (`csrf`, `.`, `exempt`) and an optional ArgList.
function decoratorName(
  py: PythonFile,
  decorator: SyntaxNode,
): { path: string[]; args: SyntaxNode | null } | undefined {
  const parts = children(decorator);
  const path = parts.filter((c) => c.name === "VariableName").map((c) => textOf(py, c));
  return path.length > 0 ? { path, args: decorator.getChild("ArgList") } : undefined;
}

function isExemptDecorator(py: PythonFile, decorator: SyntaxNode): boolean {
  const found = decoratorName(py, decorator);
  if (!found) return false;
  const last = found.path.at(-1);
  if (last === "csrf_exempt") return true;
  if (last === "exempt" && found.path.length >= 2 && /csrf/i.test(found.path.at(-2)!)) return true;
  if (last === "method_decorator" && found.args) {
    const first = argumentsOf(py, found.args).positional[0];
    return first !== undefined && dottedName(py, first)?.at(-1) === "csrf_exempt";
  }
  return false;
}

function methodsOf(py: PythonFile, listNode: SyntaxNode | undefined): string[] | undefined {
  if (!listNode || (listNode.name !== "ArrayExpression" && listNode.name !== "TupleExpression"))
    return undefined;
  const methods: string[] = [];
  for (const item of children(listNode)) {
    if (item.name !== "String") continue;
    const value = stringValue(textOf(py, item));
    if (value !== undefined) methods.push(value.toUpperCase());
  }
  return methods;
}

function onlySafeMethods(py: PythonFile, decorators: SyntaxNode[], target: SyntaxNode): boolean {
  for (const decorator of decorators) {
    const found = decoratorName(py, decorator);
    if (!found) continue;
    const last = found.path.at(-1)!;
    if (last === "require_GET" || last === "require_safe") return true;
    const args = argumentsOf(py, found.args);
    if (last === "require_http_methods") {
      const methods = methodsOf(py, args.positional[0]);
      if (methods !== undefined) return methods.every((m) => SAFE_METHODS.has(m));
    }
    if (found.path.length >= 2 && (last === "get" || last === "head")) return true; // @app.get(...)
    if (found.path.length >= 2 && last === "route") {
      const methods = args.keyword.get("methods");
      if (methods === undefined) return true; // Flask routes answer GET/HEAD/OPTIONS unless told otherwise
      const list = methodsOf(py, methods.value);
      if (list !== undefined) return list.every((m) => SAFE_METHODS.has(m));
    }
  }
  if (target.name === "ClassDefinition") {
    const body = target.getChild("Body");
    const handlers = body
      ? children(body).flatMap((stmt) => {
          const fn = stmt.name === "DecoratedStatement" ? children(stmt).at(-1) : stmt;
          const fnName = fn?.name === "FunctionDefinition" ? fn.getChild("VariableName") : null;
          return fnName ? [textOf(py, fnName)] : [];
        })
      : [];
    const bases = argumentsOf(py, target.getChild("ArgList")).positional.map(
      (b) => dottedName(py, b)?.at(-1) ?? "",
    );
    const readOnlyBases = bases.every((b) => READ_ONLY_VIEWS.has(b));
    if (readOnlyBases && !handlers.some((h) => UNSAFE_HANDLERS.has(h) || h === "dispatch"))
      return true;
  }
  return false;
}
