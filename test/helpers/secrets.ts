import { randomBytes } from "node:crypto";

/** A fresh random secret that passes latchkey's checks. */
export function testSecret(): string {
  return randomBytes(32).toString("base64url");
}
