// One HTTP request, no redirects followed, bounded in time and size. node:http(s) rather than
// fetch() because the auditor needs every Set-Cookie header as sent, and per-target TLS options
// (--insecure, --ca) for staging sites.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { CliError, isCliError } from "../errors.ts";
import { ANALYSED_HTML_CHARS } from "./html-tags.ts";

export interface FetchOptions {
  timeoutMs: number;
  /** Accept any certificate (self-signed staging sites). */
  insecure: boolean;
  /** Extra CA certificates (PEM) for a private CA. */
  ca: string | undefined;
  headers?: Record<string, string>;
  /** GET unless told; the active checks (`--login`) also POST forms and JSON. */
  method?: string;
  /** Request body (active checks only); Content-Length is set from it. */
  body?: string;
  /** Body bytes kept (HTML only; default what the checks read); the rest is discarded. */
  maxBodyBytes?: number;
  /** Called as each request is sent: the report's `requests` count (every attempt counts). */
  countRequest?: () => void;
}

export interface FetchedResponse {
  url: string;
  status: number;
  /** Header names lowercased; repeated headers joined by ", " except set-cookie. */
  headers: Record<string, string>;
  setCookies: string[];
  body: string;
}

export function fetchOnce(url: URL, options: FetchOptions): Promise<FetchedResponse> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const maxBody = options.maxBodyBytes ?? ANALYSED_HTML_CHARS;
  options.countRequest?.();
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: options.method ?? "GET",
        headers: {
          "user-agent": "latchkey-audit",
          accept: "text/html,application/xhtml+xml,*/*;q=0.8",
          "accept-encoding": "identity",
          ...options.headers,
          ...(options.body !== undefined
            ? { "content-length": String(Buffer.byteLength(options.body)) }
            : {}),
        },
        timeout: options.timeoutMs,
        rejectUnauthorized: !options.insecure,
        // `ca` replaces Node's bundled roots; keep them so --ca adds trust rather than narrowing it.
        ...(options.ca !== undefined ? { ca: [...rootCertificates, options.ca] } : {}),
        // Our own agent per call: no pooled sockets outlive the audit.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const type = String(response.headers["content-type"] ?? "");
        const keep = /html|xml|json|text\/plain/i.test(type) || type === "";
        const finish = () => {
          const headers: Record<string, string> = {};
          const raw = response.rawHeaders;
          const setCookies: string[] = [];
          for (let i = 0; i + 1 < raw.length; i += 2) {
            const name = raw[i]!.toLowerCase();
            const value = raw[i + 1]!;
            if (name === "set-cookie") setCookies.push(value);
            else headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
          }
          resolve({
            url: url.href,
            status: response.statusCode ?? 0,
            headers,
            setCookies,
            body: Buffer.concat(chunks).subarray(0, maxBody).toString("utf8"),
          });
        };
        if (!keep) {
          // Headers are all the checks read of an image or a download.
          finish();
          response.destroy();
          return;
        }
        response.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Nothing past the cap is read: stop the download instead of draining an endless body.
          if (size >= maxBody) {
            finish();
            response.destroy();
          }
        });
        response.on("error", (error) => reject(new CliError("network", error.message)));
        response.on("end", finish);
      },
    );
    // The whole exchange, not just idle time, is bounded.
    const timer = setTimeout(
      () => request.destroy(new CliError("network", `timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on("timeout", () =>
      request.destroy(new CliError("network", `timed out after ${options.timeoutMs} ms`)),
    );
    request.on("error", (error) =>
      reject(isCliError(error, "network") ? error : new CliError("network", describe(error))),
    );
    request.on("close", () => clearTimeout(timer));
    request.end(options.body);
  });
}

function describe(error: Error & { code?: string }): string {
  return error.code !== undefined ? `${error.code}: ${error.message}` : error.message;
}
