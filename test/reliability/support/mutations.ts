// Mutations of real session cookie values (sealed cookies `1.<key id>.<body>` and server tokens
// `<id>.<secret>`), and of the Cookie header that carries them. Each operator mimics a way a value
// gets damaged or forged in the wild: bit rot, proxies that re-encode or wrap headers, clients
// that confuse base64 alphabets, attackers that splice real values together.
import type { Rng } from "./prng.ts";

export const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export interface Corpus {
  kind: "sealed" | "token";
  /** Real values minted by the engine: material for splices between genuine parts. */
  readonly originals: readonly string[];
  /** Key ids of the engine's secrets (sealed cookies). */
  readonly keyIds: readonly string[];
}

export interface Mutant {
  /** The whole Cookie header to present. */
  header: string;
  /** The operators applied, for the failure report. */
  steps: string[];
}

type Operator = (value: string, r: Rng, corpus: Corpus) => string;

const NON_ASCII = [
  "é",
  "€",
  "😀",
  "\u0000",
  "\u00ff",
  "\ud800", // a lone surrogate
  "\uff21", // fullwidth A
  "\u0430", // Cyrillic a, looks like "a"
  "\u200b", // zero-width space
  "\u00a0",
  "\u2024", // one dot leader, looks like "."
];
const STRAY = '.=%+/ ;,"\\\t';

function at(value: string, i: number): string {
  return value.charAt(Math.min(i, value.length - 1));
}

function splice(value: string, index: number, remove: number, insert: string): string {
  return value.slice(0, index) + insert + value.slice(index + remove);
}

function pos(value: string, r: Rng): number {
  return r.int(Math.max(value.length, 1));
}

/** Segments between dots, and the index of one base64url segment worth damaging. */
function payloadSegment(value: string, corpus: Corpus, r: Rng): { segs: string[]; i: number } {
  const segs = value.split(".");
  if (corpus.kind === "sealed") return { segs, i: Math.min(2, segs.length - 1) };
  return { segs, i: r.int(Math.min(segs.length, 2)) };
}

const operators: Record<string, Operator> = {
  "bit-flip-char": (v, r) => {
    if (v === "") return v;
    const i = pos(v, r);
    return splice(v, i, 1, String.fromCharCode(v.charCodeAt(i) ^ (1 << r.int(8))));
  },
  // Flips a bit of the decoded bytes and re-encodes canonically: a well-formed value that only the
  // cryptographic checks (GCM tag, id MAC, secret hash) can refuse.
  "bit-flip-decoded": (v, r, corpus) => {
    const { segs, i } = payloadSegment(v, corpus, r);
    const bytes = Buffer.from(segs[i] ?? "", "base64url");
    if (bytes.length === 0) return v;
    const byte = r.int(bytes.length);
    bytes[byte] = (bytes[byte] as number) ^ (1 << r.int(8));
    segs[i] = bytes.toString("base64url");
    return segs.join(".");
  },
  "insert-char": (v, r) => {
    const pool = r.chance(0.7) ? B64URL : STRAY;
    return splice(v, r.int(v.length + 1), 0, at(pool, r.int(pool.length)));
  },
  "insert-byte": (v, r) => splice(v, r.int(v.length + 1), 0, String.fromCharCode(r.int(256))),
  "delete-chars": (v, r) => splice(v, pos(v, r), 1 + r.int(4), ""),
  truncate: (v, r) => v.slice(0, r.int(v.length)),
  "alphabet-swap": (v, r) => {
    const i = pos(v, r);
    let c = at(B64URL, r.int(64));
    if (c === v[i]) c = c === "A" ? "B" : "A";
    return splice(v, i, 1, c);
  },
  // Changes only the unused low bits of the last character: a lenient decoder reads the same bytes.
  "last-char-spare-bits": (v, r) => {
    const last = B64URL.indexOf(v.charAt(v.length - 1));
    if (last === -1) return v;
    return splice(v, v.length - 1, 1, at(B64URL, last ^ (1 + r.int(3))));
  },
  "base64-alphabet-confusion": (v, r) => {
    switch (r.int(4)) {
      case 0:
        return v.replace(/-/g, "+").replace(/_/g, "/");
      case 1:
        return `${v}${r.pick(["=", "==", "==="])}`;
      case 2: {
        const i = pos(v, r);
        return splice(v, i, 1, r.pick(["+", "/", "="]));
      }
      default: {
        const segs = v.split(".");
        const i = r.int(segs.length);
        segs[i] = Buffer.from(segs[i] ?? "", "base64url").toString("base64");
        return segs.join(".");
      }
    }
  },
  "case-flip": (v, r) => {
    const letters = [...v.matchAll(/[A-Za-z]/g)].map((m) => m.index);
    if (letters.length === 0) return v;
    const i = r.pick(letters);
    const c = v.charAt(i);
    return splice(v, i, 1, c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase());
  },
  // Percent-encoding as a proxy might apply it: valid escapes (the same value once decoded),
  // double escapes, broken escapes.
  "percent-encode": (v, r) => {
    const i = pos(v, r);
    const hex = v.charCodeAt(i).toString(16).padStart(2, "0");
    const escaped = r.chance(0.5) ? hex.toUpperCase() : hex;
    switch (r.int(4)) {
      case 0:
        return splice(v, i, 1, `%${escaped}`);
      case 1:
        return splice(v, i, 1, `%25${escaped}`);
      case 2:
        return splice(v, i, 1, r.pick(["%", "%G1", "%2", "%zz", "%u0041"]));
      default:
        return [...v].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
    }
  },
  "whitespace-wrap": (v, r) => {
    const ws = () => r.pick([" ", "\t", "  ", " \t", "\r\n ", "\n", "\u000b", "\f"]);
    switch (r.int(4)) {
      case 0:
        return `${ws()}${v}${ws()}`;
      case 1:
        return `${v}${ws()}`;
      case 2:
        return `"${v}"`;
      default:
        return splice(v, pos(v, r), 0, ws());
    }
  },
  // Sealed: another configured key's id, an unknown one, or a genuine body under another key id.
  // Tokens: the id of one real token with the secret of another.
  "key-id-swap": (v, r, corpus) => {
    const segs = v.split(".");
    const other = r.pick(corpus.originals).split(".");
    if (corpus.kind === "token") {
      return r.chance(0.5) ? `${segs[0]}.${other[1]}` : `${other[0]}.${segs[1]}`;
    }
    switch (r.int(3)) {
      case 0:
        segs[1] = r.pick(corpus.keyIds);
        break;
      case 1:
        segs[1] = Array.from({ length: 8 }, () => at(B64URL, r.int(64))).join("");
        break;
      default:
        segs[2] = other[2] ?? "";
    }
    return segs.join(".");
  },
  "duplicate-segment": (v, r) => {
    const segs = v.split(".");
    switch (r.int(4)) {
      case 0: {
        const i = r.int(segs.length);
        segs.splice(i, 0, segs[i] ?? "");
        return segs.join(".");
      }
      case 1:
        return `${v}${v}`;
      case 2:
        return `${v}.${v}`;
      default:
        return segs.reverse().join(".");
    }
  },
  "huge-length": (v, r) => {
    const length = r.pick([4096, 4097, 8192, 16_384, 65_536, 262_144]);
    const filler = r.chance(0.5) || v === "" ? at(B64URL, r.int(64)) : v;
    const fill = filler.repeat(Math.ceil(length / filler.length));
    return (r.chance(0.5) ? v + fill : fill + v).slice(0, length);
  },
  "non-ascii": (v, r) => {
    const c = r.pick(NON_ASCII);
    return r.chance(0.5) ? splice(v, r.int(v.length + 1), 0, c) : splice(v, pos(v, r), 1, c);
  },
  empty: () => "",
};

const OPERATOR_NAMES = Object.keys(operators);
// Operators whose cost grows with the value: kept rare so a run stays within its time budget.
const RARE = new Set(["huge-length", "empty"]);

/** Where the damaged value goes: alone, among other cookies, next to the genuine one. */
function header(
  name: string,
  value: string,
  original: string,
  r: Rng,
): { header: string; step: string } {
  switch (r.int(8)) {
    case 0:
      return { header: `theme=dark; ${name}=${value}; lang=en`, step: "among-others" };
    case 1:
      // The first occurrence is the one servers read: the genuine value after it must not rescue it.
      return { header: `${name}=${value}; ${name}=${original}`, step: "before-genuine" };
    case 2:
      return { header: `${name}=${value};`, step: "trailing-semicolon" };
    case 3:
      // A look-alike cookie name carries the genuine value: it is not the session cookie.
      return {
        header: `${r.pick([name.toLowerCase(), `${name}_`, name.slice(1), ` ${name}x`])}=${original}; ${name}=${value}`,
        step: "look-alike-name",
      };
    default:
      return { header: `${name}=${value}`, step: "plain" };
  }
}

/** One to three operators applied to `original`, wrapped in a Cookie header. */
export function mutate(original: string, name: string, corpus: Corpus, r: Rng): Mutant {
  const steps: string[] = [];
  let value = original;
  const count = 1 + r.int(3);
  for (let k = 0; k < count; k++) {
    let op = r.pick(OPERATOR_NAMES);
    if (RARE.has(op) && !r.chance(0.25)) op = "bit-flip-decoded";
    steps.push(op);
    value = (operators[op] as Operator)(value, r, corpus);
  }
  const wrapped = header(name, value, original, r);
  steps.push(wrapped.step);
  return { header: wrapped.header, steps };
}
