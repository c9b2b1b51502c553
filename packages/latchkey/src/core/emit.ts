import type { SessionEvent } from "./events.ts";
import type { LoadVerdict } from "./policy.ts";

// How the engine reports events: the sink around the application's handler, and the event shapes
// both modes emit the same way.

export type EventSink = (event: SessionEvent) => void;

/** Wraps the user's handler: a throwing logger must not turn a request into an error. */
export function eventSink(onEvent: ((event: SessionEvent) => void) | undefined): EventSink {
  if (onEvent === undefined) return () => {};
  return (event) => {
    try {
      onEvent(event);
    } catch (error) {
      process.emitWarning(
        `latchkey: onEvent threw while handling a "${event.type}" event: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  };
}

/** The optional `userId` field of an event: present only for a logged-in session. */
export function userOf(userId: string | null | undefined): { userId?: string } {
  return userId == null ? {} : { userId };
}

/** The optional `previousRef` field of an event: present only when there was a session before. */
export function previousOf(previous: string | null): { previousRef?: string } {
  return previous === null ? {} : { previousRef: previous };
}

/** Reports a User-Agent change on a loaded session (before the mode acts on the verdict). */
export function reportUserAgentChanged(
  emit: EventSink,
  ref: string,
  userId: string | null,
  now: number,
): void {
  emit({ type: "user-agent-changed", at: now, ref, ...userOf(userId) });
}

/** Reports a session the load verdict ended, once the mode has ended it. */
export function reportEnded(
  emit: EventSink,
  verdict: LoadVerdict,
  ref: string,
  userId: string | null,
  now: number,
): void {
  if (verdict.kind === "expired") {
    emit({ type: "expired", at: now, ref, reason: verdict.reason, ...userOf(userId) });
  } else {
    emit({ type: "destroyed", at: now, ref, reason: "user-agent-changed", ...userOf(userId) });
  }
}
