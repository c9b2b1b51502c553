// Fetches the target and the same-origin pages it links to, breadth first, a few at a time.
// Redirects are followed by hand (bounded) so every hop's headers are audited, and only while
// they stay on the target's origin: the auditor never sends a request to another host.
import { CliError } from "../errors.ts";
import { CookieJar } from "./cookie-jar.ts";
import type { FetchedResponse, FetchOptions } from "./fetch.ts";
import { fetchOnce } from "./fetch.ts";
import { extractLinks } from "./links.ts";

export interface CrawlOptions extends FetchOptions {
  maxPages: number;
  maxRedirects: number;
  concurrency: number;
  onProgress?: (done: number, queued: number, url: string) => void;
  /** Cookies to start with (`--cookie`): sent like a logged-in browser's, replaced if the site sets them. */
  cookies?: readonly [string, string][];
}

export interface CrawlResult {
  /** Every response, redirect hops included, in the order received. */
  responses: FetchedResponse[];
  /** Links seen in pages (same-origin or not), for the session-id-in-URL check. */
  links: { page: string; href: string }[];
  /** Pages that could not be fetched, with why. */
  errors: { url: string; message: string }[];
}

// Following these could change state on the site (log the auditor out, delete something).
const UNSAFE_PATH = /(log-?out|sign-?out|delete|remove|destroy)/i;
const STATIC_ASSET =
  /\.(png|jpe?g|gif|svg|ico|webp|avif|css|js|mjs|map|woff2?|ttf|eot|pdf|zip|gz|mp4|webm|mp3)$/i;

export async function crawl(start: URL, options: CrawlOptions): Promise<CrawlResult> {
  const origin = start.origin;
  const result: CrawlResult = { responses: [], links: [], errors: [] };
  const seen = new Set<string>([pageKey(start)]);
  const queue: URL[] = [start];
  const jar = new CookieJar(options.cookies ?? []);
  let done = 0;

  const visit = async (url: URL) => {
    // --timeout bounds a page as a whole: its redirect hops, its body and reading its links.
    const deadline = performance.now() + options.timeoutMs;
    let current = url;
    for (let hop = 0; hop <= options.maxRedirects; hop++) {
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) throw new CliError("network", `timed out after ${options.timeoutMs} ms`);
      const cookieHeader = jar.header();
      const response = await fetchOnce(current, {
        ...options,
        timeoutMs: remaining,
        headers: {
          ...options.headers,
          ...(cookieHeader !== undefined ? { cookie: cookieHeader } : {}),
        },
      });
      result.responses.push(response);
      jar.update(response.setCookies);
      const location = response.headers.location;
      if (response.status >= 300 && response.status < 400 && location !== undefined) {
        const next = safeUrl(location, current);
        if (next === undefined || next.origin !== origin) return;
        current = next;
        continue;
      }
      if (/html/i.test(response.headers["content-type"] ?? "")) {
        for (const href of extractLinks(response.body, deadline)) {
          result.links.push({ page: response.url, href });
          const link = safeUrl(href, current);
          if (link === undefined || link.origin !== origin) continue;
          if (UNSAFE_PATH.test(link.pathname) || STATIC_ASSET.test(link.pathname)) continue;
          const key = pageKey(link);
          if (seen.has(key) || seen.size >= options.maxPages) continue;
          seen.add(key);
          queue.push(link);
        }
      }
      return;
    }
  };

  const worker = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      options.onProgress?.(done, seen.size, url.href);
      try {
        await visit(url);
      } catch (error) {
        result.errors.push({
          url: url.href,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      done++;
    }
  };
  // Workers that find the queue empty stop; start new ones while pages remain.
  while (queue.length > 0) {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));
  }
  return result;
}

function pageKey(url: URL): string {
  return `${url.origin}${url.pathname}${url.search}`;
}

function safeUrl(href: string, base: URL): URL | undefined {
  try {
    const url = new URL(href, base);
    url.hash = "";
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
