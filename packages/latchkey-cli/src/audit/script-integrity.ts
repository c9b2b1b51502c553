// Scripts a page loads from another origin without Subresource Integrity: whoever controls that
// host (a compromised CDN, an expired domain) runs code in the site's origin, next to its session.
import type { Finding } from "../report/finding.ts";
import type { AuditContext } from "./context.ts";
import { makeFinding } from "./context.ts";
import type { FetchedResponse } from "./fetch.ts";
import { decodeAttribute, startTags } from "./html-tags.ts";
import { isHtmlPage } from "./response-checks.ts";

const SCRIPT: ReadonlySet<string> = new Set(["script"]);
/** Enough examples for the evidence; the count says how many there were. */
const SHOWN = 3;

export function checkScriptIntegrity(response: FetchedResponse, ctx: AuditContext): Finding[] {
  if (!isHtmlPage(response)) return [];
  const page = new URL(response.url);
  const unchecked: string[] = [];
  for (const tag of startTags(response.body, { names: SCRIPT })) {
    const src = tag.attributes.get("src");
    if (src === undefined || (tag.attributes.get("integrity") ?? "").trim() !== "") continue;
    const url = safeUrl(decodeAttribute(src.trim()), page);
    if (url !== undefined && url.origin !== page.origin) unchecked.push(url.href);
  }
  if (unchecked.length === 0) return [];
  const shown = unchecked.slice(0, SHOWN).map((u) => u.slice(0, 160));
  const more = unchecked.length > SHOWN ? ` and ${unchecked.length - SHOWN} more` : "";
  return [
    makeFinding(
      ctx,
      "script-integrity-missing",
      "low",
      "Script from another origin without Subresource Integrity",
      `<script src> without integrity: ${shown.join(", ")}${more}`,
      { url: response.url },
    ),
  ];
}

function safeUrl(href: string, base: URL): URL | undefined {
  try {
    const url = new URL(href, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
