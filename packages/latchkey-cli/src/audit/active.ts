// The active checks (`latchkey audit --login`): log in and watch what the session does.
// Session fixation, logout invalidation, adopted ids (for each cookie that logs in on its own),
// CSRF acceptance, token entropy and, on request, the idle timeout. Every request goes through ActiveClient (target origin only,
// rate-limited, a hard budget) and is recorded, redacted, for the report.

import { CliError } from "../errors.ts";
import type { ReportStep, SkippedCheck } from "../report/finding.ts";
import type { ClientLimits } from "./active-client.ts";
import { ActiveClient } from "./active-client.ts";
import type { PendingFinding } from "./active-result.ts";
import { clientSessionName, decodeClientSession } from "./client-session.ts";
import { CookieJar } from "./cookie-jar.ts";
import { probeCsrf } from "./csrf-probe.ts";
import { checkDbsc } from "./dbsc-check.ts";
import { checkEntropy } from "./entropy-check.ts";
import type { FetchedResponse, FetchOptions } from "./fetch.ts";
import { checkAdopted, checkFixation } from "./fixation-checks.ts";
import type { LoginDescription } from "./login-description.ts";
import type { Flow } from "./login-flow.ts";
import { isLoggedIn, logIn } from "./login-flow.ts";
import { checkLogout } from "./logout-check.ts";
import { classifySession, isClientSide } from "./session-architecture.ts";
import { findSessionCookies } from "./session-cookies.ts";
import { signedCookieFor } from "./weak-secret.ts";

export interface ActiveOptions {
  description: LoginDescription;
  fetch: FetchOptions;
  /** Fresh session ids to collect for the entropy check (default 200). */
  samples?: number;
  /** Requests per second (default 10). */
  rate?: number;
  /** Wait this long with an idle logged-in session, then see whether it still works. */
  idleProbeMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Called before each request, with the check that sends it (a progress line on a terminal). */
  onRequest?: (sent: number, check: string) => void;
}

export interface ActiveResult {
  findings: PendingFinding[];
  steps: ReportStep[];
  /** Checks that did not apply to a cookie (client-side data has no id) or were not asked for. */
  skipped: SkippedCheck[];
  /** The login exchange and the first logged-in page, for the passive checks. */
  responses: FetchedResponse[];
  sessionCookie: string;
  /** Every cookie that logs in on its own (the session cookie first). */
  sessionCookies: string[];
  requests: number;
}

/**
 * The most requests one run may send, whatever happens: fixed checks plus the samples (up to three
 * requests each when every sample is a login, and a second batch when a bit test failure is
 * re-run).
 */
export function requestBudget(samples: number): number {
  return 80 + 6 * samples;
}

export async function runActiveChecks(target: URL, options: ActiveOptions): Promise<ActiveResult> {
  const samples = options.samples ?? 200;
  const limits: ClientLimits = {
    rate: options.rate ?? 10,
    budget: requestBudget(samples),
    ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
  };
  const client = new ActiveClient(target, options.fetch, limits);
  const flow: Flow = {
    client,
    description: options.description,
    env: options.env ?? process.env,
    target,
  };
  return run(flow, samples, options.idleProbeMs);
}

async function run(flow: Flow, samples: number, idleProbeMs?: number): Promise<ActiveResult> {
  const { client, description } = flow;
  const findings: PendingFinding[] = [];
  const skipped: SkippedCheck[] = [];

  if (await isLoggedIn(flow, "login", new CookieJar()))
    throw new CliError(
      "active-check",
      `loggedIn: ${description.loggedIn.url} already looks logged in without any cookie; give a status or text that only a logged-in user sees`,
    );
  const jar = new CookieJar();
  const { page, login } = await logIn(flow, "login", jar);
  const preLogin = new CookieJar();
  for (const r of page) preLogin.update(r.setCookies);
  if (!(await isLoggedIn(flow, "login", jar))) {
    const last = login.at(-1);
    throw new CliError(
      "active-check",
      `the login did not succeed: ${description.login.method} ${description.login.url} answered ${last?.status ?? "?"}, and ${description.loggedIn.url} does not look logged in afterwards (check the credentials and the loggedIn expectation)`,
    );
  }
  // Every cookie that logs in on its own is a way in: each is checked; the first is the
  // session cookie proper (entropy, the idle probe and the report's summary line use it).
  const cookies = await findSessionCookies(flow, jar);
  const name = cookies[0]!;
  const clientSide = decodeClientSession(name, jar.get(name) ?? "", new Set(jar.names()));
  const loginUrl = new URL(description.login.url, flow.target).href;
  const where = { url: loginUrl, cookie: name };
  findings.push(...checkDbsc(flow, login, where));

  // The idle probe's session is its own, logged in now and left untouched until the end.
  let idle: { jar: CookieJar; since: number } | undefined;
  if (idleProbeMs !== undefined) {
    const idleJar = new CookieJar();
    await logIn(flow, "idle-probe", idleJar);
    idle = { jar: idleJar, since: Date.now() };
  }

  const values = new Map(jar.names().map((n): [string, string] => [n, jar.get(n) ?? ""]));
  for (const cookie of cookies) {
    const at = { url: loginUrl, cookie };
    findings.push(...(await checkFixation(flow, preLogin, jar, cookie, at)));
    const value = jar.get(cookie) ?? "";
    const arch = classifySession(
      decodeClientSession(cookie, value, new Set(jar.names())),
      signedCookieFor(cookie, value, values)?.format,
    );
    // A planted value of signed or sealed data fails its signature: the test would prove only
    // that the site checks signatures. Forging one needs the secret (session-secret-weak).
    if (isClientSide(arch.architecture)) {
      const reason = `${arch.label}: there is no id to plant; a forged value needs the secret (session-secret-weak)`;
      flow.client.note("session-id-adopted", `plant a ${cookie} value`, "skipped", reason);
      skipped.push({ check: "session-id-adopted", cookie, reason });
    } else findings.push(...(await checkAdopted(flow, preLogin, cookie, value, at)));
  }
  if (description.csrfProbe !== undefined) {
    const csrf = await probeCsrf(flow, jar);
    if (csrf !== undefined) findings.push(csrf);
  } else
    skipped.push({
      check: "csrf-accepted",
      reason: "the login description has no csrfProbe (a harmless state-changing request)",
    });
  findings.push(...(await checkLogout(flow, jar, cookies, loginUrl)));
  const entropy = await checkEntropy(flow, {
    name,
    samples,
    clientSide: clientSide === undefined ? undefined : clientSessionName(clientSide.format),
    sealed: clientSide?.sealed ?? false,
    issuedBeforeLogin: preLogin.get(name) !== undefined,
  });
  if (entropy !== undefined && "skipped" in entropy)
    skipped.push({ check: "session-id-low-entropy", cookie: name, reason: entropy.skipped });
  else if (entropy !== undefined) findings.push({ ...entropy, ...where });
  if (idle !== undefined && idleProbeMs !== undefined) {
    const wait = idle.since + idleProbeMs - Date.now();
    flow.client.note(
      "idle-probe",
      `wait ${formatMs(idleProbeMs)} with the session unused`,
      "(no request)",
    );
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const alive = await isLoggedIn(flow, "idle-probe", idle.jar);
    if (alive)
      findings.push({
        id: "session-idle-timeout-long",
        severity: "medium",
        title: "Session still valid after the idle period",
        evidence: `a session left unused for ${formatMs(idleProbeMs)} still authenticates ${description.loggedIn.url}`,
        ...where,
      });
  } else
    skipped.push({
      check: "session-idle-timeout-long",
      reason: "not asked for: --idle-probe DURATION leaves a session unused that long",
    });
  return {
    findings,
    skipped,
    steps: client.steps,
    responses: [...page, ...login],
    sessionCookie: name,
    sessionCookies: cookies,
    requests: client.sent,
  };
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
