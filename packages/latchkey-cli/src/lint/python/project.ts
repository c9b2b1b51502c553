// The Python files of one linted tree, as a project: a module can be found by the name another
// module imports it under, and modules that import each other form one application. Only files
// the walk found are ever resolved (so nothing outside the linted root, no link, nothing that
// read-regular-file refused), and a file the relevance gate skipped is parsed only when some
// configuration points at it, at most MAX_LATE_PARSES times per run.
import { dirname, join, relative, sep } from "node:path";
import { type PyModule, readModule } from "./module.ts";

/** A Python file the walk found: parsed up front, or kept as text until something imports it. */
export interface ProjectFile {
  /** Absolute path. */
  path: string;
  /** The scanned directory it was found under (absolute). */
  root: string;
  /** Display path used in findings. */
  file: string;
  module?: PyModule;
  text?: string;
}

// A hostile tree can make every file import every other; configuration is never more than a
// handful of files away from the app that loads it.
const MAX_LATE_PARSES = 200;

export class PythonProject {
  readonly #files = new Map<string, ProjectFile>();
  readonly #byModule = new Map<PyModule, ProjectFile>();
  #lateParses = 0;

  add(file: ProjectFile): void {
    this.#files.set(file.path, file);
    if (file.module) this.#byModule.set(file.module, file);
  }

  /** The modules parsed so far (late parses included). */
  modules(): PyModule[] {
    return [...this.#byModule.keys()];
  }

  fileOf(module: PyModule): ProjectFile | undefined {
    return this.#byModule.get(module);
  }

  /**
   * The module `name` names when imported from `from` (`.base`, `..config`, `app.settings`),
   * parsing it if the gate skipped it; undefined when it is not a file of the tree.
   */
  resolve(from: PyModule, name: string): PyModule | undefined {
    const origin = this.#byModule.get(from);
    if (origin === undefined) return undefined;
    const dots = /^\.*/.exec(name)![0].length;
    const rest = name.slice(dots).split(".").filter(Boolean);
    const bases: string[] = [];
    if (dots > 0) {
      let dir = dirname(origin.path);
      for (let i = 1; i < dots; i++) dir = dirname(dir);
      bases.push(dir);
    } else {
      // An absolute import is relative to some directory on sys.path: the module's own folder
      // or one of its parents, up to the scanned root (a `src/` layout, a repository root).
      for (let dir = dirname(origin.path); ; dir = dirname(dir)) {
        bases.push(dir);
        if (!isInside(dir, origin.root) || dir === origin.root || dir === dirname(dir)) break;
      }
    }
    for (const base of bases) {
      if (!isInside(base, origin.root)) continue;
      for (const candidate of [`${join(base, ...rest)}.py`, join(base, ...rest, "__init__.py")]) {
        const found = this.#files.get(candidate);
        if (found && found.root === origin.root) return this.#parsed(found);
      }
    }
    return undefined;
  }

  /** A file named relative to a module's folder (`from_pyfile("settings.py")`). */
  resolveFile(from: PyModule, name: string): PyModule | undefined {
    const origin = this.#byModule.get(from);
    if (origin === undefined || name.startsWith("/")) return undefined;
    const found = this.#files.get(join(dirname(origin.path), name));
    return found && found.root === origin.root ? this.#parsed(found) : undefined;
  }

  #parsed(file: ProjectFile): PyModule | undefined {
    if (file.module) return file.module;
    if (file.text === undefined || this.#lateParses >= MAX_LATE_PARSES) return undefined;
    this.#lateParses++;
    try {
      file.module = readModule(file.text, file.file);
    } catch {
      file.text = undefined; // unparsable: it configures nothing we can read
      return undefined;
    }
    this.#byModule.set(file.module, file);
    return file.module;
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep));
}
