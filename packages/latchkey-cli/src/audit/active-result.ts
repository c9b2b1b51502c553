// What the active checks hand back before the framework (and so each fix) is known.
import type { Severity } from "../report/finding.ts";

export interface PendingFinding {
  id: string;
  severity: Severity;
  title: string;
  evidence: string;
  url?: string;
  cookie?: string;
}

/** The site could not be logged into or probed as described: a usage error (exit 2), not a finding. */
export class AuditLoginError extends Error {}
