// Finds the source files to lint under the given paths: JavaScript, TypeScript and Python,
// honouring .gitignore files (the repository's, from its root down) and skipping dependency
// folders, virtual environments and build output even when nothing ignores them. Symbolic links
// are never followed (a link can lead out of the tree, or round in a loop) and special files are
// never opened; each one that looks like something we would have read is reported as skipped.
import { type Dirent, existsSync, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { readRegularFile } from "./read-regular-file.ts";

export interface SourceEntry {
  /** Absolute path. */
  path: string;
  /** Path below the scanned root (used to recognise test files), "/"-separated. */
  relativeToRoot: string;
  /** True when the user named the file itself: then it is linted even if it looks like a test. */
  explicit: boolean;
  /** The directory scanned to find it (its own folder for a file named on the command line). */
  root: string;
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
/** A file the walk saw and did not read, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

/** Lists the source files under `paths` (files or directories), sorted, without duplicates. */
export function findSourceFiles(
  paths: readonly string[],
  skipped: SkippedFile[] = [],
): SourceEntry[] {
  const found = new Map<string, SourceEntry>();
  for (const given of paths) {
    // A path the user names is followed, links and all: it is their choice, not the tree's.
    const stats = statSync(resolve(given)); // throws for a missing path: the CLI reports it as a usage error
    const absolute = realpathSync(resolve(given));
    if (!stats.isFile() && !stats.isDirectory()) {
      skipped.push({ path: absolute, reason: "not a regular file or directory" });
      continue;
    }
    if (stats.isFile()) {
      found.set(absolute, {
        path: absolute,
        relativeToRoot: absolute.split(sep).at(-1)!,
        explicit: true,
        root: dirname(absolute),
      });
      continue;
    }
    // A directory named on the command line is linted even if the repository ignores it
    // (`latchkey lint vendor/app`); inside it, its own .gitignore files still apply.
    const ancestors = ancestorIgnores(absolute, skipped);
    const layers = isIgnored(absolute, true, ancestors) ? [] : ancestors;
    walkDirectory(absolute, absolute, layers, found, skipped);
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walkDirectory(
  root: string,
  dir: string,
  inherited: IgnoreLayer[],
  found: Map<string, SourceEntry>,
  skipped: SkippedFile[],
): void {
  const layers = withIgnoreFile(dir, inherited, skipped);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable directory: nothing to lint there
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      if (SKIPPED_DIRS.has(entry.name) || isIgnored(path, false, layers)) continue;
      if (SOURCE_FILE.test(entry.name) || leadsToDirectory(path))
        skipped.push({ path, reason: describeLink(path, root) });
      continue;
    }
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(entry.name) || isIgnored(path, true, layers)) continue;
      if (existsSync(join(path, "pyvenv.cfg"))) continue; // a virtualenv under any name
      walkDirectory(root, path, layers, found, skipped);
    } else if (SOURCE_FILE.test(entry.name) && !SKIPPED_FILE.test(entry.name)) {
      if (isIgnored(path, false, layers)) continue;
      if (!entry.isFile()) {
        skipped.push({ path, reason: "not a regular file" });
        continue;
      }
      found.set(path, {
        path,
        relativeToRoot: relative(root, path).split(sep).join("/"),
        explicit: false,
        root,
      });
    }
  }
}

/** Why a symbolic link in the tree was not followed. */
function describeLink(path: string, root: string): string {
  let target: string;
  try {
    target = realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ELOOP" ? "symbolic link loop" : `broken symbolic link (${code ?? "error"})`;
  }
  const rel = relative(root, target);
  if (rel.startsWith("..") || isAbsolute(rel))
    return `symbolic link to outside the scanned tree (${target}), not followed`;
  return "symbolic link, not followed (its target in the tree is linted where it lives)";
}

function withIgnoreFile(dir: string, layers: IgnoreLayer[], skipped: SkippedFile[]): IgnoreLayer[] {
  const file = join(dir, ".gitignore");
  if (!existsSync(file) && !isDanglingLink(file)) return layers;
  const read = readRegularFile(file);
  if ("skipped" in read) {
    skipped.push({ path: file, reason: read.skipped });
    return layers;
  }
  try {
    return [...layers, { base: dir, rules: ignore().add(read.text) }];
  } catch {
    return layers;
  }
}

function leadsToDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
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
function ancestorIgnores(dir: string, skipped: SkippedFile[]): IgnoreLayer[] {
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
  for (const ancestor of chain.reverse()) layers = withIgnoreFile(ancestor, layers, skipped);
  return layers;
}
