// Runs test/flask/flask_oracle.py (real Flask) on a batch of cases.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export type OracleCase =
  | { op: "sign"; secret: string; fallbacks?: string[]; tagged: string; timestamp: number }
  | { op: "load"; secret: string; fallbacks?: string[]; cookie: string; max_age?: number | null };

export type OracleAnswer = { cookie?: string; ok?: boolean; tagged?: string; error?: string };

const script = fileURLToPath(new URL("./flask_oracle.py", import.meta.url));

export function askFlask(cases: OracleCase[]): OracleAnswer[] {
  const result = spawnSync("python3", [script], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`flask oracle failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as OracleAnswer[];
}
