// How long `latchkey lint` takes on a repository of 10 000 source files.
//
//   npx tsx bench/lint-speed.ts [fileCount]
//
// Generates a throw-away repository in the OS temp dir (mixed TypeScript and Python: plain
// modules, route handlers that use sessions, session setups, Django/Flask settings), plus a
// node_modules tree that must be skipped, then lints it in-process three times and reports the
// median. The generated tree is deleted afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { lintPaths } from "../packages/latchkey-cli/src/lint/lint.ts";

const fileCount = Number(process.argv[2] ?? 10_000);

function plainModule(i: number): string {
  const lines = [`import { format } from "./format-${i % 50}.ts";`, ""];
  for (let f = 0; f < 12; f++) {
    lines.push(
      `export function compute${i}_${f}(items: number[], factor = ${f + 1}): string {`,
      "  const total = items.reduce((sum, n) => sum + n * factor, 0);",
      `  return format(total / Math.max(items.length, 1), ${f});`,
      "}",
      "",
    );
  }
  return lines.join("\n");
}

function routeModule(i: number): string {
  return `import type { Request, Response } from "express";

export async function cart${i}(req: Request, res: Response) {
  const items = (req.session as { cart?: string[] }).cart ?? [];
  if (req.method === "POST") {
    items.push(String(req.body.sku));
    res.cookie("theme", req.body.theme ?? "light");
  }
  res.json({ items, count: items.length });
}
`;
}

function sessionSetup(i: number): string {
  return `import session from "express-session";
import RedisStore from "connect-redis";

export const sessionMiddleware${i} = session({
  name: "__Host-sid",
  secret: process.env.SESSION_SECRET ?? "dev-secret-${i}",
  store: new RedisStore({ client: globalThis.redis }),
  cookie: { secure: process.env.NODE_ENV === "production", sameSite: "lax", maxAge: 3_600_000 },
});
`;
}

function pythonModule(i: number): string {
  const lines = ["import math", ""];
  for (let f = 0; f < 10; f++) {
    lines.push(
      `def area_${i}_${f}(radius, scale=${f + 1}):`,
      "    return math.pi * radius * radius * scale",
      "",
    );
  }
  return lines.join("\n");
}

function pythonView(i: number): string {
  return `from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def hook_${i}(request):
    request.session["seen"] = True
    return JsonResponse({"ok": True})
`;
}

function settingsModule(i: number): string {
  return `import os
from datetime import timedelta

SECRET_KEY = os.environ.get("SECRET_KEY", "dev")
SESSION_COOKIE_SECURE = ${i % 2 === 0 ? "True" : "False"}
SESSION_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = timedelta(days=${i % 40})
`;
}

const kinds: Array<[weight: number, ext: string, make: (i: number) => string]> = [
  [40, "ts", plainModule],
  [20, "ts", routeModule],
  [5, "ts", sessionSetup],
  [20, "py", pythonModule],
  [10, "py", pythonView],
  [5, "py", settingsModule],
];

function generate(root: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(root, ".git/HEAD"), "ref: refs/heads/main\n");
  write(join(root, ".gitignore"), "dist/\n*.generated.ts\n");
  let i = 0;
  while (i < fileCount) {
    for (const [weight, ext, make] of kinds) {
      for (let w = 0; w < weight && i < fileCount; w++, i++) {
        write(join(root, `pkg${i % 40}`, `mod${Math.floor(i / 400)}`, `file${i}.${ext}`), make(i));
      }
    }
  }
  for (let n = 0; n < 2000; n++)
    write(join(root, "node_modules", `dep${n % 100}`, `index${n}.js`), routeModule(n));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const root = mkdtempSync(join(tmpdir(), "latchkey-lint-bench-"));
try {
  generate(root);
  const times: number[] = [];
  let last: ReturnType<typeof lintPaths> | undefined;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    last = lintPaths([root], root);
    times.push(performance.now() - started);
  }
  const ms = Math.round(median(times));
  console.log(
    `latchkey lint: ${last!.filesScanned} files scanned (${last!.filesParsed} parsed), ` +
      `${last!.findings.length} findings, median ${ms} ms over 3 runs ` +
      `(${Math.round((last!.filesScanned / ms) * 1000)} files/s) on node ${process.version}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
