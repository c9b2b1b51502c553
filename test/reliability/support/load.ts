// Logged-in users hammering a real HTTP app (node:http adapter) while its store goes away and
// comes back. Each user is one browser: a stream of sequential requests that write a new value
// and read back the last value the server acknowledged, keeping the cookie the server sends.
//
// What is checked on every answer: 2xx answers are this user's session (never anonymous, never
// another user's) and show every write acknowledged before; anything else must be a 503.
// Afterwards every acknowledged write must still be in the store.
import { setTimeout as sleep } from "node:timers/promises";
import { sessionMiddleware } from "../../../packages/latchkey/src/adapters/node.ts";
import type { SessionData, Sessions } from "../../../packages/latchkey/src/index.ts";
import { listen, type RunningServer } from "../../helpers/http.ts";

export type Values = SessionData & Record<string, unknown>;

export function startLoadApp(sessions: Sessions<Values>): Promise<RunningServer> {
  return listen(
    sessionMiddleware(sessions, async (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const session = req.session;
      const send = (status: number, body: unknown) => {
        res.statusCode = status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      };
      if (req.method === "POST" && url.pathname === "/login") {
        const user = url.searchParams.get("user") ?? "";
        await session.login(user);
        session.set("owner", user);
      } else if (req.method === "POST" && url.pathname === "/write") {
        // The value names the session's owner as the server sees it: a request served from
        // another user's session writes (and shows) that user's name.
        const n = url.searchParams.get("n") ?? "";
        session.set(`w${n}`, `${String(session.get("owner"))}:${n}`);
      } else {
        send(404, { error: "not found" });
        return;
      }
      const check = url.searchParams.get("check");
      send(200, {
        userId: session.userId,
        owner: session.get("owner") ?? null,
        checked: check === null ? null : (session.get(check) ?? null),
      });
    }),
  );
}

interface Answer {
  /** performance.now() when the answer arrived. */
  at: number;
  status: number;
}

export class UserStream {
  cookie: string | undefined;
  /** Sequence numbers of the writes answered 2xx. */
  readonly acked: number[] = [];
  readonly answers: Answer[] = [];
  readonly violations: string[] = [];
  #next = 0;

  constructor(
    readonly user: string,
    readonly base: string,
    readonly cookieName: string,
  ) {}

  async #send(path: string): Promise<{ status: number; body: string } | null> {
    const headers: Record<string, string> = {};
    if (this.cookie !== undefined) headers.cookie = `${this.cookieName}=${this.cookie}`;
    let res: Response;
    let body: string;
    try {
      // Far above any store timeout: a request that takes this long is hung, not failing closed.
      res = await fetch(this.base + path, {
        method: "POST",
        headers,
        signal: AbortSignal.timeout(30_000),
      });
      body = await res.text();
    } catch (error) {
      this.violations.push(`${path}: no answer (${(error as Error).message})`);
      return null;
    }
    this.answers.push({ at: performance.now(), status: res.status });
    if (res.status >= 200 && res.status < 300) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const eq = (pair as string).indexOf("=");
        if ((pair as string).slice(0, eq).trim() !== this.cookieName) continue;
        const expired = /;\s*max-age=0/i.test(line);
        if (expired) this.violations.push(`${path}: a 2xx answer cleared the session cookie`);
        else this.cookie = (pair as string).slice(eq + 1).trim();
      }
    } else if (res.status !== 503) {
      this.violations.push(`${path}: answered ${res.status} ${body.slice(0, 200)}`);
    }
    return { status: res.status, body };
  }

  /** Logs in, retrying 503s (a previous outage may not be over); other answers are violations. */
  async login(deadline: number): Promise<void> {
    while (performance.now() < deadline) {
      const reply = await this.#send(`/login?user=${encodeURIComponent(this.user)}`);
      if (reply?.status === 200) return;
      await sleep(50);
    }
    throw new Error(`${this.user} could not log in`);
  }

  /** One write, checking the answer against everything acknowledged so far. */
  async step(): Promise<void> {
    const n = ++this.#next;
    const last = this.acked.at(-1);
    const check = last === undefined ? "" : `&check=w${last}`;
    const path = `/write?n=${n}${check}`;
    const reply = await this.#send(path);
    if (reply === null || reply.status !== 200) return;
    let body: { userId: unknown; owner: unknown; checked: unknown };
    try {
      body = JSON.parse(reply.body);
    } catch {
      this.violations.push(`${path}: 200 without JSON: ${reply.body.slice(0, 200)}`);
      return;
    }
    if (body.userId !== this.user || body.owner !== this.user) {
      this.violations.push(
        `${path}: answered as user ${JSON.stringify(body.userId)} (owner ${JSON.stringify(body.owner)}), expected ${this.user}`,
      );
      return;
    }
    if (last !== undefined && body.checked !== `${this.user}:${last}`) {
      this.violations.push(
        `${path}: acknowledged write w${last} reads back as ${JSON.stringify(body.checked)}`,
      );
    }
    this.acked.push(n);
  }

  /** Time of the first 2xx answer at or after `t` (performance.now() scale), or null. */
  firstOkAfter(t: number): number | null {
    return this.answers.find((a) => a.at >= t && a.status < 300)?.at ?? null;
  }

  countBetween(status: number, from: number, to: number): number {
    return this.answers.filter((a) => a.status === status && a.at >= from && a.at <= to).length;
  }
}

/** Runs every stream until stop() is called. */
export function runStreams(
  streams: readonly UserStream[],
  pauseMs = 10,
): { stop(): Promise<void> } {
  let running = true;
  const loops = streams.map(async (stream) => {
    while (running) {
      await stream.step();
      await sleep(pauseMs);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export interface Recovery {
  /** ms from the store's return to the first 2xx of any user, or null when nobody got one. */
  first: number | null;
  /** ms from the store's return until every user had a 2xx, or null when some user never did. */
  all: number | null;
  /** Users without a 2xx since the store's return. */
  waiting: string[];
}

/** Recovery after `upAt`, user by user: one user still waiting does not hide the others' answers. */
export function recovery(streams: readonly UserStream[], upAt: number): Recovery {
  const times = streams.map((s) => s.firstOkAfter(upAt));
  const ok = times.filter((t): t is number => t !== null);
  const waiting = streams.filter((_, i) => times[i] === null).map((s) => s.user);
  return {
    first: ok.length === 0 ? null : Math.min(...ok) - upAt,
    all: waiting.length > 0 ? null : Math.max(...ok) - upAt,
    waiting,
  };
}

/**
 * Every acknowledged write of every user, read back through the engine after the run: the number
 * of writes checked, and what is missing or wrong.
 */
export async function lostWrites(
  sessions: Sessions<Values>,
  streams: readonly UserStream[],
): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  let checked = 0;
  for (const stream of streams) {
    const session = await sessions.load({ cookie: `${sessions.cookieName}=${stream.cookie}` });
    if (session.userId !== stream.user) {
      problems.push(`${stream.user}: the session reads as user ${JSON.stringify(session.userId)}`);
      continue;
    }
    for (const n of stream.acked) {
      checked++;
      const value = session.get(`w${n}`);
      if (value !== `${stream.user}:${n}`) {
        problems.push(`${stream.user}: acknowledged write w${n} is ${JSON.stringify(value)}`);
      }
    }
  }
  return { checked, problems };
}
