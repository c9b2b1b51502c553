// `latchkey audit` without the command line: crawl the target, probe CORS and the http→https
// redirect, analyze. Every request goes to the target's own host.
import { randomBytes } from "node:crypto";
import { CliError } from "../errors.ts";
import type { Report } from "../report/finding.ts";
import { sortFindings } from "../report/finding.ts";
import { cliVersion } from "../version.ts";
import type { ActiveResult } from "./active.ts";
import { runActiveChecks } from "./active.ts";
import type { Observations } from "./analyze.ts";
import { analyze } from "./analyze.ts";
import { isLoopback, makeFinding } from "./context.ts";
import { crawl } from "./crawl.ts";
import type { SuppliedCredentials } from "./credentials.ts";
import type { FetchedResponse, FetchOptions } from "./fetch.ts";
import { fetchOnce } from "./fetch.ts";
import { withCookieFix } from "./fixes.ts";
import type { LoginDescription } from "./login-description.ts";
import { checkSameOrigin } from "./login-description.ts";
import { isExpectedHttpsRedirect } from "./response-checks.ts";
import { environmentSecrets, scrubReport, scrubSecrets } from "./secret-values.ts";
import { rate } from "./severity-rules.ts";
import { bundledCandidates } from "./weak-secret.ts";

// The JSON report lists the pages fetched; a big crawl keeps its count but not every URL.
const MAX_LISTED_PAGES = 100;

export interface AuditOptions {
  maxPages?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  concurrency?: number;
  insecure?: boolean;
  /** PEM text of extra CA certificates. */
  ca?: string;
  /** Extra secrets to try (--wordlist), besides the bundled list. */
  wordlist?: readonly Buffer[];
  onProgress?: (done: number, queued: number, url: string) => void;
  /** Where an http:// target's HTTPS is expected (default 443): a redirect elsewhere is not it. */
  httpsPort?: number;
  /** Cookies and headers for the passive crawl (`--cookie`, `--header`, and their `-env` forms). */
  credentials?: SuppliedCredentials;
  /** Active checks (`--login`): how to log in and out, and their limits. */
  login?: {
    description: LoginDescription;
    /** Fresh session ids for the entropy check (default 200). */
    samples?: number;
    /** Requests per second (default 10). */
    rate?: number;
    idleProbeMs?: number;
    env?: NodeJS.ProcessEnv;
    onRequest?: (sent: number, check: string) => void;
  };
}

export interface AuditResult {
  report: Report;
  framework: string;
  pages: number;
  errors: { url: string; message: string }[];
  /** Present when active checks ran. */
  active?: { requests: number; sessionCookie: string };
}

/**
 * Audits a site from outside.
 *
 * @example
 * const { report } = await auditSite(new URL("https://staging.example.com"), { maxPages: 5 });
 */
export async function auditSite(target: URL, options: AuditOptions = {}): Promise<AuditResult> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let requests = 0;
  // Every request of the run (crawl, probes, active checks) goes through fetchOnce with these.
  const fetchOptions: FetchOptions = {
    timeoutMs: options.timeoutMs ?? 10_000,
    insecure: options.insecure ?? false,
    ca: options.ca,
    countRequest: () => {
      requests++;
    },
  };
  // http://host that redirects to https://host: audit the https site, keeping the redirect
  // (same host and the expected port, so still no other service is contacted).
  const httpsPort = options.httpsPort ?? 443;
  // The supplied credentials go to the target as given and to where it redirects on the same
  // host; never to the plain-http probe of an https site, where they would cross the network
  // unencrypted.
  const credentials = options.credentials;
  const authenticated: FetchOptions = {
    ...fetchOptions,
    headers: { ...credentials?.headers, ...cookieHeader(credentials) },
  };
  // Longest first, so a secret that contains another is replaced whole.
  const secrets = [
    ...(options.login !== undefined
      ? environmentSecrets(options.login.description, options.login.env ?? process.env)
      : []),
    ...(credentials?.secrets ?? []),
  ].sort((a, b) => b.value.length - a.value.length);
  let start = target;
  const upgrade = target.protocol === "http:" ? await tryFetch(target, authenticated) : undefined;
  if (upgrade !== undefined && isExpectedHttpsRedirect(upgrade, httpsPort)) {
    start = new URL(upgrade.headers.location!, target);
  }
  const crawled = await crawl(start, {
    ...fetchOptions,
    headers: { ...credentials?.headers },
    cookies: credentials?.cookies ?? [],
    maxPages: options.maxPages ?? 20,
    maxRedirects: options.maxRedirects ?? 5,
    concurrency: options.concurrency ?? 4,
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  if (crawled.responses.length === 0) {
    throw new CliError(
      "network",
      scrubSecrets(crawled.errors[0]?.message ?? "no response", secrets),
    );
  }
  const responses = start === target ? crawled.responses : [upgrade!, ...crawled.responses];
  const obs: Observations = { target: start, responses, links: crawled.links, httpsPort };
  const cors = await corsProbe(start, authenticated);
  if (cors !== undefined) obs.corsProbe = cors;
  const http = start === target ? await httpProbe(target, fetchOptions) : undefined;
  if (http !== undefined) obs.httpProbe = http;
  let active: ActiveResult | undefined;
  if (options.login !== undefined) {
    checkSameOrigin(options.login.description, start);
    active = await runActiveChecks(start, {
      description: options.login.description,
      fetch: fetchOptions,
      ...(options.login.samples !== undefined ? { samples: options.login.samples } : {}),
      ...(options.login.rate !== undefined ? { rate: options.login.rate } : {}),
      ...(options.login.idleProbeMs !== undefined
        ? { idleProbeMs: options.login.idleProbeMs }
        : {}),
      ...(options.login.env !== undefined ? { env: options.login.env } : {}),
      ...(options.login.onRequest !== undefined ? { onRequest: options.login.onRequest } : {}),
    }).catch((error: unknown) => {
      // A failing step's message can quote what the site sent back, credentials included.
      if (error instanceof CliError)
        throw new CliError(error.code, scrubSecrets(error.message, secrets));
      throw error;
    });
    // The login exchange is where the session cookie is set: judge it like any other page.
    obs.responses = [...obs.responses, ...active.responses];
  }
  const candidates = [...bundledCandidates(), ...(options.wordlist ?? [])];
  // Cookies that logged in on their own are session cookies, whatever their names say.
  const analysis = analyze(obs, {
    candidates,
    ...(active !== undefined ? { sessionCookies: active.sessionCookies } : {}),
  });
  const pages = [...new Set(responses.map((r) => r.url))];
  const report: Report = {
    target: target.href,
    findings: analysis.findings,
    skipped: [
      ...analysis.skipped,
      ...(active?.skipped ?? [
        {
          check: "active checks",
          reason:
            "no --login: fixation, adopted ids, logout, CSRF and id entropy need a login description",
        },
        {
          check: "dbsc-not-offered",
          reason: "no --login: whether the site offers DBSC is seen on the login response",
        },
      ]),
    ],
  };
  if (active !== undefined) {
    const ctx = {
      target: start,
      development: start.protocol === "http:" && isLoopback(start.hostname),
      framework: analysis.framework,
      now: Date.now(),
    };
    // Rated with what the passive analysis learnt about each session cookie's format.
    const findings = active.findings.map((f) =>
      rate(
        withCookieFix(
          makeFinding(ctx, f.id, f.severity, f.title, f.evidence, {
            ...(f.url !== undefined ? { url: f.url } : {}),
            ...(f.cookie !== undefined ? { cookie: f.cookie } : {}),
          }),
          analysis.framework,
          analysis.rating.architectures,
        ),
        analysis.rating,
      ),
    );
    report.findings = sortFindings([...analysis.findings, ...findings]);
    report.steps = active.steps;
  }
  report.run = {
    kind: "audit",
    tool: { name: "latchkey", version: cliVersion() },
    startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    framework: analysis.frameworkName,
    pages: { count: pages.length, urls: pages.slice(0, MAX_LISTED_PAGES) },
    requests,
  };
  return {
    report: scrubReport(report, secrets),
    framework: analysis.frameworkName,
    pages: pages.length,
    errors: crawled.errors.map((e) => ({
      url: scrubSecrets(e.url, secrets),
      message: scrubSecrets(e.message, secrets),
    })),
    ...(active !== undefined
      ? { active: { requests: active.requests, sessionCookie: active.sessionCookie } }
      : {}),
  };
}

function cookieHeader(credentials: SuppliedCredentials | undefined): { cookie?: string } {
  if (credentials === undefined || credentials.cookies.length === 0) return {};
  return { cookie: credentials.cookies.map(([name, value]) => `${name}=${value}`).join("; ") };
}

// A random, unresolvable origin: reflecting it proves the server echoes any Origin.
async function corsProbe(target: URL, options: FetchOptions): Promise<Observations["corsProbe"]> {
  const origin = `https://${randomBytes(6).toString("hex")}.latchkey-audit.invalid`;
  const response = await tryFetch(target, { ...options, headers: { ...options.headers, origin } });
  return response === undefined ? undefined : { origin, response };
}

// For an https target on the default port: does http://host/ redirect? (Same host, port 80.)
async function httpProbe(target: URL, options: FetchOptions): Promise<FetchedResponse | undefined> {
  if (target.protocol !== "https:" || target.port !== "") return undefined;
  const url = new URL(`http://${target.host}/`);
  return tryFetch(url, { ...options, timeoutMs: Math.min(options.timeoutMs, 5_000) });
}

async function tryFetch(url: URL, options: FetchOptions): Promise<FetchedResponse | undefined> {
  try {
    return await fetchOnce(url, options);
  } catch {
    return undefined;
  }
}
