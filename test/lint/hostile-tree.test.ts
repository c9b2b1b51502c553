// A repository built to hurt the linter: links to devices and out of the tree, a FIFO, a link
// loop, a huge file, a hostile file name. Lint finishes quickly, reads none of them, says which it
// skipped and why, and prints the file name escaped.
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { lintPaths } from "../../packages/latchkey-cli/src/lint/lint.ts";
import { MAX_FILE_BYTES } from "../../packages/latchkey-cli/src/lint/read-regular-file.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const INSECURE =
  'from flask import Flask\napp = Flask(__name__)\napp.config["SESSION_COOKIE_HTTPONLY"] = False\n';
const HOSTILE_NAME = "evil\u001b[2J\u202e\u009bx.py";

function run(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "packages/latchkey-cli/src/cli.ts", ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  // A linter that blocks on the FIFO would hang the suite: give up loudly instead.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    }),
  );
}

describe("lint on a hostile tree", () => {
  let base: string;
  let root: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), "latchkey-hostile-"));
    root = join(base, "repo");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "app.py"), INSECURE);
    writeFileSync(join(base, "outside.py"), INSECURE.replace("app = ", "outside_app = "));
    symlinkSync("/dev/zero", join(root, ".gitignore"));
    execFileSync("mkfifo", [join(root, "sub", ".gitignore")]);
    execFileSync("mkfifo", [join(root, "pipe.py")]);
    symlinkSync(join(base, "outside.py"), join(root, "outside_link.py"));
    symlinkSync("/dev/zero", join(root, "zero.py"));
    symlinkSync("loop.py", join(root, "loop.py"));
    symlinkSync(".", join(root, "sub", "again"));
    symlinkSync(base, join(root, "parent"));
    writeFileSync(join(root, "huge.py"), `# session\n${"x = 1\n".repeat(MAX_FILE_BYTES / 6 + 10)}`);
    writeFileSync(join(root, "sub", HOSTILE_NAME), INSECURE);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it("reads only regular files inside the tree and says what it skipped", () => {
    const started = performance.now();
    const result = lintPaths([root], root);
    assert.ok(performance.now() - started < 5000);
    const files = new Set(result.findings.map((f) => f.location?.file));
    assert.deepEqual([...files].sort(), ["app.py", `sub/${HOSTILE_NAME}`]);
    const reasons = new Map(result.skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
    assert.match(reasons.get(".gitignore") ?? "", /symbolic link/);
    assert.match(reasons.get("sub/.gitignore") ?? "", /not a regular file \(FIFO\)/);
    assert.match(reasons.get("pipe.py") ?? "", /not a regular file/);
    assert.match(reasons.get("outside_link.py") ?? "", /outside the scanned tree/);
    assert.match(reasons.get("zero.py") ?? "", /outside the scanned tree/);
    assert.match(reasons.get("loop.py") ?? "", /symbolic link loop/);
    assert.match(reasons.get("sub/again") ?? "", /symbolic link, not followed/);
    assert.match(reasons.get("parent") ?? "", /outside the scanned tree/);
    assert.match(reasons.get("huge.py") ?? "", new RegExp(`larger than ${MAX_FILE_BYTES} bytes`));
  });

  it("the CLI finishes quickly, escapes the hostile name, and --json keeps it exactly", async () => {
    const pretty = await run(["lint", root]);
    assert.equal(pretty.status, 1, pretty.stderr);
    assert.ok(pretty.ms < 20_000, `took ${Math.round(pretty.ms)} ms`);
    for (const raw of ["\u001b", "\u202e", "\u009b"]) {
      assert.ok(!pretty.stdout.includes(raw), "raw byte on stdout");
      assert.ok(!pretty.stderr.includes(raw), "raw byte on stderr");
    }
    assert.match(pretty.stdout, /evil\\x1b\[2J\\u202e\\x9bx\.py/);
    assert.match(pretty.stderr, /skipped .*pipe\.py: not a regular file/);
    const json = await run(["lint", root, "--json"]);
    const findings: { location: { file: string } }[] = JSON.parse(json.stdout).findings;
    assert.ok(findings.some((f) => f.location.file.endsWith(`sub/${HOSTILE_NAME}`)));
  });
});

describe("non-relative imports never leave the scanned root", () => {
  it("tsconfig paths, package.json imports, workspaces and node-config pointing outside are not followed", () => {
    const outside = mkdtempSync(join(tmpdir(), "latchkey-outside-"));
    const root = mkdtempSync(join(tmpdir(), "latchkey-aliases-"));
    try {
      // A weak secret outside the root: reading it would produce a finding.
      writeFileSync(join(outside, "secret.js"), 'module.exports = { secret: "keyboard cat" };\n');
      mkdirSync(join(outside, "config"));
      writeFileSync(
        join(outside, "config", "default.js"),
        'module.exports = { s: "keyboard cat" };\n',
      );
      const rel = (p: string) => join("..", outside.split("/").at(-1)!, p);
      writeFileSync(
        join(root, "tsconfig.json"),
        `{ /* aliases */ "compilerOptions": { "baseUrl": ".", "paths": { "@out/*": ["${rel("*")}"], "@abs/*": ["${outside}/*"] } } }`,
      );
      writeFileSync(
        join(root, "package.json"),
        JSON.stringify({
          imports: { "#out": rel("secret.js") },
          workspaces: ["../*", `${outside}`],
        }),
      );
      writeFileSync(
        join(root, "app.js"),
        [
          'import session from "express-session";',
          'import a from "@out/secret";',
          'import b from "@abs/secret";',
          'import c from "#out";',
          'import d from "config";',
          "app.use(session({ store, name: 'x', secret: a.secret, cookie: { secure: true, httpOnly: true, sameSite: 'lax', maxAge: 1 } }));",
          "app.use(session({ store, name: 'y', secret: b.secret, cookie: { secure: true, httpOnly: true, sameSite: 'lax', maxAge: 1 } }));",
          "app.use(session({ store, name: 'z', secret: c.secret, cookie: { secure: true, httpOnly: true, sameSite: 'lax', maxAge: 1 } }));",
          "app.use(session({ store, name: 'w', secret: d.s, cookie: { secure: true, httpOnly: true, sameSite: 'lax', maxAge: 1 } }));",
        ].join("\n"),
      );
      assert.deepEqual(lintPaths([root], root).findings, []);
      // The same alias inside the root is followed, so the test above can fail.
      writeFileSync(join(root, "secret.js"), 'module.exports = { secret: "keyboard cat" };\n');
      writeFileSync(
        join(root, "tsconfig.json"),
        '{ "compilerOptions": { "paths": { "@out/*": ["./*"] } } }',
      );
      assert.deepEqual(
        lintPaths([root], root).findings.map((f) => `${f.location!.file} ${f.id}`),
        ["secret.js session-secret-weak"],
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the new text scans stay linear on hostile input", () => {
  it("a megabyte of cookie reads, deploy-file selections and config maps lints in bounded CPU", () => {
    const root = mkdtempSync(join(tmpdir(), "latchkey-scan-"));
    try {
      const line = `${"lookup(".repeat(60)}request.cookies.get("a")${")".repeat(60)}\n`;
      writeFileSync(
        join(root, "views.py"),
        `def v(request, resp):\n    resp.set_cookie("a", make())\n${line.repeat(Math.floor(900_000 / line.length))}`,
      );
      writeFileSync(
        join(root, "Procfile"),
        `web: ${"create_app(".repeat(20_000)}${"APP_SETTINGS=".repeat(20_000)}\n`,
      );
      const entry = '"k": Config, ';
      writeFileSync(
        join(root, "config.py"),
        `SECRET_KEY = "x" * 40\nclass Config:\n    SECRET_KEY = "y"\nconfig = {${entry.repeat(50_000)}}\n`,
      );
      writeFileSync(
        join(root, "package.json"),
        JSON.stringify({ scripts: { start: `node ${"a/".repeat(5000)}x.js` } }),
      );
      writeFileSync(join(root, "tsconfig.json"), `{${"/*".repeat(50_000)}`);
      const before = process.cpuUsage();
      const result = lintPaths([root], root);
      const used = process.cpuUsage(before);
      // Generous: the quadratic forms these inputs target take minutes.
      assert.ok(
        (used.user + used.system) / 1e6 < 20,
        `${(used.user + used.system) / 1e6} s of CPU`,
      );
      assert.ok(
        result.findings.some((f) => f.cookie === "a"),
        "the read-back cookie is still found",
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
