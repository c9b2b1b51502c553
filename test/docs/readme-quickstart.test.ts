// The README's Express quick start, run exactly as written: copied into a file, started with
// node, and driven over HTTP. If the docs drift from the code, this fails.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CookieJar, request } from "../helpers/http.ts";

/** The first fenced block of `lang` after the line containing `marker`. */
export function snippetAfter(markdown: string, marker: string, lang: string): string {
  const start = markdown.indexOf(marker);
  assert.ok(start >= 0, `README has "${marker}"`);
  const open = markdown.indexOf(`\`\`\`${lang}\n`, start);
  const close = markdown.indexOf("\n```", open + 4);
  assert.ok(open >= 0 && close > open, `a \`\`\`${lang} block follows "${marker}"`);
  return markdown.slice(open + lang.length + 4, close + 1);
}

/** Starts `node file` inside this package (so `import "latchkey"` resolves to it) and waits for its URL. */
export async function startSnippet(
  file: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  // The latchkey-dev export condition maps the package's own imports to src/ (no build needed).
  const child = spawn(process.execPath, ["--conditions=latchkey-dev", "--import", "tsx", file], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; output:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`exited with ${code}; output:\n${output}`)));
  });
  return { url, child };
}

describe("README quick start (Express)", () => {
  let child: ChildProcess | undefined;
  after(() => child?.kill());

  it("runs as written: sessions, login with a new token, logout", async () => {
    const readme = readFileSync("README.md", "utf8");
    const code = snippetAfter(readme, "Save as `app.mjs`", "js");
    const dir = join("test-artifacts", "quickstart");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "app.mjs");
    writeFileSync(file, code);

    const started = await startSnippet(file, {
      PORT: "0",
      SESSION_SECRET: randomBytes(32).toString("base64url"),
    });
    child = started.child;
    const { url } = started;
    const jar = new CookieJar("__Host-session");

    const first = await request(`${url}/`, { cookie: jar.header });
    jar.take(first);
    assert.deepEqual(JSON.parse(first.body), { visits: 1, user: null });
    assert.match(
      first.setCookies[0] as string,
      /^__Host-session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    assert.equal(JSON.parse((await request(`${url}/`, { cookie: jar.header })).body).visits, 2);

    const before = jar.value;
    const login = await request(`${url}/login`, {
      method: "POST",
      cookie: jar.header,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user=alice",
    });
    assert.equal(login.status, 303);
    jar.take(login);
    assert.notEqual(jar.value, before);
    assert.deepEqual(JSON.parse((await request(`${url}/`, { cookie: jar.header })).body), {
      visits: 3,
      user: "alice",
    });

    const logout = await request(`${url}/logout`, { method: "POST", cookie: jar.header });
    assert.equal(logout.headers.get("clear-site-data"), '"cookies"');
    jar.take(logout);
    assert.equal(jar.value, undefined);
  });
});
