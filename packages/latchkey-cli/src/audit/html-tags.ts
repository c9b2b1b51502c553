// Start tags and their attributes in an HTML page the audited site controls. Index-based and
// single pass: every character is looked at a bounded number of times, so a hostile page (a flood
// of `<meta `, a tag that never closes, an attribute run of megabytes) costs time linear in its
// length. Regular expressions with a `[^>]*` between two anchors restart at every `<` and go
// quadratic on exactly those pages. Lenient like a browser, never throws.

/** How much of a page the checks read. Real pages put their head, scripts and links in far less
 * (the HTTP Archive's 90th percentile HTML document is about 150 KB); a page larger than this is
 * judged by its first megabyte rather than costing the audit time it could spend elsewhere. */
export const ANALYSED_HTML_CHARS = 1024 * 1024;

export interface HtmlTag {
  /** Lower case, e.g. "meta". */
  name: string;
  /** Attribute names lower case; the first occurrence wins, as in a browser. Values undecoded. */
  attributes: Map<string, string>;
}

export interface ScanOptions {
  /** Only tags with these (lower-case) names are returned; every tag when absent. */
  names?: ReadonlySet<string>;
  /** `performance.now()` value after which scanning stops (the page's share of `--timeout`). */
  deadline?: number;
}

/** The start tags of `html` (its first ANALYSED_HTML_CHARS characters), in document order. */
export function* startTags(html: string, options: ScanOptions = {}): Generator<HtmlTag> {
  const page = html.length > ANALYSED_HTML_CHARS ? html.slice(0, ANALYSED_HTML_CHARS) : html;
  let i = 0;
  let seen = 0;
  while (i < page.length) {
    const lt = page.indexOf("<", i);
    if (lt < 0) return;
    if (
      options.deadline !== undefined &&
      ++seen % 256 === 0 &&
      performance.now() > options.deadline
    )
      return;
    if (page.startsWith("<!--", lt)) {
      const close = page.indexOf("-->", lt + 4);
      if (close < 0) return;
      i = close + 3;
      continue;
    }
    let end = lt + 1;
    while (end < page.length && isNameChar(page.charCodeAt(end))) end++;
    if (end === lt + 1 || !isLetter(page.charCodeAt(lt + 1))) {
      i = lt + 1;
      continue;
    }
    const name = page.slice(lt + 1, end).toLowerCase();
    const wanted = options.names === undefined || options.names.has(name);
    const parsed = readAttributes(page, end, wanted);
    i = parsed.next;
    if (wanted) yield { name, attributes: parsed.attributes };
  }
}

// From just after the tag name to just after its `>` (or the end of the page). `keep` false
// skips the same way without building strings, for tags nobody asked for.
function readAttributes(
  page: string,
  from: number,
  keep: boolean,
): { attributes: Map<string, string>; next: number } {
  const attributes = new Map<string, string>();
  let i = from;
  for (;;) {
    while (i < page.length && (isSpace(page.charCodeAt(i)) || page.charCodeAt(i) === SLASH)) i++;
    if (i >= page.length) return { attributes, next: i };
    if (page.charCodeAt(i) === GT) return { attributes, next: i + 1 };
    const nameStart = i;
    while (i < page.length && !endsAttributeName(page.charCodeAt(i))) i++;
    // A stray quote or `=` where a name should start: consume it so the scan always advances.
    if (i === nameStart) i++;
    const name = page.slice(nameStart, i).toLowerCase();
    let j = i;
    while (j < page.length && isSpace(page.charCodeAt(j))) j++;
    let value = "";
    if (page.charCodeAt(j) === EQUALS) {
      j++;
      while (j < page.length && isSpace(page.charCodeAt(j))) j++;
      const quote = page.charCodeAt(j);
      if (quote === DQUOTE || quote === SQUOTE) {
        const close = page.indexOf(quote === DQUOTE ? '"' : "'", j + 1);
        const stop = close < 0 ? page.length : close;
        if (keep) value = page.slice(j + 1, stop);
        j = close < 0 ? page.length : close + 1;
      } else {
        const start = j;
        while (j < page.length && !isSpace(page.charCodeAt(j)) && page.charCodeAt(j) !== GT) j++;
        if (keep) value = page.slice(start, j);
      }
      i = j;
    }
    if (keep && name !== "" && !attributes.has(name)) attributes.set(name, value);
  }
}

const SLASH = 0x2f;
const GT = 0x3e;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isNameChar(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

function endsAttributeName(c: number): boolean {
  return isSpace(c) || c === SLASH || c === GT || c === EQUALS || c === DQUOTE || c === SQUOTE;
}

/** The few entities that appear in attribute URLs and tokens; other text is left as is. */
export function decodeAttribute(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(
    /&(?:amp|quot|lt|gt|#39|#38|#x27|#x2f);/gi,
    (entity) => ENTITIES[entity.toLowerCase()] ?? entity,
  );
}

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&#38;": "&",
  "&quot;": '"',
  "&lt;": "<",
  "&gt;": ">",
  "&#39;": "'",
  "&#x27;": "'",
  "&#x2f;": "/",
};
