import { CookieRequestState } from "../core/cookie-sessions.ts";
import type { RequestState } from "../core/state.ts";
import type { Store } from "../stores/types.ts";

// A sealed cookie session carries its binding inside the seal, so every seal issued before the
// registration — the login's, and the browser's re-seals of it — says "unbound", and a copy of
// one (a HAR file of the login, a proxy log, malware that ran during sign-in) would pass without
// a bound cookie until the session's absolute timeout. Registration therefore ends them the way a
// periodic rotation ends the seal it replaces (core/cookie-sessions.ts): first a grace record
// `g:<sid>:<i>` at now, then the session mark `s:<sid>` at i, the earlier seals' issue time. The
// browser's own requests already in flight with the earlier seal are served read-only (they send
// no cookie) for the rotation grace window; after it the copies are no session. The new seal,
// which carries the binding, is issued after i, so it outlives the mark.

export interface SealTimes {
  readonly graceMs: number;
  readonly absoluteMs: number;
}

/** With sealed cookie sessions: ends the seals issued before this registration. */
export async function retireEarlierSeals(
  store: Store,
  state: RequestState,
  now: number,
  times: SealTimes,
): Promise<void> {
  if (!(state instanceof CookieRequestState) || state.meta === null) return;
  const meta = state.meta;
  const { sid, issuedAt } = meta;
  await store.markRevoked(`g:${sid}:${issuedAt}`, now, now + times.graceMs);
  await store.markRevoked(`s:${sid}`, issuedAt, issuedAt + times.absoluteMs);
  state.meta = { ...meta, issuedAt: Math.max(now, issuedAt + 1) };
  state.validSince = issuedAt + 1;
  state.reissued = true;
}
