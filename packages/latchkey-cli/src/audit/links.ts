// Link targets in an HTML page: href, src, action and formaction attributes and meta refresh
// URLs. The crawl needs candidate URLs, not a DOM; the tag scanner is linear on hostile pages
// and never throws.
import { decodeAttribute, startTags } from "./html-tags.ts";

const LINK_ATTRIBUTES = ["href", "src", "action", "formaction"] as const;
const NOT_A_PAGE = /^(?:javascript|mailto|tel|data):/i;
/** A page linking to more than this is a link farm; the crawl could not visit them all anyway. */
const MAX_LINKS = 2000;

export function extractLinks(html: string, deadline?: number): string[] {
  const out = new Set<string>();
  for (const tag of startTags(html, deadline !== undefined ? { deadline } : {})) {
    for (const name of LINK_ATTRIBUTES) {
      const value = tag.attributes.get(name);
      if (value !== undefined) out.add(decodeAttribute(value.trim()));
    }
    if (tag.name === "meta") {
      const target = refreshTarget(tag.attributes);
      if (target !== undefined) out.add(decodeAttribute(target));
    }
    if (out.size > MAX_LINKS) break;
  }
  out.delete("");
  return [...out].filter((href) => !NOT_A_PAGE.test(href)).slice(0, MAX_LINKS);
}

// <meta http-equiv="refresh" content="5; url=/next">: the URL after "url=", quotes optional.
function refreshTarget(attributes: ReadonlyMap<string, string>): string | undefined {
  if (attributes.get("http-equiv")?.trim().toLowerCase() !== "refresh") return undefined;
  const content = attributes.get("content") ?? "";
  const at = content.toLowerCase().indexOf("url");
  if (at < 0) return undefined;
  let rest = content.slice(at + 3).trimStart();
  if (!rest.startsWith("=")) return undefined;
  rest = rest.slice(1).trim();
  if (rest.startsWith('"') || rest.startsWith("'")) {
    const close = rest.indexOf(rest[0]!, 1);
    rest = close < 0 ? rest.slice(1) : rest.slice(1, close);
  }
  return rest.trim() || undefined;
}
