// Validates SARIF logs against the official SARIF 2.1.0 JSON schema (draft-04), the file the
// audit tests ship in test/fixtures/audit. Shared by `latchkey audit` and `latchkey lint` tests.
import { readFileSync } from "node:fs";
import AjvDraft04 from "ajv-draft-04";

const schema = JSON.parse(
  readFileSync(new URL("../fixtures/audit/sarif-2.1.0-rtm.5.schema.json", import.meta.url), "utf8"),
);
// The official schema has one language-tag pattern that is not valid in unicode mode.
const ajv = new AjvDraft04.default({
  allErrors: true,
  strict: false,
  unicodeRegExp: false,
  logger: false,
});
const validate = ajv.compile(schema);

/** Schema errors for a SARIF log, as readable strings; empty when the log is valid. */
export function sarifErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
