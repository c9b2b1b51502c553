// Runs code taken from the docs: the snippet is copied into a file inside this package (so that
// `import "latchkey"` resolves to it) and started with node; its printed URL is awaited.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";

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
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
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
  return { url, child, output: () => output };
}
