// Credentials the login description reads from the environment (`{ "env": "NAME" }`) must not
// reach any output. The requests that carry them are described without their values; this is the
// second line: a site can echo a credential back (a username in a redirect, a password in an
// error page quoted as evidence), so every string of the report is searched for them too.
import type { Report } from "../report/finding.ts";
import type { LoginDescription, RequestSpec } from "./login-description.ts";

export interface SecretValue {
  /** The environment variable it came from: what the report shows instead. */
  name: string;
  value: string;
  /** What replaces it; `(value of $NAME)` when absent. */
  shown?: string;
}

// Shorter values ("1", "on") occur in ordinary text by chance; replacing them would garble the
// report without protecting anything a guess would not find.
export const MIN_SCRUBBED_LENGTH = 4;

/** The values of every `{ "env": NAME }` in the description that is set in `env`. */
export function environmentSecrets(
  description: LoginDescription,
  env: NodeJS.ProcessEnv,
): SecretValue[] {
  const specs: (RequestSpec | undefined)[] = [
    description.login,
    description.logout,
    description.csrfProbe,
  ];
  const out = new Map<string, SecretValue>();
  // A browser login's fields are filled with the same kind of values (a password, mostly).
  const browserFields = description.login.browser?.fill.map((f) => f.value) ?? [];
  for (const spec of specs) {
    for (const part of [spec?.form, spec?.json, spec?.headers, browserFields]) {
      for (const value of Object.values(part ?? {})) {
        if (value === null || typeof value !== "object") continue;
        const text = env[value.env];
        if (text !== undefined && text.length >= MIN_SCRUBBED_LENGTH)
          out.set(text, { name: value.env, value: text });
      }
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out.values()].sort((a, b) => b.value.length - a.value.length);
}

/**
 * `text` with every secret value (also URL-encoded, and in the shortened form the audit's
 * evidence gives cookie values, `abcd…(40 chars)`) replaced by where it came from.
 */
export function scrubSecrets(text: string, secrets: readonly SecretValue[]): string {
  let out = text;
  for (const { name, value, shown: replacement } of secrets) {
    const shown = replacement ?? `(value of $${name})`;
    out = out.split(value).join(shown);
    out = out.split(`${value.slice(0, 4)}…(${value.length} chars)`).join(shown);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) out = out.split(encoded).join(shown);
  }
  return out;
}

/** The report with every string of its findings, steps and page list scrubbed. */
export function scrubReport(report: Report, secrets: readonly SecretValue[]): Report {
  if (secrets.length === 0) return report;
  const scrub = (text: string) => scrubSecrets(text, secrets);
  return {
    target: scrub(report.target),
    ...(report.run?.kind === "audit"
      ? {
          run: {
            ...report.run,
            pages: { count: report.run.pages.count, urls: report.run.pages.urls.map(scrub) },
          },
        }
      : {}),
    ...(report.run?.kind === "lint" ? { run: report.run } : {}),
    findings: report.findings.map((f) => ({
      ...f,
      title: scrub(f.title),
      evidence: scrub(f.evidence),
      ...(f.severityReason !== undefined ? { severityReason: scrub(f.severityReason) } : {}),
      ...(f.url !== undefined ? { url: scrub(f.url) } : {}),
      ...(f.cookie !== undefined ? { cookie: scrub(f.cookie) } : {}),
    })),
    ...(report.skipped !== undefined
      ? {
          skipped: report.skipped.map((s) => ({
            check: s.check,
            ...(s.cookie !== undefined ? { cookie: scrub(s.cookie) } : {}),
            reason: scrub(s.reason),
          })),
        }
      : {}),
    ...(report.steps !== undefined
      ? {
          steps: report.steps.map((s) => ({
            check: s.check,
            sent: scrub(s.sent),
            received: scrub(s.received),
            ...(s.note !== undefined ? { note: scrub(s.note) } : {}),
          })),
        }
      : {}),
  };
}
