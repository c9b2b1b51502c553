// Builds the plain data analyze() reads, so checks can be tested without a network.
import type { Observations } from "../../packages/latchkey-cli/src/audit/analyze.ts";
import type { FetchedResponse } from "../../packages/latchkey-cli/src/audit/fetch.ts";

export function response(
  url: string,
  setCookies: string[] = [],
  headers: Record<string, string> = {},
  body = "",
): FetchedResponse {
  return {
    url,
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
    setCookies,
    body,
  };
}

export function observations(
  target: string,
  responses: FetchedResponse[],
  links: Observations["links"] = [],
): Observations {
  return { target: new URL(target), responses, links };
}

// Headers that satisfy the page-level checks on https, so a test sees only the cookie findings.
export const GOOD_HEADERS = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  // A policy none of the CSP checks objects to.
  "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'none'",
  "cache-control": "no-store",
};

export const SESSION_VALUE = "Xk3v9QpL2mZr8TnB4wYc7HdF6sJa1GeU0oRiKqWx5EyV";
