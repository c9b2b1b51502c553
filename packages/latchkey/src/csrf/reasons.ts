/**
 * Why the CSRF middleware refused a request: sent as `reason` in the 403 body and in the
 * `csrf-refused` event. Stable: branch on these, not on messages.
 */
export type CsrfRefusal =
  /** `Sec-Fetch-Site: cross-site`. */
  | "cross-site"
  /** `Sec-Fetch-Site: same-site` from an origin that is not configured as trusted. */
  | "same-site-untrusted"
  /** A `Sec-Fetch-Site` value the Fetch Metadata spec does not define. */
  | "fetch-metadata-invalid"
  /** `Origin: null` (sandboxed frame, data: URL, cross-origin redirect). */
  | "origin-null"
  /** `Origin` is not an allowed origin (another host, scheme or port). */
  | "origin-mismatch"
  /** No `Origin`; the `Referer` is not from an allowed origin. */
  | "referer-mismatch"
  /** No `Origin`; the `Referer` is not an absolute http(s) URL. */
  | "referer-invalid"
  /** Neither `Origin` nor `Referer`, and `allowMissingOrigin` is off. */
  | "origin-missing"
  /** A form-like content type on a route that accepts only non-simple ones (`rejectSimpleContentTypes`). */
  | "content-type-refused"
  /** A token is required and none was sent (header or `_csrf` field). */
  | "token-missing"
  /** The token is not valid for this session (another session's, tampered, unmasked, or pre-login). */
  | "token-invalid"
  /** No token in the first `bodyLimit` bytes of a form body that is longer (answered 413). */
  | "body-too-large"
  /** The form body stopped arriving for `bodyTimeout` while the token was looked for (answered 408). */
  | "body-timeout";

/** The JSON body of a CSRF refusal. */
export interface CsrfRefusalBody {
  error: "csrf-refused";
  reason: CsrfRefusal;
}
