/**
 * One of a user's sessions, as a "your devices" page shows it. Never contains a token.
 *
 * @example
 * ```ts
 * for (const s of await sessions.listSessions(req.session.userId!, req.session)) {
 *   console.log(s.userAgent, new Date(s.lastSeenAt), s.current ? "(this device)" : s.ref);
 * }
 * ```
 */
export interface SessionInfo {
  /** Pass to `sessions.revoke(ref)`. A hash, not a credential. */
  ref: string;
  createdAt: number;
  lastSeenAt: number;
  /** When it ends without further activity: the earlier of the idle and absolute deadlines. */
  expiresAt: number;
  authTime: number | null;
  userAgent: string | null;
  /** True for the session of the request that asked. */
  current: boolean;
}
