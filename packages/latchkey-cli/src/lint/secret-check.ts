// The check for signing/encryption secrets, shared by every framework front end.
import { isWellKnownSecret, secretWeakness } from "latchkey";
import type { Finding } from "../report/finding.ts";
import type { OptionSpec } from "./cookie-checks.ts";
import { lintFinding, type RuleId } from "./rules.ts";
import { redactSecret } from "./value.ts";

export interface SecretSpec extends OptionSpec {
  file: string;
  where?: string;
}

/**
 * Checks a signing/encryption secret. A well-known secret is `critical`: anyone can forge
 * sessions. A short literal is `high` (a single signed cookie lets an attacker brute-force it
 * offline, as flask-unsign does), and so is one that fails the library's strength check
 * (`secretWeakness`: repeated patterns, sequences, keyboard walks, words, too little entropy),
 * the same rule `createSessions()` refuses at startup. Any other literal is `high` as well,
 * under its own id: it is in every clone, fork, backup and CI log of the repository, and
 * rotating it needs a deploy.
 * A string that is published (package.json's "name") is `critical` too: it is no secret at all.
 * Secrets read from the environment are fine; a literal *fallback* for an unset variable is
 * reported, because that is what production runs with when the variable is missing.
 */
export function checkSecret(spec: SecretSpec): Finding[] {
  const findings: Finding[] = [];
  const { setting } = spec;
  if (setting === undefined) return findings;
  const where = spec.where ?? "";
  const emit = (id: RuleId, severity: Finding["severity"], evidence: string) =>
    findings.push(
      lintFinding({
        id,
        severity,
        file: setting.file ?? spec.file,
        at: setting.at,
        evidence: `${evidence}${where}`,
        fix: spec.fix,
      }),
    );
  const isList = setting.value.kind === "list";
  const values = setting.value.kind === "list" ? setting.value.items : [setting.value];
  for (const [index, value] of values.entries()) {
    const key = isList ? `${spec.key}[${index}]` : spec.key;
    if (value.kind === "string" && value.value !== "") {
      const shown = redactSecret(value.value);
      const why = value.value.length < 32 ? null : secretWeakness(value.value);
      if (value.public !== undefined)
        emit(
          "session-secret-weak",
          "critical",
          `${key} = ${shown}, ${value.public}: public wherever the package or its repository is`,
        );
      else if (isWellKnownSecret(value.value))
        emit("session-secret-weak", "critical", `${key} = ${shown}, a well-known example secret`);
      else if (value.value.length < 32)
        emit("session-secret-weak", "high", `${key} = ${shown}: shorter than 32 characters`);
      else if (why !== null) emit("session-secret-weak", "high", `${key} = ${shown}: it ${why}`);
      else emit("session-secret-hardcoded", "high", `${key} = ${shown} is written in the source`);
    } else if (
      value.kind === "env" &&
      value.fallback?.kind === "string" &&
      value.fallback.value !== ""
    ) {
      const fallback = value.fallback.value;
      const shown = redactSecret(fallback);
      const variable = value.name ?? "the variable";
      const why = fallback.length < 32 ? null : secretWeakness(fallback);
      if (isWellKnownSecret(fallback) || fallback.length < 32 || why !== null) {
        emit(
          "session-secret-weak",
          "high",
          `${key} falls back to ${shown} when ${variable} is unset${why === null ? "" : `, and it ${why}`}`,
        );
      } else {
        emit(
          "session-secret-hardcoded",
          "medium",
          `${key} falls back to a literal (${shown}) when ${variable} is unset`,
        );
      }
    }
  }
  return findings;
}
