// `latchkey lint` without the command line: find the files, parse each with its language's
// parser, run the framework rules, resolve Django settings across modules, then drop findings
// silenced by a `latchkey: ignore <rule-id>` comment.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Finding } from "../report/finding.ts";
import { sortFindings } from "../report/finding.ts";
import { ENVIRONMENT_RANK, inEnvironment, UNKNOWN_ENVIRONMENT } from "./environment.ts";
import { asCredential, lintScript } from "./js/analyze.ts";
import { ProjectModules } from "./js/imports.ts";
import { ScriptEnvironments } from "./js/script-environment.ts";
import { type DjangoModule, djangoSettingsModules, lintDjango } from "./python/django.ts";
import { lintFlask } from "./python/flask.ts";
import { applicationFacts, lintFlaskApps } from "./python/flask-apps.ts";
import { FlaskEnvironments } from "./python/flask-environment.ts";
import { importedValue, resolveImportedSettings } from "./python/imported-values.ts";
import { type PyModule, readModule } from "./python/module.ts";
import { PythonProject } from "./python/project.ts";
import { credential, lintSetCookies, type SetCookieResult } from "./python/set-cookie.ts";
import { lintExemptViews } from "./python/views.ts";
import { readRegularFile } from "./read-regular-file.ts";
import { isTestPath } from "./source.ts";
import { collectSuppressions, isSuppressed, type Suppressions } from "./suppress.ts";
import { findSourceFiles, type SkippedFile } from "./walk.ts";

/** A JavaScript package: the cookies it reads back, and hand-set cookies waiting on that. */
interface ScriptApp {
  readBack: Map<string, string>;
  pending: { cookie: string; findings: Finding[] }[];
}

export interface LintResult {
  findings: Finding[];
  /** Source files considered (after .gitignore, test and size filters). */
  filesScanned: number;
  /** Files that mention sessions, cookies or secrets and were parsed. */
  filesParsed: number;
  /** Files the JavaScript parser could not read at all. */
  unparsable: string[];
  /** Links, special files and oversized files that were not read, with why. */
  skipped: SkippedFile[];
  /** Findings silenced by suppression comments. */
  suppressed: number;
  /** JavaScript/TypeScript session setups examined (`session({...})`, `createSessions({...})`, …). */
  scriptSetups: number;
}

// A file that mentions none of these cannot configure a session: skip parsing it. This is a
// speed gate only — every finding still comes from the syntax tree.
const JS_RELEVANT = /session|cookie|secret/i;
// `from_object`, `Flask(` and `login_user` find the modules that load configuration from
// elsewhere or use the remember-me cookie, which the cross-module pass follows.
const PY_RELEVANT =
  /session|cookie|secret|csrf|middleware|remember_|import\s+\*|from_object|from_pyfile|Flask\(|login_user/i;

/**
 * Lints files and directories.
 *
 * @example const { findings } = lintPaths(["."]);
 */
export function lintPaths(paths: readonly string[], cwd = process.cwd()): LintResult {
  const result: LintResult = {
    findings: [],
    filesScanned: 0,
    filesParsed: 0,
    unparsable: [],
    skipped: [],
    suppressed: 0,
    scriptSetups: 0,
  };
  const suppressions = new Map<string, Suppressions>();
  const pythonModules: DjangoModule[] = [];
  const pythonCookies: SetCookieResult[] = [];
  const project = new PythonProject();
  const scriptModules = new Map<string, ProjectModules>();
  const packageDirs = new Map<string, string>();
  const scriptApps = new Map<string, ScriptApp>();
  const scriptEnvironments = new ScriptEnvironments();
  const raw: Finding[] = [];
  for (const entry of findSourceFiles(paths, result.skipped)) {
    if (!entry.explicit && isTestPath(entry.relativeToRoot)) continue;
    const read = readRegularFile(entry.path);
    if ("skipped" in read) {
      result.skipped.push({ path: entry.path, reason: read.skipped });
      continue;
    }
    result.filesScanned++;
    const text = read.text;
    const file = displayPath(entry.path, cwd);
    const isPython = entry.path.endsWith(".py");
    if (!(isPython ? PY_RELEVANT : JS_RELEVANT).test(text)) {
      // Kept for the cross-module pass: a plain settings module loaded by from_object.
      if (isPython && nestingDepth(text) <= MAX_NESTING)
        project.add({ path: entry.path, root: entry.root, file, text });
      continue;
    }
    result.filesParsed++;
    if (nestingDepth(text) > MAX_NESTING) {
      result.unparsable.push(file);
      continue;
    }
    // Pathological input (say, nesting deep enough to exhaust the stack) costs that file, not the run.
    try {
      if (isPython) {
        const module = readModule(text, file);
        suppressions.set(file, collectSuppressions(module.py.comments));
        pythonModules.push({ module, path: entry.path, root: entry.root });
        project.add({ path: entry.path, root: entry.root, file, module });
        raw.push(...lintExemptViews(module.py, file));
      } else {
        const modules =
          scriptModules.get(entry.root) ??
          new ProjectModules(entry.root, (path) => displayPath(path, cwd));
        scriptModules.set(entry.root, modules);
        const script = lintScript(text, file, modules.importerFor(entry.path));
        if (!script.parsed) result.unparsable.push(file);
        result.scriptSetups += script.setups;
        suppressions.set(file, collectSuppressions(script.comments));
        const appDir = packageDirectory(entry.path, entry.root, packageDirs);
        // A finding about a value another file writes (config/production.js) is judged by that
        // file's environment; any other by how the package starts this file.
        const placed = (findings: readonly Finding[]) =>
          findings.map((f) => {
            const at = f.location === undefined ? entry.path : resolve(cwd, f.location.file);
            const tag = scriptEnvironments.of(at, appDir);
            if (tag.environment !== "unknown" || at === entry.path)
              return inEnvironment([f], tag)[0]!;
            const user = scriptEnvironments.of(entry.path, appDir);
            const own =
              user.environment === "unknown"
                ? user
                : { ...user, reason: `used by ${file}: ${user.reason}` };
            return inEnvironment([f], own)[0]!;
          });
        raw.push(...placed(script.findings));
        const app: ScriptApp = scriptApps.get(appDir) ?? { readBack: new Map(), pending: [] };
        for (const [cookie, why] of script.readBack)
          if (!app.readBack.has(cookie)) app.readBack.set(cookie, why);
        for (const { cookie, findings } of script.pending)
          app.pending.push({ cookie, findings: placed(findings) });
        scriptApps.set(appDir, app);
      }
    } catch {
      result.unparsable.push(file);
    }
  }
  raw.push(...lintPython(pythonModules, project, result.unparsable));
  // After lintPython has resolved imported names: a cookie named by an imported constant.
  for (const { module } of pythonModules) {
    try {
      pythonCookies.push(
        lintSetCookies(module, (ref) => importedValue(project, module, ref)?.value),
      );
    } catch {
      result.unparsable.push(module.file);
    }
  }
  raw.push(...pythonCookieFindings(pythonCookies));
  // A hand-set cookie whose value says nothing is a credential when its package reads it back
  // into a lookup (a user, a session, a token's signature), in any file.
  for (const app of scriptApps.values())
    for (const { cookie, findings } of app.pending) {
      const why = app.readBack.get(cookie);
      if (why !== undefined) raw.push(...findings.map((f) => asCredential(f, why)));
    }
  for (const finding of dedupe(raw)) {
    if (isSuppressed(finding, suppressions.get(finding.location?.file ?? ""))) result.suppressed++;
    else result.findings.push(finding);
  }
  result.findings = sortFindings(result.findings);
  return result;
}

function lintPython(
  modules: readonly DjangoModule[],
  project: PythonProject,
  unparsable: string[],
): Finding[] {
  try {
    resolveImportedSettings(project);
  } catch {
    // A pathological import graph leaves imported names unresolved, not the run broken.
  }
  const django = new Set<PyModule>(djangoSettingsModules(modules).map((m) => m.module));
  const findings = lintDjango(modules.filter((m) => django.has(m.module)));
  const facts = applicationFacts(project);
  const environments = new FlaskEnvironments(project);
  for (const { module } of modules) {
    try {
      findings.push(...lintFlask(module, django.has(module), facts.get(module), environments));
    } catch {
      unparsable.push(module.file);
    }
  }
  try {
    findings.push(...lintFlaskApps(project, facts, environments));
  } catch {
    // A pathological import graph costs the cross-module findings, not the per-file ones.
  }
  return findings;
}

// `set_cookie` calls: credentials by value at once, the others when some module of the tree
// reads that cookie back into a lookup.
function pythonCookieFindings(results: readonly SetCookieResult[]): Finding[] {
  const readBack = new Map<string, string>();
  for (const r of results)
    for (const [cookie, why] of r.readBack) if (!readBack.has(cookie)) readBack.set(cookie, why);
  return results.flatMap((r) => [
    ...r.findings,
    ...r.pending.flatMap(({ cookie, findings }) => {
      const why = readBack.get(cookie);
      return why === undefined ? [] : findings.map((f) => credential(f, why));
    }),
  ]);
}

// No configuration nests brackets this deep; generated or hostile files that do would make the
// parsers recurse for seconds before giving up.
const MAX_NESTING = 500;

function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return max;
}

/**
 * One options object passed to two setups is one problem in the code, reported once. When one
 * place is reached from a production and a development configuration, the production judgement
 * is kept; every finding leaves here saying which environment it applies to.
 */
function dedupe(findings: readonly Finding[]): Finding[] {
  const kept = new Map<string, Finding>();
  for (const f of inEnvironment(findings, UNKNOWN_ENVIRONMENT)) {
    const l = f.location;
    const key = [f.id, l?.file, l?.line, l?.column, f.cookie, f.evidence].join("\u0000");
    const seen = kept.get(key);
    if (
      seen === undefined ||
      ENVIRONMENT_RANK[f.environment!] > ENVIRONMENT_RANK[seen.environment!]
    )
      kept.set(key, f);
  }
  return [...kept.values()];
}

// A JavaScript application is the package a file belongs to: the nearest folder with a
// package.json, inside the scanned root (the root itself when there is none); cached per run.
function packageDirectory(path: string, root: string, packageDirs: Map<string, string>): string {
  const dir = dirname(path);
  const key = `${root}\u0000${dir}`;
  const known = packageDirs.get(key);
  if (known !== undefined) return known;
  const rel = relative(root, dir);
  const found =
    rel === "" || rel.startsWith("..") || isAbsolute(rel)
      ? root
      : existsSync(join(dir, "package.json"))
        ? dir
        : packageDirectory(dir, root, packageDirs);
  packageDirs.set(key, found);
  return found;
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return path.split(sep).join("/");
  return rel.split(sep).join("/");
}
