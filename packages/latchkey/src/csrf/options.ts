import { type Duration, parseDuration } from "../core/duration.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { OriginPolicy } from "./origin.ts";
import { type PreSessionCookie, resolvePreSessionCookie } from "./pre-session.ts";

/** Options of `csrfMiddleware` (the same in every adapter). */
export interface CsrfOptions {
  /**
   * Origins allowed to send state-changing requests, exactly as browsers send them in `Origin`
   * (`"https://example.com"`, `"https://app.example.com:8443"`). Default: the origin the request
   * was sent to. Requests marked `Sec-Fetch-Site: same-site` (a sibling subdomain) pass only when
   * their origin is listed here.
   */
  allowedOrigins?: readonly string[];
  /**
   * Behind a reverse proxy that terminates TLS or rewrites the host: derive the request's own
   * origin from `X-Forwarded-Proto` / `X-Forwarded-Host`. Enable only when the proxy sets (and
   * overwrites) those headers. Default `false`. Not needed when `allowedOrigins` is set.
   */
  trustProxy?: boolean;
  /**
   * Accept requests that carry neither `Origin` nor `Referer` (and no Fetch Metadata). Browsers
   * send one of them on every cross-origin POST, so this mainly helps non-browser clients; the
   * token rule still applies to form-like requests. Default `false`.
   */
  allowMissingOrigin?: boolean;
  /**
   * `"form"` (default): a token is required for requests a cross-site form could send
   * (urlencoded, multipart, text/plain, or POST without a body type). `"always"`: for every
   * checked request.
   */
  requireToken?: "form" | "always";
  /**
   * For JSON APIs: refuse the form-like content types outright (403 `content-type-refused`), so
   * only requests a cross-site page cannot send without a CORS preflight get through. Default `false`.
   */
  rejectSimpleContentTypes?: boolean;
  /**
   * Methods that are checked. Default: every method except GET, HEAD, OPTIONS and TRACE. A route
   * that changes state on GET can opt in with `methods: ["GET", "POST"]`.
   */
  methods?: readonly string[];
  /**
   * How many body bytes are read looking for a `_csrf` field; a longer form body without the
   * field in them is refused with 413. Default: the framework's own body limit where it can be
   * read (Fastify's `bodyLimit`), else 100 KB (Express's body parsers' default).
   */
  bodyLimit?: number;
  /**
   * How long the body may stop arriving while the `_csrf` field is looked for; then the request
   * is refused with 408 and the connection closed. `"10s"` (default), or milliseconds.
   */
  bodyTimeout?: Duration;
  /** The cookie that carries the pre-session value (login forms). Default `__Host-csrf`, Secure. */
  preSessionCookie?: { name?: string; secure?: boolean };
}

export interface ResolvedCsrfOptions {
  readonly origin: OriginPolicy;
  readonly trustProxy: boolean;
  readonly requireToken: "form" | "always";
  readonly rejectSimpleContentTypes: boolean;
  /** null: every method except the safe ones. */
  readonly methods: ReadonlySet<string> | null;
  /** null: the framework's own limit, else `DEFAULT_BODY_LIMIT`. */
  readonly bodyLimit: number | null;
  readonly bodyTimeoutMs: number;
  readonly cookie: PreSessionCookie;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
/** Express's `urlencoded()` and `json()` default: what most apps accept already. */
export const DEFAULT_BODY_LIMIT = 100 * 1024;

export function resolveCsrfOptions(options: CsrfOptions = {}): ResolvedCsrfOptions {
  const configured = new Set((options.allowedOrigins ?? []).map(checkOrigin));
  const requireToken = options.requireToken ?? "form";
  if (requireToken !== "form" && requireToken !== "always") {
    throw new LatchkeyError("config-invalid", 'csrf requireToken must be "form" or "always".');
  }
  const bodyLimit = options.bodyLimit ?? null;
  if (bodyLimit !== null && (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1)) {
    throw new LatchkeyError("config-invalid", "csrf bodyLimit must be a positive number of bytes.");
  }
  return {
    origin: {
      configured,
      deriveFromRequest: configured.size === 0,
      allowMissing: options.allowMissingOrigin ?? false,
    },
    trustProxy: options.trustProxy ?? false,
    requireToken,
    rejectSimpleContentTypes: options.rejectSimpleContentTypes ?? false,
    methods:
      options.methods === undefined ? null : new Set(options.methods.map((m) => m.toUpperCase())),
    bodyLimit,
    bodyTimeoutMs: parseDuration(options.bodyTimeout ?? "10s", "csrf bodyTimeout"),
    cookie: resolvePreSessionCookie(options.preSessionCookie),
  };
}

export function isCheckedMethod(options: ResolvedCsrfOptions, method: string): boolean {
  const upper = method.toUpperCase();
  return options.methods === null ? !SAFE_METHODS.has(upper) : options.methods.has(upper);
}

/** An allowed origin must be written exactly as browsers serialize it: no path, no wildcard. */
function checkOrigin(text: string): string {
  let origin: string | null = null;
  try {
    const url = new URL(text);
    if (url.protocol === "https:" || url.protocol === "http:") origin = url.origin;
  } catch {
    // reported below
  }
  if (origin === null || origin !== text) {
    throw new LatchkeyError(
      "config-invalid",
      `csrf allowedOrigins: ${JSON.stringify(text)} is not a serialized origin; write it as ` +
        `${origin === null ? '"https://example.com"' : JSON.stringify(origin)} (scheme, host and ` +
        "non-default port only, no path or trailing slash, no wildcard).",
    );
  }
  return origin;
}
