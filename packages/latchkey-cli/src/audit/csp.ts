// Reads a Content-Security-Policy the way a browser does (CSP Level 3) and says which of the
// protections a session depends on it leaves out. Plain tokenising on ";", "," and whitespace:
// the header comes from the audited site, so nothing here backtracks.

/** One policy: directive name (lower case) → its source expressions (lower case). */
export type Policy = ReadonlyMap<string, readonly string[]>;

export type CspWeaknessId =
  | "csp-unsafe-inline"
  | "csp-unsafe-eval"
  | "csp-script-src-broad"
  | "csp-object-src-missing"
  | "csp-base-uri-missing";

export interface CspWeakness {
  id: CspWeaknessId;
  /** What in the policy causes it, for the evidence. */
  detail: string;
}

/** Several headers (or one with commas) are several policies; each must allow a load. */
export function parsePolicies(header: string): Policy[] {
  return header.split(",").map((text) => {
    const directives = new Map<string, string[]>();
    for (const part of text.split(";")) {
      const [name, ...values] = part
        .trim()
        .toLowerCase()
        .split(/[ \t\n\f\r]+/);
      // The first occurrence of a directive wins; browsers ignore repeats.
      if (name !== undefined && name !== "" && !directives.has(name)) directives.set(name, values);
    }
    return directives;
  });
}

/** The weaknesses every policy in `header` shares (a load blocked by any one policy is blocked). */
export function cspWeaknesses(header: string): CspWeakness[] {
  const policies = parsePolicies(header);
  const out: CspWeakness[] = [];
  for (const check of CHECKS) {
    const details = policies.map(check.find);
    if (details.every((d) => d !== undefined)) out.push({ id: check.id, detail: details[0]! });
  }
  return out;
}

/** script-src (or default-src) with 'unsafe-inline' and no nonce or hash that would void it. */
export function allowsInlineScript(header: string): boolean {
  return parsePolicies(header).every((policy) => inlineScript(policy) !== undefined);
}

const CHECKS: { id: CspWeaknessId; find: (policy: Policy) => string | undefined }[] = [
  { id: "csp-unsafe-inline", find: inlineScript },
  { id: "csp-unsafe-eval", find: evalScript },
  { id: "csp-script-src-broad", find: broadScript },
  { id: "csp-object-src-missing", find: objectSrc },
  { id: "csp-base-uri-missing", find: baseUri },
];

// Which directive governs <script> elements, with the fallback chain of CSP Level 3.
function scriptElementSources(
  policy: Policy,
): { name: string; sources: readonly string[] } | undefined {
  for (const name of ["script-src-elem", "script-src", "default-src"]) {
    const sources = policy.get(name);
    if (sources !== undefined) return { name, sources };
  }
  return undefined;
}

// A nonce or hash makes CSP Level 2+ browsers ignore 'unsafe-inline'; 'strict-dynamic' (with
// one) also makes them ignore host and scheme allowlists.
function hasNonceOrHash(sources: readonly string[]): boolean {
  return sources.some((s) => s.startsWith("'nonce-") || HASH_PREFIXES.some((p) => s.startsWith(p)));
}
const HASH_PREFIXES = ["'sha256-", "'sha384-", "'sha512-"];

function inlineScript(policy: Policy): string | undefined {
  const script = scriptElementSources(policy);
  if (script === undefined) return "no script-src or default-src";
  const { name, sources } = script;
  if (!sources.includes("'unsafe-inline'")) return undefined;
  if (hasNonceOrHash(sources) || sources.includes("'strict-dynamic'")) return undefined;
  return `${name} 'unsafe-inline'`;
}

function evalScript(policy: Policy): string | undefined {
  // eval() is governed by script-src, then default-src (never script-src-elem).
  const name = policy.has("script-src") ? "script-src" : "default-src";
  const sources = policy.get(name);
  if (sources?.includes("'unsafe-eval'")) return `${name} 'unsafe-eval'`;
  return undefined;
}

// `*`, a bare scheme such as `https:` or `data:`, or a scheme with a wildcard host lets script
// come from anywhere an attacker can put a file.
function broadScript(policy: Policy): string | undefined {
  const script = scriptElementSources(policy);
  if (script === undefined) return "no script-src or default-src";
  const { name, sources } = script;
  if (sources.includes("'strict-dynamic'") && hasNonceOrHash(sources)) return undefined;
  const broad = sources.filter(isBroadSource);
  return broad.length === 0 ? undefined : `${name} ${broad.join(" ")}`;
}

function isBroadSource(source: string): boolean {
  if (source === "*") return true;
  if (/^[a-z][a-z0-9+.-]*:$/.test(source)) return true;
  return /^[a-z][a-z0-9+.-]*:\/\/\*(?::[0-9*]+)?\/?$/.test(source);
}

function objectSrc(policy: Policy): string | undefined {
  const name = policy.has("object-src") ? "object-src" : "default-src";
  const sources = policy.get(name);
  // An empty source list matches nothing, like 'none'.
  if (
    sources !== undefined &&
    (sources.length === 0 || (sources.length === 1 && sources[0] === "'none'"))
  )
    return undefined;
  return sources === undefined
    ? "no object-src or default-src"
    : `${name} ${sources.join(" ") || "(empty)"}`;
}

// base-uri has no fallback to default-src: without it an injected <base> redirects every
// relative script URL to the attacker's host.
function baseUri(policy: Policy): string | undefined {
  return policy.has("base-uri") ? undefined : "no base-uri";
}
