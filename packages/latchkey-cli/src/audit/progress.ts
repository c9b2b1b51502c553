// The progress line `latchkey audit` keeps on stderr when it is a terminal: `page 3/12 · ~4s
// left <url>` while crawling, then `check 2/6 <check> · request 41 · ~1m 20s left` during the
// active checks. Totals come from what is planned, so the line says how far along the run is,
// not only that it moves; the time left appears once there is a rate to extrapolate from.
// Only the CLI draws it, only on a TTY, and never into the report (stdout, --json, --sarif).
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

/** What the active checks will do: the checks in order, the entropy samples, the idle wait. */
export interface ActivePlan {
  checks: readonly string[];
  /** Fresh session ids the entropy check collects, one request each at least. */
  samples: number;
  idleProbeMs?: number;
}

export interface ProgressLine {
  page: (done: number, queued: number, url: string) => void;
  request: (sent: number, check: string) => void;
  clear: () => void;
}

const ENTROPY_CHECK = "session-id-low-entropy";
const IDLE_CHECK = "idle-probe";

/**
 * Time left, extrapolated linearly from `done` of `total` units in `elapsedMs`; undefined until
 * there is a rate (at least one unit done and some time passed) or when nothing is left to do.
 *
 * @example estimateRemainingMs(3, 12, 1500) // 4500
 */
export function estimateRemainingMs(
  done: number,
  total: number,
  elapsedMs: number,
): number | undefined {
  if (done <= 0 || elapsedMs <= 0 || total <= done) return undefined;
  return (elapsedMs / done) * (total - done);
}

/**
 * A duration for a progress line, rounded to what a reader can use: `~45s`, `~2m 05s`, `~1h 10m`.
 *
 * @example formatTimeLeft(125_000) // "~2m 05s left"
 */
export function formatTimeLeft(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `~${s}s left`;
  if (s < 3600) return `~${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s left`;
  return `~${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m left`;
}

/**
 * Requests the active checks still have to send, estimated from those sent so far: each check
 * not yet begun costs what an average finished check cost, the entropy check its samples.
 *
 * @example remainingActiveRequests(plan, ["login", "session-cookie"], 6, 0) // 3 checks × 3 + 200 samples: 209
 */
export function remainingActiveRequests(
  plan: ActivePlan,
  started: readonly string[],
  sent: number,
  entropySent: number,
): number {
  const begun = started.filter((c) => c !== ENTROPY_CHECK && c !== IDLE_CHECK);
  const perCheck = begun.length > 0 ? (sent - entropySent) / begun.length : 4;
  const notBegun = plan.checks.filter(
    (c) => !started.includes(c) && c !== ENTROPY_CHECK && c !== IDLE_CHECK,
  ).length;
  return Math.round(notBegun * perCheck + Math.max(0, plan.samples - entropySent));
}

/**
 * Progress callbacks that redraw one line through `write` (every site string escaped). `now`
 * is a monotonic clock in milliseconds (tests pass their own).
 *
 * @example const line = progressLine((t) => process.stderr.write(t), plan)
 */
export function progressLine(
  write: (text: string) => void,
  plan: ActivePlan,
  now: () => number = () => performance.now(),
): ProgressLine {
  const started: string[] = [];
  let crawlStart: number | undefined;
  let firstRequest: { at: number; sent: number } | undefined;
  let entropyFrom: number | undefined;
  let idleSince: number | undefined;
  let last = 0;
  let lastCheck: string | undefined;
  const redraw = (text: string) => write(`\r\u001b[2K${text}`);
  return {
    page: (done, queued, url) => {
      crawlStart ??= now();
      const left = estimateRemainingMs(done, queued, now() - crawlStart);
      const eta = left !== undefined ? ` · ${formatTimeLeft(left)}` : "";
      redraw(`page ${done + 1}/${queued}${eta} ${safe(url.slice(0, 100))}`);
    },
    request: (sent, check) => {
      const t = now();
      firstRequest ??= { at: t, sent };
      if (!started.includes(check)) started.push(check);
      if (check === ENTROPY_CHECK) entropyFrom ??= sent - 1;
      if (check === IDLE_CHECK) idleSince ??= t;
      // A check outside the plan still counts, so the numerator never exceeds the total.
      const total = Math.max(plan.checks.length, started.length);
      const entropySent = entropyFrom !== undefined ? sent - entropyFrom : 0;
      const remaining = remainingActiveRequests(plan, started, sent, entropySent);
      const done = sent - firstRequest.sent + 1;
      let left = estimateRemainingMs(done - 1, done - 1 + remaining, t - firstRequest.at);
      // The idle probe's verdict waits for its idle period, whatever else is left.
      if (plan.idleProbeMs !== undefined && idleSince !== undefined)
        left = Math.max(left ?? 0, idleSince + plan.idleProbeMs - t) || undefined;
      const eta = left !== undefined ? ` · ${formatTimeLeft(left)}` : "";
      // Redrawing costs a write per request; a terminal cannot show more than ~10 a second.
      if (check === lastCheck && t - last < 100) return;
      last = t;
      lastCheck = check;
      redraw(`check ${started.length}/${total} ${safe(check)} · request ${sent}${eta}`);
    },
    clear: () => write("\r\u001b[2K"),
  };
}
