// What the active checks hand back before the framework (and so each fix) is known.
import type { FindingIdOf } from "../findings/catalogue.ts";
import type { Severity } from "../report/finding.ts";

export interface PendingFinding {
  id: FindingIdOf<"audit">;
  severity: Severity;
  title: string;
  evidence: string;
  url?: string;
  cookie?: string;
}
