import type { Sessions } from "../core/engine.ts";
import { LatchkeyError } from "../core/errors.ts";
import type { Session } from "../core/session.ts";
import { bodyKindOf, isFormLike } from "./content-type.ts";
import { type FormTokenScanner, formTokenScanner } from "./form-token.ts";
import {
  type CsrfOptions,
  DEFAULT_BODY_LIMIT,
  isCheckedMethod,
  type ResolvedCsrfOptions,
  resolveCsrfOptions,
} from "./options.ts";
import { checkOrigin, requestOriginOf } from "./origin.ts";
import {
  attachCsrfContext,
  type CsrfRequestContext,
  csrfContextOf,
  requestTokenMatches,
} from "./pre-session.ts";
import type { CsrfRefusal } from "./reasons.ts";
import type { CsrfTokens } from "./tokens.ts";

// The CSRF decision, written once for every adapter. Adapters translate their request into a
// `CsrfRequest` and a refusal into an answer (adapters/kit/answers.ts); the rules live here
// (OWASP CSRF cheat sheet; ASVS 5.0 3.5.1–3.5.3).

/** What the guard needs from a request. Header names are lower-case. */
export interface CsrfRequest {
  readonly method: string;
  header(name: string): string | null | undefined;
  /** The scheme of the connection the server accepted (before any proxy headers). */
  readonly protocol: "http" | "https";
  /** A `_csrf` field the framework already parsed from the body, if any. */
  parsedFormField?(): unknown;
  /** The framework's own body limit in bytes, when it has one that can be read. */
  readonly bodyLimit?: number | undefined;
  /**
   * Feeds the body to `scanner` until it has an answer, leaving the body readable for the
   * application. Holds at most `limits.bytes` bytes (and never more than the declared
   * Content-Length); a longer body without the token is `BODY_TOO_LARGE`, a body that stops
   * arriving for `limits.idleMs` is `BODY_TIMEOUT`. Otherwise resolves with the token, or null.
   */
  scanBody(scanner: FormTokenScanner, limits: BodyLimits): Promise<BodyScan>;
}

export interface BodyLimits {
  readonly bytes: number;
  readonly idleMs: number;
}

/** Why a body could not be scanned to its end. */
export interface BodyRefusal {
  readonly refusal: "body-too-large" | "body-timeout";
}
export const BODY_TOO_LARGE: BodyRefusal = Object.freeze({ refusal: "body-too-large" });
export const BODY_TIMEOUT: BodyRefusal = Object.freeze({ refusal: "body-timeout" });

/** The token, null (none in the body), or why the body was refused. */
export type BodyScan = string | null | BodyRefusal;

export interface CsrfGuard {
  readonly options: ResolvedCsrfOptions;
  /** Attaches the request's CSRF state to its session, so `session.csrfToken()` works. */
  attach(
    session: Session<object>,
    cookieHeader: string | null | undefined,
    onIssue?: CsrfRequestContext["onIssue"],
  ): CsrfRequestContext;
  /** null: the request may proceed. A refusal has already been reported as a `csrf-refused` event. */
  check(session: Session<object>, request: CsrfRequest): Promise<CsrfRefusal | null>;
}

/** Header carrying the token for fetch/XHR requests. */
export const TOKEN_HEADER = "x-csrf-token";

/** The engine's token issuer; see `Sessions.csrf`. */
export function csrfTokensOf<T extends object>(sessions: Sessions<T>): CsrfTokens {
  const tokens = (sessions as { csrf?: CsrfTokens }).csrf;
  if (tokens === undefined) {
    throw new LatchkeyError(
      "argument-invalid",
      "csrfMiddleware(sessions) needs the sessions object that createSessions() returned.",
    );
  }
  return tokens;
}

export function csrfGuard<T extends object>(
  sessions: Sessions<T>,
  csrfOptions?: CsrfOptions,
): CsrfGuard {
  const options = resolveCsrfOptions(csrfOptions);
  const tokens = csrfTokensOf(sessions);

  async function decide(
    session: Session<object>,
    request: CsrfRequest,
  ): Promise<CsrfRefusal | null> {
    if (!isCheckedMethod(options, request.method)) return null;
    const h = (name: string) => request.header(name);
    const originRefusal = checkOrigin(
      options.origin,
      { secFetchSite: h("sec-fetch-site"), origin: h("origin"), referer: h("referer") },
      options.origin.deriveFromRequest
        ? requestOriginOf(
            { protocol: request.protocol, host: h("host") },
            options.trustProxy
              ? { proto: h("x-forwarded-proto"), host: h("x-forwarded-host") }
              : null,
          )
        : null,
    );
    if (originRefusal !== null) return originRefusal;

    const contentType = h("content-type");
    const kind = bodyKindOf(contentType);
    const formLike = isFormLike(request.method.toUpperCase(), kind);
    if (formLike && options.rejectSimpleContentTypes) return "content-type-refused";
    if (!formLike && options.requireToken !== "always") return null;

    const token = h(TOKEN_HEADER) || (await formField(request, kind, contentType ?? ""));
    if (token !== null && typeof token === "object") return token.refusal;
    if (!token) return "token-missing";
    return requestTokenMatches(session, csrfContextOf(session), tokens, token)
      ? null
      : "token-invalid";
  }

  async function formField(
    request: CsrfRequest,
    kind: ReturnType<typeof bodyKindOf>,
    contentType: string,
  ): Promise<BodyScan> {
    const parsed = request.parsedFormField?.();
    if (typeof parsed === "string") return parsed;
    const scanner = formTokenScanner(kind, contentType);
    if (scanner === null) return null;
    const bytes = options.bodyLimit ?? request.bodyLimit ?? DEFAULT_BODY_LIMIT;
    try {
      return await request.scanBody(scanner, { bytes, idleMs: options.bodyTimeoutMs });
    } catch {
      return null; // an aborted or broken body carries no token
    }
  }

  return {
    options,
    attach(session, cookieHeader, onIssue) {
      const context = attachCsrfContext(session, options.cookie, cookieHeader, onIssue ?? null);
      if (context.refused !== null) sessions.emit({ type: "tampered", reason: context.refused });
      return context;
    },
    async check(session, request) {
      const reason = await decide(session, request);
      if (reason !== null) {
        sessions.emit({
          type: "csrf-refused",
          reason,
          ...(session.ref === null ? {} : { ref: session.ref }),
          ...(session.userId === null ? {} : { userId: session.userId }),
        });
      }
      return reason;
    },
  };
}
