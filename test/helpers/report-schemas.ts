// Validators for the JSON Schemas latchkey-cli publishes (packages/latchkey-cli/schemas), with
// Ajv's 2020-12 dialect in strict mode and the standard formats (date-time).
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const schemaDir = new URL("../../packages/latchkey-cli/schemas/", import.meta.url);

/** A published schema, parsed. */
// biome-ignore lint/suspicious/noExplicitAny: a schema is read by path in tests, whatever its shape
export function readSchema(name: string): any {
  return JSON.parse(readFileSync(new URL(`${name}.schema.json`, schemaDir), "utf8"));
}

// strictRequired is off: `oneOf: [{ required: [a] }, { required: [b] }]` names properties
// defined beside it, which is how JSON Schema says "exactly one of".
const ajv = new Ajv2020.default({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
addFormats.default(ajv);

function compile(name: string): (value: unknown) => string[] {
  const validate = ajv.compile(readSchema(name));
  return (value) =>
    validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

/** Schema errors for an `audit --json` report; empty when valid. */
export const auditReportErrors = compile("audit-report");
/** Schema errors for a `lint --json` report; empty when valid. */
export const lintReportErrors = compile("lint-report");
/** Schema errors for a login description; empty when valid. */
export const loginDescriptionErrors = compile("login-description");
