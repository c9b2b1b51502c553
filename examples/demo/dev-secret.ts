// The demo runs with no configuration: it needs a session secret, so it makes one once and keeps
// it in a git-ignored file. A real deployment sets SESSION_SECRET from its secret manager.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("../../.latchkey-dev-secret", import.meta.url);

export function developmentSecret(): string {
  const fromEnv = process.env.SESSION_SECRET;
  if (fromEnv) return fromEnv;
  if (existsSync(FILE)) return readFileSync(FILE, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(FILE, `${secret}\n`, { mode: 0o600 });
  console.warn(
    "latchkey demo: no SESSION_SECRET set, so a development secret was generated into .latchkey-dev-secret " +
      "(git-ignored). Never use it in production.",
  );
  return secret;
}
