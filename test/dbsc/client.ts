// A DBSC client as the W3C draft (2026-02-17) and Chrome describe it, for the tests: it keeps a
// WebCrypto key pair (ES256 or RS256), reads `Secure-Session-Registration` from a response,
// registers with a signed proof (`typ: dbsc+jwt`, `jti` = the challenge, the public key as the
// `jwk` header), and before a request whose bound cookie is gone it refreshes: POST to the
// refresh URL with `Sec-Secure-Session-Id`, sign the challenge a 403 carries, retry.
import type { JsonWebKey, webcrypto } from "node:crypto";
import { type Reply, request } from "../helpers/http.ts";

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type Alg = "ES256" | "RS256";

const PARAMS = {
  ES256: {
    generate: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  },
  RS256: {
    generate: {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    sign: { name: "RSASSA-PKCS1-v1_5" },
  },
} as const;

export interface DeviceKey {
  alg: Alg;
  keys: CryptoKeyPair;
  jwk: JsonWebKey;
}

export async function deviceKey(alg: Alg): Promise<DeviceKey> {
  const keys = (await crypto.subtle.generateKey(PARAMS[alg].generate, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const full = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const jwk: JsonWebKey =
    alg === "ES256"
      ? { kty: "EC", crv: full.crv, x: full.x, y: full.y }
      : { kty: "RSA", n: full.n, e: full.e };
  return { alg, keys, jwk };
}

const b64 = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? Buffer.from(bytes) : bytes).toString("base64url");

/** A compact JWS over `header` and `payload`, signed by `key` (WebCrypto: ES256 is r‖s already). */
export async function signJwt(
  key: DeviceKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(
    PARAMS[key.alg].sign,
    key.keys.privateKey,
    Buffer.from(input),
  );
  return `${input}.${b64(new Uint8Array(signature))}`;
}

/** A DBSC proof for `challenge`; `withKey` puts the public key in the header (registration). */
export function proof(key: DeviceKey, challenge: string, withKey: boolean): Promise<string> {
  const header: Record<string, unknown> = { alg: key.alg, typ: "dbsc+jwt" };
  if (withKey) header.jwk = key.jwk;
  return signJwt(key, header, { jti: challenge, iat: Math.floor(Date.now() / 1000) });
}

/** The parts of a `Secure-Session-Registration` value latchkey sends (one list item). */
export function parseRegistration(
  value: string | null,
): { algorithms: string[]; path: string; challenge: string } | null {
  const match = /^\(([A-Z0-9 ]+)\);path="([^"]+)";challenge="([A-Za-z0-9_-]+)"$/.exec(value ?? "");
  if (match === null) return null;
  return {
    algorithms: (match[1] as string).split(" "),
    path: match[2] as string,
    challenge: match[3] as string,
  };
}

/** `"challenge";id="session"` from a `Secure-Session-Challenge` header. */
export function parseChallenge(value: string | null): { challenge: string; id: string } | null {
  const match = /^"([A-Za-z0-9_-]+)";id="([A-Za-z0-9_-]+)"$/.exec(value ?? "");
  return match === null ? null : { challenge: match[1] as string, id: match[2] as string };
}

interface StoredCookie {
  value: string;
  /** On the test clock; undefined: a session cookie (no Max-Age). */
  expiresAt: number | undefined;
}

/** A browser's cookie jar for one site, with Max-Age on the test clock. */
export class Jar {
  readonly cookies = new Map<string, StoredCookie>();
  constructor(private readonly now: () => number) {}

  take(reply: Reply): void {
    for (const line of reply.setCookies) {
      const [pair, ...attributes] = line.split(";");
      const eq = (pair as string).indexOf("=");
      const name = (pair as string).slice(0, eq).trim();
      const value = (pair as string).slice(eq + 1).trim();
      const maxAge = attributes
        .map((a) => /^\s*max-age=(-?\d+)\s*$/i.exec(a))
        .find((m) => m !== null);
      const seconds = maxAge ? Number(maxAge[1]) : undefined;
      if (value === "" || (seconds !== undefined && seconds <= 0)) this.cookies.delete(name);
      else {
        const expiresAt = seconds === undefined ? undefined : this.now() + seconds * 1000;
        this.cookies.set(name, { value, expiresAt });
      }
    }
  }

  has(name: string): boolean {
    const cookie = this.cookies.get(name);
    return (
      cookie !== undefined && (cookie.expiresAt === undefined || cookie.expiresAt > this.now())
    );
  }

  /** The Cookie header, without cookies past their Max-Age. */
  header(only?: readonly string[]): string | undefined {
    const pairs: string[] = [];
    for (const [name, cookie] of this.cookies) {
      if (only !== undefined && !only.includes(name)) continue;
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= this.now()) continue;
      pairs.push(`${name}=${cookie.value}`);
    }
    return pairs.length === 0 ? undefined : pairs.join("; ");
  }
}

export interface DbscSession {
  id: string;
  refreshUrl: string;
  cookieName: string;
}

/** A browser with DBSC: one jar, one device key, the sessions it registered. */
export class DbscBrowser {
  readonly jar: Jar;
  session: DbscSession | null = null;
  refreshes = 0;

  constructor(
    readonly base: string,
    readonly key: DeviceKey,
    now: () => number,
  ) {
    this.jar = new Jar(now);
  }

  /** A request as the browser sends it: refreshing first when the bound cookie is gone. */
  async fetch(
    path: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    if (this.session !== null && !this.jar.has(this.session.cookieName)) {
      await this.refresh();
    }
    // What Chrome sends on a same-origin request (the app's CSRF middleware reads it); the DBSC
    // requests below carry no Fetch Metadata at all, the hardest case for a CSRF rule.
    // Posts are JSON (fetch() from the page), which a CSRF guard judges by Fetch Metadata alone.
    const post = (init.method ?? "GET") !== "GET";
    const headers: Record<string, string> = { "sec-fetch-site": "same-origin", ...init.headers };
    if (post) headers["content-type"] = "application/json";
    const reply = await request(this.base + path, {
      ...init,
      headers,
      cookie: this.jar.header(),
      ...(post ? { body: "{}" } : {}),
    });
    this.jar.take(reply);
    const offer = parseRegistration(reply.headers.get("secure-session-registration"));
    if (offer?.algorithms.includes(this.key.alg)) await this.register(offer);
    return reply;
  }

  async register(offer: { path: string; challenge: string }): Promise<Reply> {
    const jwt = await proof(this.key, offer.challenge, true);
    const reply = await request(this.base + offer.path, {
      method: "POST",
      cookie: this.jar.header(),
      headers: { "secure-session-response": `"${jwt}"` },
    });
    this.jar.take(reply);
    if (reply.status === 200) {
      const config = JSON.parse(reply.body) as {
        session_identifier: string;
        refresh_url: string;
        credentials: { name: string }[];
      };
      this.session = {
        id: config.session_identifier,
        refreshUrl: config.refresh_url,
        cookieName: (config.credentials[0] as { name: string }).name,
      };
    }
    return reply;
  }

  /** The refresh the spec describes: ask, get a challenge (403), sign it, retry once. */
  async refresh(): Promise<Reply> {
    const session = this.session as DbscSession;
    this.refreshes++;
    const headers: Record<string, string> = { "sec-secure-session-id": `"${session.id}"` };
    let reply = await request(this.base + session.refreshUrl, {
      method: "POST",
      cookie: this.jar.header(),
      headers,
    });
    // A browser stores the cookies of every response, the 403 too (it may carry a rotated token).
    this.jar.take(reply);
    const challenge = parseChallenge(reply.headers.get("secure-session-challenge"));
    if (reply.status === 403 && challenge !== null) {
      const jwt = await proof(this.key, challenge.challenge, false);
      reply = await request(this.base + session.refreshUrl, {
        method: "POST",
        cookie: this.jar.header(),
        headers: { ...headers, "secure-session-response": `"${jwt}"` },
      });
      this.jar.take(reply);
    }
    // Spec: a 4xx other than 403 ends the browser's session.
    if (reply.status >= 400 && reply.status < 500 && reply.status !== 403) this.session = null;
    return reply;
  }
}
