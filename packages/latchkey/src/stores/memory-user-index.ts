// The memory store's sessions by user id, so that listSessions, revokeUser and a login under
// maxSessionsPerUser look at the user's own sessions instead of scanning every logged-in one
// (a scan costs ~30 ms at 100,000 logged-in sessions, on the login request's path).

/** Refs of the logged-in sessions held, grouped by user id. */
export class UserIndex {
  readonly #refs = new Map<string, Set<string>>();

  add(userId: string, ref: string): void {
    const refs = this.#refs.get(userId);
    if (refs === undefined) this.#refs.set(userId, new Set([ref]));
    else refs.add(ref);
  }

  delete(userId: string, ref: string): void {
    const refs = this.#refs.get(userId);
    if (refs === undefined) return;
    refs.delete(ref);
    // An empty set would outlive every session of its user.
    if (refs.size === 0) this.#refs.delete(userId);
  }

  /** A copy: the caller may change the index while going through it. */
  refsOf(userId: string): string[] {
    const refs = this.#refs.get(userId);
    return refs === undefined ? [] : [...refs];
  }

  clear(): void {
    this.#refs.clear();
  }
}
