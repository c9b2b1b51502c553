// Tries known weak and example secrets against a signed cookie. A hit means anyone can forge a
// session (log in as any user); with Flask's pickle-free sessions that is still account takeover.
// Every candidate is a couple of HMACs: the bundled list takes milliseconds per cookie.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { WEAK_SECRETS } from "latchkey";
import { deriveFlaskKey as deriveKey } from "latchkey/flask";
import { safeDecodeURIComponent } from "./client-session.ts";

export type SignedFormat =
  | "flask"
  | "django-signed"
  | "cookie-signature"
  | "keygrip"
  | "jwt"
  | "flask-login-remember";

export interface SignedCookie {
  format: SignedFormat;
  /** Constant-time: true when `secret` produced this cookie's signature. */
  signedWith(secret: Buffer): boolean;
}

// Exact-case secrets as they appear in docs and tutorials (WEAK_SECRETS is lowercased).
const EXACT_CASE: readonly (string | Buffer)[] = [
  Buffer.from('_5#y2L"F4Q8z\n\xec]/', "latin1"), // Flask docs: b'_5#y2L"F4Q8z\n\xec]/'
  "\u0002\u0001thisismyscretkey\u0001\u0002\\e\\y\\y\\h", // Flask-AppBuilder
  "SECRET_KEY",
  "SECRET",
  "MY_SECRET_KEY",
  "CHANGE_ME",
  "ChangeMe",
  "Secret",
  "SuperSecret",
  "super secret key",
  "This is a secret",
  "SEKRIT1",
  "SEKRIT2",
  "YourSecretKey!!!",
  "SomeRandomString",
  "SomeRandomKey!!!",
  "ThisTokenIsNotSoSecretChangeIt",
  "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
  "2gyZ3GDw3LHZQKDhPmPDL3sjREVRXPr8",
  "mq9hDxBVDbspDR6n",
  "s3Cur3",
  "!!!SET DJANGO_SECRET_KEY!!!",
];

// The manglings people apply to an example secret when told to "change it": a digit or a year
// on the end, "my"/"dev"/"prod" in front, a different separator. Applied to the lowercase form
// only, which keeps the list near 6,400 candidates (a fraction of a second per cookie).
const SUFFIXES = ["1", "12", "123", "1234", "!", "0", "01", "2023", "2024", "2025"];
const PREFIXES = ["my", "my-", "my_", "dev-", "prod-", "the"];

/**
 * The bundled candidates: every WEAK_SECRETS entry as written, UPPER and Capitalised, with
 * its separators swapped, suffixed and prefixed; then the exact-case extras.
 */
export function bundledCandidates(): Buffer[] {
  const texts = new Set<string>();
  for (const s of WEAK_SECRETS) {
    for (const form of separatorForms(s)) {
      texts.add(form);
      texts.add(form.toUpperCase());
      texts.add(form.charAt(0).toUpperCase() + form.slice(1));
    }
    for (const suffix of SUFFIXES) texts.add(s + suffix);
    for (const prefix of PREFIXES) texts.add(prefix + s);
  }
  const out: Buffer[] = [...texts].map((s) => Buffer.from(s, "utf8"));
  for (const s of EXACT_CASE) out.push(typeof s === "string" ? Buffer.from(s, "utf8") : s);
  return dedupe(out);
}

/** "keyboard cat" → also "keyboard-cat", "keyboard_cat", "keyboardcat". */
function separatorForms(secret: string): string[] {
  const words = secret.split(/[ _-]/);
  if (words.length < 2 || words.some((w) => w === "")) return [secret];
  return [secret, ...[" ", "-", "_", ""].map((sep) => words.join(sep))];
}

/** One candidate per line (CR/LF tolerant); blank lines skipped. */
export function parseWordlist(text: string): Buffer[] {
  return dedupe(
    text
      .split(/\r?\n/)
      .filter((line) => line !== "")
      .map((line) => Buffer.from(line, "utf8")),
  );
}

function dedupe(list: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return list.filter((b) => {
    const k = b.toString("hex");
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function findSecret(
  cookie: SignedCookie,
  candidates: readonly Buffer[],
): Buffer | undefined {
  return candidates.find((secret) => cookie.signedWith(secret));
}

/** Recognises a signed cookie format; `jar` holds the other cookies seen (for keygrip's `.sig`). */
export function signedCookieFor(
  name: string,
  rawValue: string,
  jar: ReadonlyMap<string, string>,
): SignedCookie | undefined {
  const value = safeDecodeURIComponent(rawValue);
  return (
    jwt(value) ??
    cookieSignature(value) ??
    keygrip(name, rawValue, jar) ??
    flask(value) ??
    django(name, value) ??
    flaskLoginRemember(value)
  );
}

function jwt(value: string): SignedCookie | undefined {
  const parts = value.split(".");
  if (parts.length !== 3 || !value.startsWith("eyJ")) return undefined;
  let alg: unknown;
  try {
    alg = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")).alg;
  } catch {
    return undefined;
  }
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[String(alg)];
  if (hash === undefined) return undefined;
  const signed = `${parts[0]}.${parts[1]}`;
  const sig = decodeB64(parts[2]!);
  return {
    format: "jwt",
    signedWith: (secret) => equal(createHmac(hash, secret).update(signed).digest(), sig),
  };
}

// express-session / cookie-parser: "s:" + value + "." + base64(HMAC-SHA256(secret, value)), "=" stripped.
function cookieSignature(value: string): SignedCookie | undefined {
  if (!value.startsWith("s:")) return undefined;
  const dot = value.lastIndexOf(".");
  if (dot < 3) return undefined;
  const signed = value.slice(2, dot);
  const sig = decodeB64(value.slice(dot + 1));
  if (sig.length !== 32) return undefined;
  return {
    format: "cookie-signature",
    signedWith: (secret) => equal(createHmac("sha256", secret).update(signed).digest(), sig),
  };
}

// cookie-session / cookies + keygrip: a sibling cookie "<name>.sig" = HMAC-SHA1(key, "<name>=<value>").
function keygrip(
  name: string,
  rawValue: string,
  jar: ReadonlyMap<string, string>,
): SignedCookie | undefined {
  const sigText = jar.get(`${name}.sig`);
  if (sigText === undefined) return undefined;
  const sig = decodeB64(sigText);
  const data = `${name}=${rawValue}`;
  return {
    format: "keygrip",
    signedWith: (secret) => equal(createHmac("sha1", secret).update(data).digest(), sig),
  };
}

function flask(value: string): SignedCookie | undefined {
  const sigDot = value.lastIndexOf(".");
  const signed = value.slice(0, sigDot);
  const tsDot = signed.lastIndexOf(".");
  if (
    sigDot <= 0 ||
    tsDot <= 0 ||
    !/^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value)
  )
    return undefined;
  const sig = decodeB64(value.slice(sigDot + 1));
  if (sig.length !== 20) return undefined;
  return {
    format: "flask",
    signedWith: (secret) =>
      equal(
        createHmac("sha1", deriveKey(secret, "cookie-session")).update(signed, "latin1").digest(),
        sig,
      ),
  };
}

// django.core.signing: "<payload>[:<timestamp>]:<sig>", sig = base64url(HMAC-SHA256(
// sha256(salt + "signer" + key), payload[:timestamp])). Session cookies use the signed_cookies
// salt and SECRET_KEY; set_signed_cookie and the messages framework prefix the key.
function django(name: string, value: string): SignedCookie | undefined {
  const colon = value.lastIndexOf(":");
  if (colon <= 0 || !/^\.?[A-Za-z0-9_-]+(?::[A-Za-z0-9]+)?:[A-Za-z0-9_-]{43}$/.test(value))
    return undefined;
  const signed = value.slice(0, colon);
  const sig = decodeB64(value.slice(colon + 1));
  // The salted prefix of each key derivation is hashed once; each candidate continues a copy.
  const variants = [
    ["django.contrib.sessions.backends.signed_cookies", ""],
    [name, "django.http.cookies"],
    ["django.contrib.messages", "django.http.cookies"],
  ].map(([salt, prefix]) => createHash("sha256").update(`${salt}signer`).update(prefix!));
  return {
    format: "django-signed",
    signedWith: (secret) =>
      variants.some((prefixed) => {
        const key = prefixed.copy().update(secret).digest();
        return equal(createHmac("sha256", key).update(signed).digest(), sig);
      }),
  };
}

// Flask-Login's remember cookie: "<user id>|" + hex(HMAC-SHA512(SECRET_KEY, user id)).
function flaskLoginRemember(value: string): SignedCookie | undefined {
  const bar = value.lastIndexOf("|");
  if (bar <= 0 || !/^[0-9a-f]{128}$/.test(value.slice(bar + 1))) return undefined;
  const payload = value.slice(0, bar);
  const sig = Buffer.from(value.slice(bar + 1), "hex");
  return {
    format: "flask-login-remember",
    signedWith: (secret) => equal(createHmac("sha512", secret).update(payload).digest(), sig),
  };
}

function decodeB64(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
