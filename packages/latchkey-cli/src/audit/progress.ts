// The progress line `latchkey audit` keeps on stderr when it is a terminal: `page 3/12 <url>`
// while crawling, then `check 2/6 <check> · request 41` during the active checks. Totals come
// from what is planned, so the line says how far along the run is, not only that it moves.
import { escapeForTerminal as safe } from "../report/terminal-text.ts";
import type { LoginDescription } from "./login-description.ts";

/**
 * The active checks a run will perform, in the order they first send a request (`login` and
 * the session-cookie discovery first; the idle probe's own login comes early, its verdict last).
 *
 * @example plannedActiveChecks(description, false).length // 6 when there is no csrfProbe
 */
export function plannedActiveChecks(description: LoginDescription, idleProbe: boolean): string[] {
  return [
    "login",
    "session-cookie",
    ...(idleProbe ? ["idle-probe"] : []),
    "session-fixation",
    "session-id-adopted",
    ...(description.csrfProbe !== undefined ? ["csrf-accepted"] : []),
    "logout-not-invalidated",
    "session-id-low-entropy",
  ];
}

export interface ProgressLine {
  page: (done: number, queued: number, url: string) => void;
  request: (sent: number, check: string) => void;
  clear: () => void;
}

/**
 * Progress callbacks that redraw one line through `write` (every site string escaped).
 *
 * @example const line = progressLine((t) => process.stderr.write(t), planned)
 */
export function progressLine(
  write: (text: string) => void,
  planned: readonly string[],
): ProgressLine {
  const started = new Set<string>();
  const redraw = (text: string) => write(`\r\u001b[2K${text}`);
  return {
    page: (done, queued, url) => redraw(`page ${done + 1}/${queued} ${safe(url.slice(0, 100))}`),
    request: (sent, check) => {
      started.add(check);
      // A check outside the plan still counts, so the numerator never exceeds the total.
      const total = Math.max(planned.length, started.size);
      redraw(`check ${started.size}/${total} ${safe(check)} · request ${sent}`);
    },
    clear: () => write("\r\u001b[2K"),
  };
}
