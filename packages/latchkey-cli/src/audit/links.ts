// Link targets in an HTML page: href, src, action and meta refresh URLs. A regular expression
// scan is enough here: the crawl needs candidate URLs, not a DOM, and must never throw.
const ATTRIBUTE = /\b(?:href|src|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))/gi;
const META_REFRESH =
  /<meta[^>]+http-equiv\s*=\s*["']?refresh[^>]*content\s*=\s*["'][^"']*url\s*=\s*([^"'>\s]+)/gi;

export function extractLinks(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(ATTRIBUTE))
    out.add(decodeEntities((m[1] ?? m[2] ?? m[3] ?? "").trim()));
  for (const m of html.matchAll(META_REFRESH)) out.add(decodeEntities(m[1] ?? ""));
  out.delete("");
  return [...out].filter((href) => !/^(?:javascript|mailto|tel|data):/i.test(href)).slice(0, 2000);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, "&")
    .replace(/&#38;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}
