// Reads a `Secure-Session-Registration` header as Chrome does: an RFC 9651 structured-field List
// whose members are inner lists of algorithm tokens with `path` and `challenge` parameters, e.g.
// `(ES256 RS256);path="/dbsc/register";challenge="…"`. The header comes from the audited site and
// may be hostile: one pass over at most MAX_REGISTRATION_HEADER characters, index-based, no
// regular expression that can backtrack, never throws, and keeps only what the check needs.

/** Longest header read at all: a real offer is about a hundred characters. */
export const MAX_REGISTRATION_HEADER = 8192;
/** List members kept (each is one registration the browser would attempt). */
const MAX_OFFERS = 16;
/** Algorithm tokens kept per offer. */
const MAX_ALGORITHMS = 16;

// Parameters Chrome drops the whole offer for when they are not strings.
const STRING_PARAMETERS: ReadonlySet<string> = new Set(["path", "challenge", "authorization"]);

/** One list member: an inner list of algorithms and the parameters Chrome reads. */
export interface RegistrationOffer {
  /** The inner list's tokens (at most 16); empty when the member was not an inner list. */
  algorithms: string[];
  /** False when the member was a bare item rather than `( … )`. */
  innerList: boolean;
  /** The `path` parameter when it is an sf-string. */
  path?: string;
  /** The `challenge` parameter's length when it is an sf-string (the value itself is a nonce). */
  challengeLength?: number;
  /** `path`, `challenge` or `authorization` present but not a string. */
  wrongTypes: string[];
}

export type ParsedRegistration =
  | { ok: true; offers: RegistrationOffer[]; members: number }
  | { ok: false; reason: string };

/**
 * The header's offers, or why it is not a structured-field List. Never throws.
 *
 * @example parseRegistrationHeader('(ES256);path="/r";challenge="c"').ok // true
 */
export function parseRegistrationHeader(value: string): ParsedRegistration {
  if (value.length > MAX_REGISTRATION_HEADER)
    return { ok: false, reason: `longer than ${MAX_REGISTRATION_HEADER} characters` };
  return new Parser(value).list();
}

const SP = 0x20;
const HTAB = 0x09;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isLcAlpha(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isAlpha(c: number): boolean {
  return isLcAlpha(c) || (c >= 0x41 && c <= 0x5a);
}
// RFC 9110 tchar, plus ":" and "/" which sf-token allows after the first character.
function isTokenChar(c: number): boolean {
  return (
    isAlpha(c) ||
    isDigit(c) ||
    c === 0x3a ||
    c === 0x2f ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
  );
}
function isBase64(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2f || c === 0x3d;
}

type Bare =
  | { kind: "string"; value: string }
  | { kind: "token"; value: string }
  | { kind: "other" };

// Each step returns false (or null) on the first fault, recorded in `fault`; the callers stop
// there. No exceptions: the CLI throws nothing but CliError, and a parse error is not one.
class Parser {
  private i = 0;
  private readonly s: string;
  fault = "";
  constructor(value: string) {
    // RFC 9651 §4.2: leading and trailing SP are discarded before parsing.
    let start = 0;
    let end = value.length;
    while (start < end && value.charCodeAt(start) === SP) start++;
    while (end > start && value.charCodeAt(end - 1) === SP) end--;
    this.s = value.slice(start, end);
  }

  private peek(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  private fail(what: string): false {
    this.fault = `not a structured-field list: ${what} at character ${this.i + 1}`;
    return false;
  }

  list(): ParsedRegistration {
    const offers: RegistrationOffer[] = [];
    let members = 0;
    if (this.s.length === 0) return { ok: false, reason: "empty" };
    while (this.i < this.s.length) {
      const offer = this.member();
      if (offer === null) return { ok: false, reason: this.fault };
      members++;
      if (offers.length < MAX_OFFERS) offers.push(offer);
      while (this.peek() === SP || this.peek() === HTAB) this.i++;
      if (this.i >= this.s.length) break;
      if (this.peek() !== 0x2c) {
        this.fail("expected a comma between members");
        return { ok: false, reason: this.fault };
      }
      this.i++;
      while (this.peek() === SP || this.peek() === HTAB) this.i++;
      if (this.i >= this.s.length) {
        this.fail("trailing comma");
        return { ok: false, reason: this.fault };
      }
    }
    return { ok: true, offers, members };
  }

  private member(): RegistrationOffer | null {
    const offer: RegistrationOffer = { algorithms: [], innerList: false, wrongTypes: [] };
    if (this.peek() === 0x28) {
      offer.innerList = true;
      this.i++;
      for (;;) {
        while (this.peek() === SP) this.i++;
        if (this.peek() === 0x29) {
          this.i++;
          break;
        }
        if (this.i >= this.s.length) return this.fail("unbalanced parenthesis") || null;
        const item = this.bareItem();
        if (item === null || !this.parameters(undefined)) return null;
        if (item.kind === "token" && offer.algorithms.length < MAX_ALGORITHMS)
          offer.algorithms.push(item.value);
        const next = this.peek();
        if (next !== SP && next !== 0x29)
          return this.fail("expected a space or ) in the inner list") || null;
      }
    } else if (this.bareItem() === null) return null;
    return this.parameters(offer) ? offer : null;
  }

  // Parameters of a member go into `offer` (last one of a name wins, as RFC 9651 says); those
  // of items inside the inner list are read and dropped.
  private parameters(offer: RegistrationOffer | undefined): boolean {
    while (this.peek() === 0x3b) {
      this.i++;
      while (this.peek() === SP) this.i++;
      const key = this.key();
      if (key === null) return false;
      let value: Bare | null = { kind: "other" };
      if (this.peek() === 0x3d) {
        this.i++;
        value = this.bareItem();
        if (value === null) return false;
      }
      if (offer === undefined || !STRING_PARAMETERS.has(key)) continue;
      offer.wrongTypes = offer.wrongTypes.filter((k) => k !== key);
      if (value.kind !== "string") {
        offer.wrongTypes.push(key);
        if (key === "path") delete offer.path;
        else if (key === "challenge") delete offer.challengeLength;
      } else if (key === "path") offer.path = value.value;
      else if (key === "challenge") offer.challengeLength = value.value.length;
    }
    return true;
  }

  private key(): string | null {
    const start = this.i;
    const first = this.peek();
    if (!isLcAlpha(first) && first !== 0x2a)
      return this.fail("a parameter name must start with a-z or *") || null;
    this.i++;
    for (;;) {
      const c = this.peek();
      if (isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a)
        this.i++;
      else break;
    }
    return this.s.slice(start, this.i);
  }

  private bareItem(): Bare | null {
    const c = this.peek();
    if (c === 0x22) {
      const value = this.string();
      return value === null ? null : { kind: "string", value };
    }
    if (isAlpha(c) || c === 0x2a) {
      const start = this.i;
      this.i++;
      while (isTokenChar(this.peek())) this.i++;
      return { kind: "token", value: this.s.slice(start, this.i) };
    }
    let ok: boolean;
    if (c === 0x2d || isDigit(c)) ok = this.number();
    else if (c === 0x3a) ok = this.byteSequence();
    else if (c === 0x3f) ok = this.boolean();
    else if (c === 0x40) {
      this.i++;
      ok = this.number();
    } else if (c === 0x25) ok = this.displayString();
    else ok = this.fail(c === -1 ? "a value is missing" : "unexpected character");
    return ok ? { kind: "other" } : null;
  }

  private string(): string | null {
    this.i++;
    let out = "";
    let run = this.i;
    for (;;) {
      const c = this.peek();
      if (c === -1) return this.fail("unterminated string") || null;
      if (c === 0x22) {
        out += this.s.slice(run, this.i);
        this.i++;
        return out;
      }
      if (c === 0x5c) {
        const next = this.s.charCodeAt(this.i + 1);
        if (next !== 0x22 && next !== 0x5c) return this.fail("bad escape in a string") || null;
        out += this.s.slice(run, this.i) + String.fromCharCode(next);
        this.i += 2;
        run = this.i;
      } else if (c < 0x20 || c > 0x7e)
        return this.fail("control or non-ASCII character in a string") || null;
      else this.i++;
    }
  }

  private number(): boolean {
    if (this.peek() === 0x2d) this.i++;
    let digits = 0;
    let dot = -1;
    for (;;) {
      const c = this.peek();
      if (isDigit(c)) digits++;
      else if (c === 0x2e && dot === -1 && digits > 0) dot = digits;
      else break;
      this.i++;
      if (dot === -1 ? digits > 15 : dot > 12 || digits - dot > 3)
        return this.fail("number too long");
    }
    return digits === 0 || dot === digits ? this.fail("bad number") : true;
  }

  private byteSequence(): boolean {
    this.i++;
    while (isBase64(this.peek())) this.i++;
    if (this.peek() !== 0x3a) return this.fail("unterminated byte sequence");
    this.i++;
    return true;
  }

  private boolean(): boolean {
    this.i++;
    const c = this.peek();
    if (c !== 0x30 && c !== 0x31) return this.fail("bad boolean");
    this.i++;
    return true;
  }

  private displayString(): boolean {
    this.i++;
    if (this.peek() !== 0x22) return this.fail("bad display string");
    this.i++;
    const hex = (k: number) => isDigit(k) || (k >= 0x61 && k <= 0x66);
    for (;;) {
      const c = this.peek();
      if (c === 0x22) {
        this.i++;
        return true;
      }
      if (c === 0x25) {
        if (!hex(this.s.charCodeAt(this.i + 1)) || !hex(this.s.charCodeAt(this.i + 2)))
          return this.fail("bad percent-escape in a display string");
        this.i += 3;
      } else if (c < 0x20 || c > 0x7e) return this.fail("unterminated display string");
      else this.i++;
    }
  }
}
