// A prefetch is the browser or Next's router fetching a page before (and often without) a click:
// no activity of the user's. Were Proxy to save on one, a tab left open with links in view would
// keep its session's idle clock going without anyone there (Next prefetches again as its cache
// goes stale), and a rotation could go out on a response the browser may never use. The matcher
// in Next's docs skips these requests already; this keeps Proxy read-only for them when an app's
// matcher does not. Any client can send these headers, which only ever makes a request write less.

/** Whether the request is a prefetch: Next's router, `<link rel=prefetch>`, or speculation rules. */
export function isPrefetch(headers: Headers): boolean {
  if (headers.has("next-router-prefetch")) return true;
  // `Purpose: prefetch` (older browsers), `Sec-Purpose: prefetch` or `prefetch;prerender`.
  for (const name of ["purpose", "sec-purpose"]) {
    const value = headers.get(name);
    if (value !== null && /(?:^|[\s,;])prefetch(?:$|[\s,;])/i.test(value)) return true;
  }
  return false;
}
