import type { PendingCommit } from "./commit.ts";
import type { SessionLifecycle } from "./session.ts";
import type { RequestState } from "./state.ts";

/**
 * One way of keeping sessions (server store, sealed cookie). Both ask the lifecycle policy
 * (`policy.ts`) what to do and only carry it out; `S` is the mode's own request state.
 */
export interface SessionMode<S extends RequestState> extends SessionLifecycle<S> {
  /** The state of a request that has not presented anything yet. */
  begin(userAgent: string | null): S;
  /** Loads the presented cookie. Undefined when nothing had to be waited for. */
  load(state: S, cookieValue: string): Promise<void> | undefined;
  /** What the response needs: headers now, store writes in `persist()`. */
  prepare(state: S): PendingCommit;
}
