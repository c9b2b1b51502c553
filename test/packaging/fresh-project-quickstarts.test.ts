// Every README quick start, as a new user follows it: in an empty directory, the section's own
// setup steps (read from its ```sh block: `npm init -y`, `npm pkg set`, `npm install`, the
// exported secret) are applied, the snippet is saved under the name the README gives and started
// with the README's own command, against the PACKED package (no `latchkey-dev` condition). If a
// section forgets a package, the module type or the secret, this fails.
//
// Installing each project separately would take minutes, so `npm install` lines are recorded
// instead of run: one project installs everything the sections ask for, each section's project
// links to its node_modules, and each snippet may import only what its own section installs.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CookieBrowser } from "../helpers/cookie-jar.ts";
import { request } from "../helpers/http.ts";
import { assertExactlyWrongLinesFail, stripDirectives } from "./expect-errors.ts";
import { type Packed, REPO, userEnv } from "./packed.ts";

const exec = promisify(execFile);
const README = readFileSync("README.md", "utf8");
const EXPECTED = [
  "app.mjs",
  "app.ts",
  "fastify-app.ts",
  "hono-app.ts",
  "koa-app.ts",
  "node-app.ts",
  "fetch-app.ts",
];
// The registry may be unreachable the first time (packuments not yet in npm's cache).
const OFFLINE = /ENOTFOUND|ENOTCACHED|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET/;

interface QuickStart {
  file: string;
  code: string;
  setup: string[];
  run: string;
  typeCheck: string | null;
}

/** The quick starts: each `Save as \`file\`` with the ```sh block before it and the commands after. */
function quickStarts(markdown: string): QuickStart[] {
  const found: QuickStart[] = [];
  for (const match of markdown.matchAll(/[Ss]ave as `([^`]+)`/g)) {
    const file = match[1] as string;
    const at = match.index ?? 0;
    const fence = markdown.indexOf("\n```", at);
    const prose = markdown.slice(at, fence);
    const lang = file.endsWith(".ts") ? "ts" : "js";
    const open = markdown.indexOf(`\`\`\`${lang}\n`, at);
    const code = markdown.slice(open + lang.length + 4, markdown.indexOf("\n```", open + 4) + 1);
    const shOpen = markdown.lastIndexOf("```sh\n", at);
    const setup = markdown
      .slice(shOpen + 6, markdown.indexOf("\n```", shOpen + 6))
      .split("\n")
      .filter((line) => line.trim() !== "");
    const run = [...prose.matchAll(/run\s+`([^`]+)`/g)].at(-1)?.[1];
    assert.ok(run !== undefined, `the README says how to run ${file}`);
    const typeCheck = /type-check it with\s+`([^`]+)`/.exec(prose)?.[1] ?? null;
    found.push({ file, code, setup, run, typeCheck });
  }
  return found;
}

/** The packages a snippet imports (bare specifiers, `node:` built-ins aside). */
function importedPackages(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
    const spec = m[1] as string;
    if (spec.startsWith("node:") || spec.startsWith(".")) continue;
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
  }
  return [...names].sort();
}

const STEP =
  /^(npm init -y|npm pkg set [\w.]+=[\w.-]+|npm install( -D)?( [@\w./-]+)+|export [A-Z_]+=.*)$/;

interface Prepared {
  dir: string;
  installs: string[];
  env: Record<string, string>;
}

/** Applies a section's setup in `dir`: npm init and pkg set run; installs are only recorded. */
async function prepare(dir: string, quickStart: QuickStart): Promise<Prepared> {
  mkdirSync(dir, { recursive: true });
  for (const line of quickStart.setup) {
    assert.match(line, STEP, `${quickStart.file}: a setup step this test knows how to follow`);
  }
  const script = [
    "set -e",
    'npm() { if [ "$1" = install ]; then shift; printf "%s\\n" "$@" >> .installs; else command npm "$@" >/dev/null; fi; }',
    ": > .installs",
    ...quickStart.setup,
    `node -e 'require("node:fs").writeFileSync(".env.json", JSON.stringify(process.env))'`,
  ].join("\n");
  const base = userEnv();
  // The secret must come from the README's steps, not from the environment running the test.
  delete base.SESSION_SECRET;
  await exec("bash", ["-c", script], { cwd: dir, env: base });
  const after = JSON.parse(readFileSync(join(dir, ".env.json"), "utf8")) as Record<string, string>;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(after)) if (base[key] !== value) env[key] = value;
  const installs = readFileSync(join(dir, ".installs"), "utf8")
    .split("\n")
    .filter((arg) => arg !== "" && !arg.startsWith("-"));
  return { dir, installs, env };
}

interface Started {
  url: string;
  child: ChildProcess;
}

/** Ends a started command with everything it started (its process group). */
function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

/** Runs the README's command in `dir` and waits for the URL the app prints. */
function start(dir: string, command: string, env: Record<string, string>): Promise<Started> {
  // Its own process group: `npx tsx app.ts` is npm, then tsx, then node; killing only the first
  // would leave the app running (and holding this test's pipes open, so the run never ends).
  const child = spawn("bash", ["-c", `exec ${command}`], {
    cwd: dir,
    env: { ...userEnv(), ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopGroup(child);
      reject(new Error(`${command}: no URL printed\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${match[1]}`, child });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}\n${output}`));
    });
  });
}

/** Proves the app keeps a session: the visits counter (Express), or a sign-in (the others). */
async function driveSession(file: string, url: string): Promise<void> {
  const browser = new CookieBrowser();
  if (file.startsWith("app.")) {
    const first = browser.take(await request(`${url}/`, { cookie: browser.header }));
    assert.equal(JSON.parse(first.body).visits, 1);
    const second = browser.take(await request(`${url}/`, { cookie: browser.header }));
    assert.equal(JSON.parse(second.body).visits, 2, "the second request found the session");
    return;
  }
  const form = browser.take(await request(`${url}/`, { cookie: browser.header }));
  assert.match(form.body, /Signed out/);
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  assert.ok(token !== undefined, "the page carries a CSRF token");
  const login = browser.take(
    await request(`${url}/login`, {
      method: "POST",
      cookie: browser.header,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: url,
        "sec-fetch-site": "same-origin",
      },
      body: `user=alice&password=pw&_csrf=${encodeURIComponent(token)}`,
    }),
  );
  assert.equal(login.status, 303, login.body);
  const page = await request(`${url}/`, { cookie: browser.header });
  assert.match(page.body, /Signed in as alice/);
}

describe("README quick starts in a fresh npm init -y project, with the packed package", () => {
  const listed = quickStarts(README);
  let work: string;
  let prepared: Map<string, Prepared>;
  let offline: string | null = null;
  const children: ChildProcess[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "latchkey-fresh-"));
    const dir = work;
    // Packed as `npm publish` would (prepack builds dist from the current sources), while the
    // frameworks install: the build is CPU, the install mostly waiting.
    const packing = exec("npm", ["pack", "-w", "latchkey", "--pack-destination", dir, "--json"], {
      cwd: REPO,
      env: userEnv(),
      maxBuffer: 16 * 1024 * 1024,
    }).then(({ stdout }) => {
      const [packed] = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[") + 1)) as Packed[];
      assert.ok(packed !== undefined);
      return join(dir, packed.filename);
    });
    packing.catch(() => {}); // awaited below
    prepared = new Map(
      await Promise.all(
        listed.map(
          async (q) => [q.file, await prepare(join(dir, q.file.replace(".", "-")), q)] as const,
        ),
      ),
    );
    // One install of everything the sections ask for; latchkey itself from the tarball.
    const wanted = new Set([...prepared.values()].flatMap((p) => p.installs));
    assert.ok(wanted.has("latchkey"), "the sections install latchkey");
    wanted.delete("latchkey");
    // For the typed express-session compatibility below (not part of any quick start).
    wanted.add("passport");
    wanted.add("@types/passport");
    const shared = join(dir, "shared");
    mkdirSync(shared);
    writeFileSync(join(shared, "package.json"), '{ "name": "shared", "private": true }\n');
    const install = (args: string[]) =>
      exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...args], {
        cwd: shared,
        env: userEnv(),
        maxBuffer: 16 * 1024 * 1024,
      });
    try {
      await install([...wanted]);
    } catch (error) {
      const text = String((error as { stderr?: string }).stderr ?? error);
      if (!OFFLINE.test(text) || process.env.LATCHKEY_REQUIRE_SERVICES === "1") throw error;
      offline = text.split("\n").find((line) => OFFLINE.test(line)) ?? text;
      console.warn(`SKIPPING the fresh-project quick starts: npm registry unreachable: ${offline}`);
      return;
    }
    await install([await packing]);
    for (const p of prepared.values()) {
      symlinkSync(join(shared, "node_modules"), join(p.dir, "node_modules"), "dir");
    }
  });
  after(() => {
    for (const child of children) stopGroup(child);
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("finds every quick start, each with its own setup steps", () => {
    assert.deepEqual(
      listed.map((q) => q.file),
      EXPECTED,
    );
  });

  for (const file of EXPECTED) {
    it(`${file}: installs what it imports, sets SESSION_SECRET, starts and keeps a session`, async (t) => {
      if (offline !== null) return t.skip(`npm registry unreachable: ${offline}`);
      const quickStart = listed.find((q) => q.file === file);
      const project = prepared.get(file);
      assert.ok(quickStart !== undefined && project !== undefined);
      const { dir, installs, env } = project;
      assert.match(env.SESSION_SECRET ?? "", /^[A-Za-z0-9_-]{43}$/, "the steps set the secret");
      for (const name of importedPackages(quickStart.code)) {
        assert.ok(installs.includes(name), `${file} imports ${name}: its section installs it`);
      }
      for (const command of [quickStart.run, quickStart.typeCheck ?? ""]) {
        const tool = /^npx (\S+)/.exec(command)?.[1];
        const pkg = tool === "tsc" ? "typescript" : tool;
        if (pkg !== undefined) assert.ok(installs.includes(pkg), `${file}: ${pkg} is installed`);
      }
      writeFileSync(join(dir, file), quickStart.code);
      if (quickStart.typeCheck !== null) {
        const [command, ...args] = quickStart.typeCheck.split(" ");
        const checked = await exec(command as string, args, { cwd: dir, env: userEnv() }).catch(
          (error: { stdout?: string }) => assert.fail(`${quickStart.typeCheck}\n${error.stdout}`),
        );
        assert.equal(checked.stderr, "");
      }
      const started = await start(dir, quickStart.run, env);
      children.push(started.child);
      await driveSession(file, started.url);
    });
  }

  it("the published types: express-session compatibility typed by declaration merging", async (t) => {
    if (offline !== null) return t.skip(`npm registry unreachable: ${offline}`);
    const quickStart = listed.find((q) => q.file === "app.ts");
    const project = prepared.get("app.ts");
    assert.ok(quickStart?.typeCheck && project !== undefined);
    // The consumer that test/packaging/express-session-types.test.ts checks against the sources,
    // here against the tarball's declarations, with the README's own tsc command.
    const fixture = join(REPO, "test/fixtures/types/express-compat/app.ts");
    const stripped = stripDirectives(readFileSync(fixture, "utf8"));
    writeFileSync(join(project.dir, "compat.ts"), stripped.code);
    const [command, ...args] = quickStart.typeCheck.replace("app.ts", "compat.ts").split(" ");
    const output = await exec(command as string, [...args, "--pretty", "false"], {
      cwd: project.dir,
      env: userEnv(),
    }).then(
      (result) => result.stdout,
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    assertExactlyWrongLinesFail(output, "compat.ts", stripped);
  });

  it("app.ts: without the SessionData augmentation it fails as the README says", async (t) => {
    if (offline !== null) return t.skip(`npm registry unreachable: ${offline}`);
    const quickStart = listed.find((q) => q.file === "app.ts");
    const project = prepared.get("app.ts");
    assert.ok(quickStart?.typeCheck && project !== undefined);
    const block = /declare module "latchkey" \{[\s\S]*?\n\}\n/;
    assert.match(quickStart.code, block);
    writeFileSync(join(project.dir, "plain.ts"), quickStart.code.replace(block, ""));
    const [command, ...args] = quickStart.typeCheck.replace("app.ts", "plain.ts").split(" ");
    const result = await exec(command as string, args, { cwd: project.dir, env: userEnv() }).then(
      () => assert.fail("compiled without the augmentation"),
      (error: { stdout?: string }) => error.stdout ?? "",
    );
    assert.match(result, /'"visits"' is not assignable to parameter of type 'never'/);
  });
});
