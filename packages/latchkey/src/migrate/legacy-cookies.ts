import { parse } from "cookie";

/**
 * The request's cookies named in `names`: undefined when it carries none of them (the common
 * request, which migration leaves alone), "ambiguous" when one of them appears twice (a sibling
 * subdomain or a plain-http page can plant a second one; which one a parser keeps would be the
 * attacker's choice).
 */
export function legacyCookies(
  header: string | null | undefined,
  names: readonly string[],
): ReadonlyMap<string, string> | "ambiguous" | undefined {
  if (header === null || header === undefined || header === "") return undefined;
  if (!names.some((name) => header.includes(`${name}=`))) return undefined;
  const counts = new Map<string, number>();
  for (const pair of header.split(";")) {
    const name = pair.slice(0, pair.indexOf("=") >>> 0).trim();
    if (names.includes(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  for (const count of counts.values()) if (count > 1) return "ambiguous";
  const parsed = parse(header);
  const found = new Map<string, string>();
  for (const name of counts.keys()) {
    const value = parsed[name];
    if (value !== undefined) found.set(name, value);
  }
  return found;
}
