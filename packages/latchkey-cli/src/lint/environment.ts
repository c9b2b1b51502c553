// Which environment a finding applies to. A setting that only a developer's machine or the test
// suite runs is a note, not a vulnerability: findings there are `info`, and every finding says
// which environment it was judged for (production, development, test or unknown) and why, in one
// line, so a reader can check the judgement.
import type { Finding } from "../report/finding.ts";

export type DeployEnvironment = NonNullable<Finding["environment"]>;

export interface EnvironmentTag {
  environment: DeployEnvironment;
  /** One line: what in the project says so. */
  reason: string;
}

export const UNKNOWN_ENVIRONMENT: EnvironmentTag = {
  environment: "unknown",
  reason: "nothing in the project says which environment runs this configuration",
};

const DEVELOPMENT_WORDS = new Set(["dev", "develop", "development", "local", "debug"]);
const TEST_WORDS = new Set(["test", "tests", "testing", "ci"]);
const PRODUCTION_WORDS = new Set(["prod", "production", "live", "staging", "stage", "release"]);

/**
 * The environment a name is for: `ProductionConfig`, `settings/dev.py`, `"testing"`.
 *
 * @example environmentOfName("TestingConfig") // "test"
 */
export function environmentOfName(name: string): DeployEnvironment {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((w) => PRODUCTION_WORDS.has(w))) return "production";
  if (words.some((w) => TEST_WORDS.has(w))) return "test";
  if (words.some((w) => DEVELOPMENT_WORDS.has(w))) return "development";
  return "unknown";
}

/** A development or test environment: its findings are info. */
export function isNonProduction(tag: EnvironmentTag): boolean {
  return tag.environment === "development" || tag.environment === "test";
}

/**
 * Stamps findings with the environment they apply to (a finding that already has one keeps it).
 * In a development or test configuration a finding drops to `info`, and says why.
 */
export function inEnvironment(findings: readonly Finding[], tag: EnvironmentTag): Finding[] {
  return findings.map((f) => {
    if (f.environment !== undefined) return f;
    const stamped = { ...f, environment: tag.environment, environmentReason: tag.reason };
    if (!isNonProduction(tag) || f.severity === "info") return stamped;
    return {
      ...stamped,
      severity: "info" as const,
      severityReason: `${tag.environment} configuration: ${tag.reason}`,
    };
  });
}

/** Production first: when one problem is reached from two configurations, the stricter one wins. */
export const ENVIRONMENT_RANK: Record<DeployEnvironment, number> = {
  production: 3,
  unknown: 2,
  development: 1,
  test: 0,
};
