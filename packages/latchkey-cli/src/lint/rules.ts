// The finding ids `latchkey lint` can produce. Ids shared with `latchkey audit` (DESIGN.md) mean
// the same problem, seen in code instead of on the wire; the rest exist only in source code.
import type { Finding, Severity } from "../report/finding.ts";
import type { Position } from "./value.ts";

export type RuleId =
  | "cookie-missing-secure"
  | "cookie-missing-httponly"
  | "cookie-samesite-missing"
  | "cookie-samesite-none-insecure"
  | "cookie-samesite-none"
  | "cookie-samesite-invalid"
  | "cookie-lifetime-long"
  | "cookie-name-fingerprint"
  | "cookie-domain-broad"
  | "session-secret-weak"
  // lint only:
  | "session-secret-hardcoded"
  | "session-store-memory"
  | "session-engine-signed-cookies"
  | "session-timeout-missing"
  | "csrf-disabled"
  | "csrf-exempt-view";

interface RuleInfo {
  title: string;
  standard: string;
}

export const RULES: Readonly<Record<RuleId, RuleInfo>> = {
  "cookie-missing-secure": {
    title: "Session cookie may travel over plain HTTP (Secure is off)",
    standard: "ASVS 5.0 3.3.1",
  },
  "cookie-missing-httponly": {
    title: "Session cookie is readable by JavaScript (HttpOnly is off)",
    standard: "ASVS 5.0 3.3.4",
  },
  "cookie-samesite-missing": {
    title: "Session cookie has no explicit SameSite",
    standard: "ASVS 5.0 3.3.2",
  },
  "cookie-samesite-none-insecure": {
    title: "SameSite=None without Secure",
    standard: "ASVS 5.0 3.3.2",
  },
  "cookie-samesite-none": {
    title: "Session cookie sent on cross-site requests (SameSite=None)",
    standard: "ASVS 5.0 3.3.2",
  },
  "cookie-samesite-invalid": {
    title: "Session cookie with an invalid SameSite value",
    standard: "ASVS 5.0 3.3.2",
  },
  "cookie-lifetime-long": {
    title: "Session lifetime longer than 24 hours",
    standard: "ASVS 5.0 7.3.2",
  },
  "cookie-name-fingerprint": {
    title: "Framework-default session cookie name",
    standard: "OWASP Session Management Cheat Sheet: Session ID Name Fingerprinting",
  },
  "cookie-domain-broad": {
    title: "Session cookie shared with subdomains (Domain is set)",
    standard: "ASVS 5.0 3.3.3",
  },
  "session-secret-weak": {
    title: "Session secret is well known or too short",
    standard: "ASVS 5.0 11.2.3",
  },
  "session-secret-hardcoded": {
    title: "Session secret is hard-coded in source",
    standard: "ASVS 5.0 13.3.1, CWE-798",
  },
  "session-store-memory": {
    title: "Sessions kept in the process's memory (default MemoryStore)",
    standard: "CWE-401",
  },
  "session-engine-signed-cookies": {
    title: "Django sessions stored in signed cookies",
    standard: "ASVS 5.0 7.4.1",
  },
  "session-timeout-missing": {
    title: "No session timeout configured",
    standard: "ASVS 5.0 7.3.1",
  },
  "csrf-disabled": {
    title: "CSRF protection disabled",
    standard: "ASVS 5.0 3.5.1",
  },
  "csrf-exempt-view": {
    title: "State-changing view exempt from CSRF protection",
    standard: "ASVS 5.0 3.5.1",
  },
};

export const RULE_IDS = Object.keys(RULES) as RuleId[];

export interface FindingInput {
  id: RuleId;
  severity: Severity;
  file: string;
  at: Position;
  evidence: string;
  fix: string;
  cookie?: string;
}

/** Builds a report finding for a place in a source file. */
export function lintFinding(input: FindingInput): Finding {
  const rule = RULES[input.id];
  return {
    id: input.id,
    severity: input.severity,
    title: rule.title,
    ...(input.cookie !== undefined ? { cookie: input.cookie } : {}),
    evidence: input.evidence,
    standard: rule.standard,
    fix: input.fix,
    location: {
      file: input.file,
      line: input.at.line,
      column: input.at.column,
      ...(input.at.endLine !== undefined ? { endLine: input.at.endLine } : {}),
      ...(input.at.endColumn !== undefined ? { endColumn: input.at.endColumn } : {}),
    },
  };
}
