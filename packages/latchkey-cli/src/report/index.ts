export { exitCodeFor } from "./exit-code.ts";
export type { Finding, Report, ReportStep, Severity, SourceLocation } from "./finding.ts";
export { parseSeverity, SEVERITIES, severityAtLeast, sortFindings } from "./finding.ts";
export { formatHtml } from "./html.ts";
export { formatJson } from "./json.ts";
export type { PrettyOptions } from "./pretty.ts";
export { formatPretty } from "./pretty.ts";
export type { SarifTool } from "./sarif.ts";
export { formatSarif } from "./sarif.ts";
