// Text from the audited site inside an HTML report: escaped for element content and quoted
// attribute values alike, with control characters (ESC sequences, bidi overrides, NUL) shown as
// visible escapes the way the terminal report shows them, so nothing can become markup, hide
// text or reorder what the reader sees.
import { escapeForTerminal } from "./terminal-text.ts";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * `text` as inert HTML (content or a double- or single-quoted attribute value).
 *
 * @example escapeHtml('"><img src=x onerror=alert(1)>') // "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
 */
export function escapeHtml(text: string): string {
  return escapeForTerminal(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
