// Finds the source files to lint under the given paths: JavaScript, TypeScript and Python,
// honouring .gitignore files (the repository's, from its root down) and skipping dependency
// folders, virtual environments and build output even when nothing ignores them.
import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";

export interface SourceEntry {
  /** Absolute path. */
  path: string;
  /** Path below the scanned root (used to recognise test files), "/"-separated. */
  relativeToRoot: string;
  /** True when the user named the file itself: then it is linted even if it looks like a test. */
  explicit: boolean;
}

const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|py)$/;
const SKIPPED_FILE = /\.d\.[cm]?ts$|\.min\.js$/;
const SKIPPED_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  "venv",
  ".venv",
  "virtualenv",
  "site-packages",
  "__pycache__",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".pytest_cache",
  "dist",
  "build",
  "coverage",
  ".next",
  ".nuxt",
  ".svelte-kit",
  ".turbo",
  ".cache",
]);
/** Generated bundles and vendored blobs are not configuration; parsing them only costs time. */
export const MAX_FILE_BYTES = 1024 * 1024;

interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

/** Lists the source files under `paths` (files or directories), sorted, without duplicates. */
export function findSourceFiles(paths: readonly string[]): SourceEntry[] {
  const found = new Map<string, SourceEntry>();
  for (const given of paths) {
    const absolute = resolve(given);
    const stats = statSync(absolute); // throws for a missing path: the CLI reports it as a usage error
    if (stats.isFile()) {
      found.set(absolute, {
        path: absolute,
        relativeToRoot: absolute.split(sep).at(-1)!,
        explicit: true,
      });
      continue;
    }
    // A directory named on the command line is linted even if the repository ignores it
    // (`latchkey lint vendor/app`); inside it, its own .gitignore files still apply.
    const ancestors = ancestorIgnores(absolute);
    const layers = isIgnored(absolute, true, ancestors) ? [] : ancestors;
    walkDirectory(absolute, absolute, layers, found);
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walkDirectory(
  root: string,
  dir: string,
  inherited: IgnoreLayer[],
  found: Map<string, SourceEntry>,
): void {
  const layers = withIgnoreFile(dir, inherited);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable directory: nothing to lint there
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(entry.name) || isIgnored(path, true, layers)) continue;
      if (existsSync(join(path, "pyvenv.cfg"))) continue; // a virtualenv under any name
      walkDirectory(root, path, layers, found);
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !SKIPPED_FILE.test(entry.name)) {
      if (isIgnored(path, false, layers)) continue;
      found.set(path, {
        path,
        relativeToRoot: relative(root, path).split(sep).join("/"),
        explicit: false,
      });
    }
  }
}

function withIgnoreFile(dir: string, layers: IgnoreLayer[]): IgnoreLayer[] {
  const file = join(dir, ".gitignore");
  if (!existsSync(file)) return layers;
  try {
    return [...layers, { base: dir, rules: ignore().add(readFileSync(file, "utf8")) }];
  } catch {
    return layers;
  }
}

function isIgnored(path: string, isDirectory: boolean, layers: readonly IgnoreLayer[]): boolean {
  for (const layer of layers) {
    const rel = relative(layer.base, path).split(sep).join("/");
    if (rel === "" || rel.startsWith("..")) continue;
    if (layer.rules.ignores(isDirectory ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** The .gitignore files above `dir`, up to the repository root (the folder holding `.git`). */
function ancestorIgnores(dir: string): IgnoreLayer[] {
  const chain: string[] = [];
  let current = dirname(dir);
  for (;;) {
    chain.push(current);
    if (existsSync(join(current, ".git"))) break;
    const parent = dirname(current);
    if (parent === current) return []; // not inside a repository: only the scanned tree's own files count
    current = parent;
  }
  let layers: IgnoreLayer[] = [];
  for (const ancestor of chain.reverse()) layers = withIgnoreFile(ancestor, layers);
  return layers;
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
