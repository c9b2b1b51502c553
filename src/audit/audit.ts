// `latchkey audit` without the command line: crawl the target, probe CORS and the http→https
// redirect, analyze. Every request goes to the target's own host.
import { randomBytes } from "node:crypto";
import type { Report } from "../report/finding.ts";
import type { Observations } from "./analyze.ts";
import { analyze } from "./analyze.ts";
import { crawl } from "./crawl.ts";
import type { FetchedResponse, FetchOptions } from "./fetch.ts";
import { fetchOnce } from "./fetch.ts";
import { bundledCandidates } from "./weak-secret.ts";

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
}

export interface AuditResult {
  report: Report;
  framework: string;
  pages: number;
  errors: { url: string; message: string }[];
}

export class AuditTargetError extends Error {}

/**
 * Audits a site from outside.
 *
 * @example
 * const { report } = await auditSite(new URL("https://staging.example.com"), { maxPages: 5 });
 */
export async function auditSite(target: URL, options: AuditOptions = {}): Promise<AuditResult> {
  const fetchOptions: FetchOptions = {
    timeoutMs: options.timeoutMs ?? 10_000,
    insecure: options.insecure ?? false,
    ca: options.ca,
  };
  // http://host that redirects to https://host: audit the https site, keeping the redirect
  // (same host, so still no other host is contacted).
  let start = target;
  const upgrade = target.protocol === "http:" ? await tryFetch(target, fetchOptions) : undefined;
  const location = upgrade?.headers.location;
  if (
    upgrade !== undefined &&
    upgrade.status >= 300 &&
    upgrade.status < 400 &&
    location !== undefined
  ) {
    const next = safeUrl(location, target);
    if (next?.protocol === "https:" && next.hostname === target.hostname) start = next;
  }
  const crawled = await crawl(start, {
    ...fetchOptions,
    maxPages: options.maxPages ?? 20,
    maxRedirects: options.maxRedirects ?? 5,
    concurrency: options.concurrency ?? 4,
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  if (crawled.responses.length === 0) {
    throw new AuditTargetError(crawled.errors[0]?.message ?? "no response");
  }
  const responses = start === target ? crawled.responses : [upgrade!, ...crawled.responses];
  const obs: Observations = { target: start, responses, links: crawled.links };
  const cors = await corsProbe(start, fetchOptions);
  if (cors !== undefined) obs.corsProbe = cors;
  const http = start === target ? await httpProbe(target, fetchOptions) : undefined;
  if (http !== undefined) obs.httpProbe = http;
  const candidates = [...bundledCandidates(), ...(options.wordlist ?? [])];
  const analysis = analyze(obs, { candidates });
  return {
    report: { target: target.href, findings: analysis.findings },
    framework: analysis.frameworkName,
    pages: new Set(responses.map((r) => r.url)).size,
    errors: crawled.errors,
  };
}

// A random, unresolvable origin: reflecting it proves the server echoes any Origin.
async function corsProbe(target: URL, options: FetchOptions): Promise<Observations["corsProbe"]> {
  const origin = `https://${randomBytes(6).toString("hex")}.latchkey-audit.invalid`;
  const response = await tryFetch(target, { ...options, headers: { origin } });
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

function safeUrl(href: string, base: URL): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}
