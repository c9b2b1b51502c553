/**
 * A clock the test moves by hand: `now()` for createSessions({ now }), `advance()` to pass time.
 * It starts at the real time and only moves forward, so stores that sweep by the real clock
 * never drop what the fake clock still considers alive.
 */
export function fakeClock(start = Date.now()) {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
  };
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
