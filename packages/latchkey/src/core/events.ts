import type { LoadVerdict } from "./policy.ts";

/**
 * What latchkey reports through `onEvent`. A `ref` is a hash of the session's token id: it lets
 * logs follow one session without ever containing a token (OWASP session cheat sheet, "Logging
 * Sessions Life Cycle"; ASVS 5.0 16.2.5).
 */
export type SessionEventType =
  | "created"
  | "login"
  | "rotated"
  | "expired"
  | "destroyed"
  | "tampered"
  | "unknown-id"
  | "revoked"
  | "user-agent-changed"
  | "csrf-refused"
  | "store-unavailable";

export type TamperReason =
  | "malformed"
  | "bad-mac"
  | "bad-secret"
  | "unknown-key"
  | "does-not-open"
  | "bad-payload";

export interface SessionEvent {
  type: SessionEventType;
  /** Milliseconds since the epoch, from the configured clock. */
  at: number;
  ref?: string;
  /** The ref this one replaced (login, rotated). */
  previousRef?: string;
  userId?: string;
  /**
   * expired: "idle" | "absolute"; rotated: "periodic" | "manual"; login: "reauthenticate" for step-up;
   * revoked: "user" | "others" | "all" | "ref" | "session-limit"; tampered: a TamperReason;
   * csrf-refused: why; store-unavailable: the operation.
   */
  reason?: string;
}

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
