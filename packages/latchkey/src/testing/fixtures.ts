// Entries and checks the conformance suite builds its tests from.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { SessionMeta, StoredSession } from "../stores/types.ts";

/** JSON texts a careless store would re-format or lose, under keys a careless store would mangle. */
export const TRICKY_DATA: Record<string, string> = Object.assign(Object.create(null), {
  spaced: '{ "b" : 1,  "a" : [ 1 , 2 ] }',
  order: '{"z":1,"a":2}',
  float: "1.0",
  exponent: "1e3",
  escaped: '"\\u00e9\\n\\"\\\\"',
  unicode: '"ünïcödé ✓ 😀"',
  nul: '"a\\u0000b"',
  nested: '{"a":{"b":{"c":[null,true,false,{}]}}}',
  number: "12345678901234567890",
  "a.b": "1",
  "$weird key[0]": "2",
  'quote"key': "3",
  "": "4",
  "d:": "5",
  ключ: "6",
  ["__proto__"]: '"not a prototype"',
  constructor: '"not a function"',
});

export function fresh(): string {
  return randomBytes(16).toString("base64url");
}

export function baseMeta(overrides: Partial<SessionMeta> = {}): SessionMeta {
  const now = Date.now();
  return {
    sid: fresh(),
    createdAt: now,
    lastSeenAt: now,
    issuedAt: now,
    expiresAt: now + 3_600_000,
    userId: null,
    authTime: null,
    persistent: false,
    userAgent: null,
    successor: null,
    ...overrides,
  };
}

export function session(
  options: { data?: Record<string, string>; userId?: string; expiresAt?: number } = {},
): StoredSession {
  const meta = baseMeta({
    ...(options.userId === undefined ? {} : { userId: options.userId, authTime: Date.now() }),
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  });
  return { secretHash: fresh(), meta, data: options.data ?? {} };
}

export function assertData(
  actual: Record<string, string> | undefined,
  expected: Record<string, string>,
  message?: string,
): void {
  assert.ok(actual, "the entry exists");
  assert.deepEqual(sorted(actual), sorted(expected), message);
}

function sorted(data: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const key of Object.keys(data).sort()) out[key] = data[key] as string;
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
