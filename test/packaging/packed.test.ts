// The packages as a user receives them. Both are packed once by npm (prepack builds each from an
// empty dist) and installed from the tarballs, offline, into two throwaway projects:
// - `app`: the library alone, as a web app installs it — its footprint, require() from CommonJS,
//   type-checking a consumer under three module settings, and the published declarations;
// - `cli`: both tarballs, as `npx latchkey-cli` gets them — the `latchkey` bin.
// Children run without the repository's `latchkey-dev` condition (see packed.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ts from "typescript";
import {
  filesEndingWith,
  installedPackages,
  installProject,
  type Packed,
  packBoth,
  REPO,
  readJson,
  run,
  runOk,
  treeSize,
} from "./packed.ts";

const MAX_INSTALLED_BYTES = 1.5 * 1024 * 1024;
const TSC = join(REPO, "node_modules/typescript/bin/tsc");

interface Manifest {
  name: string;
  version: string;
  license?: string;
  author?: string;
  homepage?: string;
  keywords?: string[];
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  engines?: { node?: string };
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  typesVersions?: Record<string, Record<string, string[]>>;
  types?: string;
  dependencies?: Record<string, string>;
}

let work: string;
let packed: Map<string, Packed>;
let app: string; // project with the latchkey tarball alone
let cli: string; // project with both tarballs
let installed: string; // app's node_modules/latchkey: the tarball's contents

before(() => {
  work = mkdtempSync(join(tmpdir(), "latchkey-packed-"));
  const tarballs = join(work, "tarballs");
  packed = packBoth(tarballs);
  const tarball = (name: string) => {
    const entry = packed.get(name);
    assert.ok(entry, `npm pack reported ${name}`);
    return join(tarballs, entry.filename);
  };
  app = join(work, "app");
  installProject(app, [tarball("latchkey")]);
  installed = join(app, "node_modules/latchkey");
  cli = join(work, "cli");
  installProject(cli, [tarball("latchkey"), tarball("latchkey-cli")]);
});
after(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const packageDir = (name: string) => join(REPO, "packages", name);
const manifest = (name: string) => readJson<Manifest>(join(packageDir(name), "package.json"));

describe("what the tarballs contain", () => {
  for (const name of ["latchkey", "latchkey-cli"]) {
    it(`${name}: dist built from the current sources, README, LICENSE and package.json only`, () => {
      const files = packed.get(name)?.files.map((f) => f.path) ?? [];
      const outside = files.filter((f) => !f.startsWith("dist/"));
      // The CLI also publishes its JSON Schemas (reports, login description) for editors and CI.
      const schemas =
        name === "latchkey-cli"
          ? readdirSync(join(packageDir(name), "schemas")).map((f) => `schemas/${f}`)
          : [];
      assert.deepEqual(outside.sort(), ["LICENSE", "README.md", "package.json", ...schemas].sort());
      // tsc never deletes: a dist file without a source is stale output that would be published.
      const sources = new Set(filesEndingWith(join(packageDir(name), "src"), ".ts"));
      const stale = files
        .filter((f) => f.startsWith("dist/"))
        .map((f) => f.slice("dist/".length).replace(/(\.d\.ts|\.js\.map|\.js)$/, ".ts"))
        .filter((source) => !sources.has(source));
      assert.deepEqual(stale, []);
      assert.ok(files.some((f) => f.endsWith(".js")));
    });

    it(`${name}: source maps carry their sources, or there are none`, () => {
      const root = join(name === "latchkey" ? app : cli, "node_modules", name);
      const maps = filesEndingWith(join(root, "dist"), ".js.map");
      // The library ships no maps: with their sources inlined they were more than half of its
      // installed size, and tsc's output is readable JavaScript with the comments kept. The CLI's
      // size does not reach web apps, and its stack traces in bug reports point at the sources.
      if (name === "latchkey") {
        assert.deepEqual(maps, []);
        const js = filesEndingWith(join(root, "dist"), ".js");
        const pointing = js.filter((f) =>
          readFileSync(join(root, "dist", f), "utf8").includes("sourceMappingURL"),
        );
        assert.deepEqual(pointing, [], "no .js file points at a map that is not there");
        return;
      }
      assert.ok(maps.length > 5, `${maps.length} source maps`);
      for (const map of maps) {
        const { sources, sourcesContent } = readJson<{
          sources: string[];
          sourcesContent?: (string | null)[];
        }>(join(root, "dist", map));
        assert.equal(sourcesContent?.length, sources.length, `${map} has sourcesContent`);
        for (const content of sourcesContent ?? []) assert.ok(content && content.length > 0, map);
      }
    });

    it(`${name}: metadata a registry page and a user can trust`, () => {
      const m = manifest(name);
      assert.equal(m.license, "MIT");
      assert.ok(m.author);
      assert.ok((m.keywords ?? []).length >= 5);
      assert.deepEqual(m.repository, {
        type: "git",
        url: "git+https://github.com/latchkey-dev/latchkey.git",
        directory: `packages/${name}`,
      });
      assert.match(m.homepage ?? "", /^https:\/\/github\.com\/latchkey-dev\/latchkey\b/);
      assert.equal(m.bugs?.url, "https://github.com/latchkey-dev/latchkey/issues");
      const license = readFileSync(join(packageDir(name), "LICENSE"), "utf8");
      assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 the latchkey authors\n/);
      assert.equal(license, readFileSync(join(REPO, "LICENSE"), "utf8"));
    });

    it(`${name}: README links are absolute, so they work on the registry page`, () => {
      const readme = readFileSync(join(packageDir(name), "README.md"), "utf8");
      const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1] ?? "");
      assert.ok(targets.length >= 2, "the README links to the docs");
      const relativeLinks = targets.filter((t) => !/^(https:\/\/|mailto:|#)/.test(t));
      assert.deepEqual(relativeLinks, []);
    });
  }

  it("every package.json asks for Node ≥ 20.19 (require(esm) without a flag)", () => {
    for (const path of [
      "package.json",
      "packages/latchkey/package.json",
      "packages/latchkey-cli/package.json",
    ]) {
      assert.equal(readJson<Manifest>(join(REPO, path)).engines?.node, ">=20.19", path);
    }
  });
});

describe("latchkey installed alone", () => {
  it("brings cookie and nothing else", () => {
    assert.deepEqual(installedPackages(join(app, "node_modules")), ["cookie", "latchkey"]);
    const tree = JSON.parse(runOk("npm", ["ls", "--all", "--omit=dev", "--json"], app)) as {
      dependencies: Record<
        string,
        { version?: string; dependencies?: Record<string, { version?: string }> }
      >;
    };
    const lib = tree.dependencies.latchkey;
    assert.equal(lib?.version, manifest("latchkey").version);
    // Optional peers (express, pg, …) show as empty entries: declared, not installed.
    const present = Object.entries(lib?.dependencies ?? {})
      .filter(([, d]) => d.version !== undefined)
      .map(([n]) => n);
    assert.deepEqual(present, ["cookie"]);
  });

  it(`takes less than ${MAX_INSTALLED_BYTES / 1024 / 1024} MB on disk with cookie`, (t) => {
    const bytes = treeSize(installed) + treeSize(join(app, "node_modules/cookie"));
    t.diagnostic(`latchkey + cookie installed: ${(bytes / 1024).toFixed(0)} KiB`);
    assert.ok(bytes < MAX_INSTALLED_BYTES, `${bytes} bytes`);
  });

  it("require() works from CommonJS and gives the same module as import", () => {
    const script = join(app, "require-check.cjs");
    writeFileSync(
      script,
      `const assert = require("node:assert/strict");
const latchkey = require("latchkey");
const express = require("latchkey/express");
const flask = require("latchkey/flask");
assert.equal(process.features.require_module, true, "require(esm) is on by default");
const sessions = latchkey.createSessions({ secrets: [${JSON.stringify(randomBytes(32).toString("base64url"))}] });
assert.equal(typeof sessions.revokeAll, "function");
assert.equal(typeof express.sessionMiddleware(sessions), "function");
const cookie = flask.signFlaskSession({ user_id: 42 }, { secretKey: "k" });
assert.deepEqual(flask.verifyFlaskSession(cookie, { secretKey: "k" }).data, { user_id: 42 });
try { latchkey.createSessions({ secrets: ["keyboard cat"] }); assert.fail("accepted a weak secret"); }
catch (error) { assert.ok(latchkey.isLatchkeyError(error)); }
import("latchkey").then((esm) => {
  assert.equal(esm.LatchkeyError, latchkey.LatchkeyError, "one module instance, not two");
  assert.deepEqual(Object.keys(latchkey), Object.keys(esm), "the same exports");
  console.log("ok", Object.keys(latchkey).join(" "));
});
`,
    );
    const result = run(process.execPath, [script], app);
    assert.equal(result.status, 0, result.stderr);
    const names = result.stdout.trim().split(" ");
    assert.equal(names[0], "ok");
    for (const name of ["createSessions", "isLatchkeyError", "LatchkeyError"]) {
      assert.ok(names.includes(name), name);
    }
  });

  // TypeScript 5.9 refuses `module: commonjs` with `moduleResolution: node16` (TS5110: node16
  // resolution needs a node16+ module setting). A CommonJS project on node16 resolution is
  // therefore `module: node20` (or nodenext) in a package without "type": "module": tsc then
  // emits require() calls and, unlike `module: node16`, allows requiring an ES module (Node
  // 20.19's require(esm)). `node10` is the legacy resolution that ignores `exports`; it finds the
  // subpaths' types through `typesVersions`.
  const settings = [
    {
      label: "CommonJS, module node20 + moduleResolution node16",
      module: "node20",
      resolution: "node16",
      emit: true,
    },
    {
      label: "module nodenext + moduleResolution nodenext",
      module: "nodenext",
      resolution: "nodenext",
      emit: false,
    },
    {
      label: "CommonJS, module commonjs + moduleResolution node10",
      module: "commonjs",
      resolution: "node10",
      emit: false,
    },
  ];
  for (const setting of settings) {
    it(`type-checks a consumer: ${setting.label}`, () => {
      writeConsumer(app);
      const config = join(app, `tsconfig.${setting.resolution}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          compilerOptions: {
            module: setting.module,
            moduleResolution: setting.resolution,
            target: "es2022",
            strict: true,
            skipLibCheck: true,
            types: ["node"],
            typeRoots: [join(REPO, "node_modules/@types")],
            outDir: `out-${setting.resolution}`,
            noEmit: !setting.emit,
          },
          files: ["consumer.ts"],
        }),
      );
      const result = run(process.execPath, [TSC, "-p", config], app);
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      if (setting.emit) {
        const js = join(app, `out-${setting.resolution}`, "consumer.js");
        assert.match(readFileSync(js, "utf8"), /require\("latchkey"\)/, "compiled to CommonJS");
        const ran = run(process.execPath, [js], app);
        assert.equal(ran.status, 0, ran.stderr);
        assert.equal(ran.stdout.trim(), "consumer ok");
      }
    });
  }
});

/**
 * A consumer that imports every public subpath. The `@ts-expect-error` lines prove the types
 * are real: had a subpath resolved to `any`, they would be unused, which is itself an error.
 */
function writeConsumer(dir: string): void {
  const exportsMap =
    readJson<Manifest>(join(dir, "node_modules/latchkey/package.json")).exports ?? {};
  const subpaths = Object.keys(exportsMap)
    .filter((k) => k !== "." && k !== "./package.json")
    .map((k) => `latchkey${k.slice(1)}`);
  assert.ok(subpaths.length >= 10, subpaths.join(" "));
  // Type-only namespace imports are resolved and checked but not loaded at run time, so the
  // subpaths whose optional peers (fastify, pg, …) are not installed can be checked too.
  const typeImports = subpaths.map((s, i) => `import type * as sub${i} from "${s}";`).join("\n");
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(
    join(dir, "consumer.ts"),
    `import { createSessions, isLatchkeyError, type Session } from "latchkey";
import { sessionMiddleware } from "latchkey/express";
import { signFlaskSession, verifyFlaskSession } from "latchkey/flask";
${typeImports}

export type Subpaths = [${subpaths.map((_, i) => `typeof sub${i}`).join(", ")}];

const sessions = createSessions({ secrets: ["${secret}"], idleTimeout: "30m" });
const middleware = sessionMiddleware(sessions);
const result = verifyFlaskSession(signFlaskSession({ n: 1 }, { secretKey: "k" }), { secretKey: "k" });
export function userOf(session: Session): string | null {
  return session.userId;
}

export function neverCalled(): void {
  // @ts-expect-error a number is not a sessions object
  sessionMiddleware(42);
  // @ts-expect-error secrets are strings
  createSessions({ secrets: [42] });
  // @ts-expect-error a verify result has no such field
  result.nonsense;
  isLatchkeyError(new Error(), "config-invalid");
  // @ts-expect-error not one of the stable codes
  isLatchkeyError(new Error(), "no-such-code");
}

if (typeof middleware === "function" && result.valid && result.data.n === 1) console.log("consumer ok");
`,
  );
}

describe("latchkey's published declarations", () => {
  const declarations = () =>
    filesEndingWith(join(installed, "dist"), ".d.ts").map((f) => {
      const path = join(installed, "dist", f);
      return ts.createSourceFile(f, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    });

  /** Members of every class or interface called `name`, across the declaration files. */
  const membersOf = (files: ts.SourceFile[], name: string) => {
    const members: string[] = [];
    let found = false;
    for (const file of files) {
      for (const statement of file.statements) {
        if (
          (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) &&
          statement.name?.text === name
        ) {
          found = true;
          for (const member of statement.members) {
            if (ts.isConstructorDeclaration(member)) members.push("constructor");
            else if (member.name !== undefined) members.push(member.name.getText(file));
          }
        }
      }
    }
    assert.ok(found, `${name} is declared`);
    return members;
  };

  it("keep nothing tagged @internal", () => {
    const files = declarations();
    assert.ok(files.length > 20);
    const tagged = files.filter((f) => f.text.includes("@internal")).map((f) => f.fileName);
    assert.deepEqual(tagged, []);
  });

  it("hide the engine's internals: Sessions.open/csrf, Session's constructor and csrfBinding, stateOfSession", () => {
    const files = declarations();
    const sessions = membersOf(files, "Sessions");
    assert.ok(sessions.includes("revokeAll"), "Sessions has its public members");
    assert.deepEqual(
      sessions.filter((m) => m === "open" || m === "csrf"),
      [],
    );
    const session = membersOf(files, "Session");
    assert.ok(session.includes("login"), "Session has its public members");
    assert.deepEqual(
      session.filter((m) => m === "constructor" || m === "csrfBinding"),
      [],
    );
    const mentions = files.filter((f) => /\bstateOfSession\b/.test(f.text)).map((f) => f.fileName);
    assert.deepEqual(mentions, []);
  });

  it("export Session as a type from the package root", () => {
    const index = declarations().find((f) => f.fileName === "index.d.ts");
    assert.ok(index);
    assert.match(index.text, /export (type )?\{[^}]*\b(type )?Session\b[^}]*\}/);
  });

  it("map every subpath export to its types for node10 resolution (typesVersions)", () => {
    const m = readJson<Manifest>(join(installed, "package.json"));
    assert.equal(m.types, "./dist/index.d.ts");
    const mapped = m.typesVersions?.["*"] ?? {};
    for (const [subpath, target] of Object.entries(m.exports ?? {})) {
      if (subpath === "." || subpath === "./package.json" || typeof target === "string") continue;
      assert.deepEqual(mapped[subpath.slice(2)], [target.types], subpath);
      assert.ok(existsSync(join(installed, target.types ?? "")), `${target.types} is packed`);
    }
  });
});

describe("latchkey-cli installed with latchkey", () => {
  const bin = () => join(cli, "node_modules/.bin/latchkey");

  it("uses the latchkey tarball, not a second copy", () => {
    const packages = installedPackages(join(cli, "node_modules"));
    assert.ok(packages.includes("latchkey") && packages.includes("latchkey-cli"), packages.join());
    assert.ok(!packages.some((p) => p.endsWith("node_modules/latchkey")), packages.join());
  });

  it("latchkey --version prints the version", () => {
    const result = run(bin(), ["--version"], cli);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`\\b${manifest("latchkey-cli").version.replaceAll(".", "\\.")}\\b`),
    );
  });

  it("latchkey audit --help exits 0 with the usage", () => {
    const result = run(bin(), ["audit", "--help"], cli);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: latchkey audit <url>/m);
    assert.match(result.stdout, /--fail-on/);
  });

  it("exports its JSON Schemas: latchkey-cli/schemas/<name>.schema.json", () => {
    const script = `for (const n of ["audit-report", "lint-report", "login-description"]) console.log(JSON.parse(require("node:fs").readFileSync(require.resolve("latchkey-cli/schemas/" + n + ".schema.json"), "utf8")).$id)`;
    const result = run(process.execPath, ["-e", script], cli);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      result.stdout.trim().split("\n"),
      ["audit-report", "lint-report", "login-description"].map(
        (n) => `https://unpkg.com/latchkey-cli/schemas/${n}.schema.json`,
      ),
    );
  });
});
