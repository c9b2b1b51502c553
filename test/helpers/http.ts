import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts a real HTTP server on a free loopback port. */
export async function listen(handler: RequestListener | Server): Promise<RunningServer> {
  const server = typeof handler === "function" ? createServer(handler) : handler;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Reply {
  status: number;
  body: string;
  headers: Headers;
  setCookies: string[];
}

/** One request; `cookie` is sent as the Cookie header as given. Redirects are not followed. */
export async function request(
  url: string,
  init: {
    method?: string;
    cookie?: string | undefined;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    body: init.body,
    redirect: "manual",
  });
  return {
    status: res.status,
    body: await res.text(),
    headers: res.headers,
    setCookies: res.headers.getSetCookie(),
  };
}

/** A minimal cookie jar for one cookie name, as a browser would keep it (value only). */
export class CookieJar {
  value: string | undefined;
  constructor(readonly name: string) {}

  /** The Cookie header to send, or undefined. */
  get header(): string | undefined {
    return this.value === undefined ? undefined : `${this.name}=${this.value}`;
  }

  /** Applies a response's Set-Cookie lines for our cookie: a new value, or removal. */
  take(reply: Reply): void {
    for (const line of reply.setCookies) {
      const [pair, ...attributes] = line.split(";");
      const eq = (pair as string).indexOf("=");
      if ((pair as string).slice(0, eq).trim() !== this.name) continue;
      const value = (pair as string).slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      this.value = expired || value === "" ? undefined : value;
    }
  }
}

/** Parses a Set-Cookie line into its name, value and attributes (lower-cased keys). */
export function parseSetCookie(line: string): {
  name: string;
  value: string;
  attributes: Map<string, string>;
} {
  const [pair, ...rest] = line.split(";");
  const eq = (pair as string).indexOf("=");
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf("=");
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    attributes.set(key, i === -1 ? "" : part.slice(i + 1).trim());
  }
  return {
    name: (pair as string).slice(0, eq).trim(),
    value: (pair as string).slice(eq + 1).trim(),
    attributes,
  };
}
