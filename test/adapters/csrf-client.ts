// Shared by the CSRF scenario files (csrf-*.test.ts): a client that keeps a browser's cookies,
// a fresh server per describe block on one adapter, and request bodies of each content type.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import {
  createSessions,
  type SessionEvent,
  type Sessions,
} from "../../packages/latchkey/src/index.ts";
import { memoryStore } from "../../packages/latchkey/src/stores/memory.ts";
import { fakeClock } from "../helpers/clock.ts";
import { CookieBrowser as Browser } from "../helpers/cookie-jar.ts";
import type { Reply, RunningServer } from "../helpers/http.ts";
import { testSecret } from "../helpers/secrets.ts";
import type { AppSession } from "./app.ts";
import type { CsrfMount } from "./csrf-mounts.ts";

export { Browser };

export const SESSION = "__Host-session";
export const PRE_SESSION = "__Host-csrf";

export interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  browser?: Browser;
}

export function client(server: () => RunningServer) {
  const origin = () => server().url;
  const send = async (path: string, init: Send = {}) => {
    const headers = { ...init.headers };
    const cookie = init.browser?.header;
    if (cookie !== undefined) headers.cookie = cookie;
    const res = await fetch(origin() + path, {
      method: init.method ?? "GET",
      headers,
      body: init.body ?? null,
      redirect: "manual",
    });
    const reply: Reply = {
      status: res.status,
      body: await res.text(),
      headers: res.headers,
      setCookies: res.headers.getSetCookie(),
    };
    init.browser?.take(reply);
    return reply;
  };
  /** A same-origin JSON request, which needs no token: how the tests set state up. */
  const sameOrigin = (path: string, browser: Browser) =>
    send(path, {
      method: "POST",
      browser,
      headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
      body: "{}",
    });
  const token = async (browser: Browser): Promise<string> =>
    JSON.parse((await send("/csrf-token", { browser })).body).token;
  return { origin, send, sameOrigin, token };
}

export const json = (reply: Reply) => JSON.parse(reply.body);

export function reasonOf(reply: Reply): string | null {
  if (reply.status === 200) return null;
  assert.equal(reply.status, 403, `unexpected status ${reply.status}: ${reply.body}`);
  const body = json(reply);
  assert.equal(body.error, "csrf-refused");
  return body.reason;
}

export function setup(mount: CsrfMount, options?: Parameters<CsrfMount>[1]) {
  const events: SessionEvent[] = [];
  const clock = fakeClock();
  const state = {} as { server: RunningServer; sessions: Sessions<AppSession> };
  before(async () => {
    state.sessions = createSessions<AppSession>({
      secrets: [testSecret()],
      store: memoryStore(),
      now: clock.now,
      onEvent: (e) => events.push(e),
    });
    state.server = await mount(state.sessions, options);
  });
  after(() => state.server.close());
  return { events, clock, state, ...client(() => state.server) };
}

export const CONTENT_TYPES = ["json", "urlencoded", "multipart", "text", "none"] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export const BOUNDARY = "----latchkeyBoundary7MA4YWxkTrZu0gW";

/** A body of `type` carrying `field` as `_csrf` (when given), plus a visible field the app echoes. */
export function bodyOf(
  type: ContentType,
  field: string | undefined,
): { body: string | Uint8Array; contentType?: string } {
  switch (type) {
    case "json":
      return {
        body: JSON.stringify({ title: "hi", ...(field ? { _csrf: field } : {}) }),
        contentType: "application/json",
      };
    case "urlencoded":
      return {
        body: `title=hi+there${field ? `&_csrf=${encodeURIComponent(field)}` : ""}&after=1`,
        contentType: "application/x-www-form-urlencoded",
      };
    case "multipart": {
      const part = (name: string, value: string) =>
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      return {
        body: `${part("title", "hi")}${field ? part("_csrf", field) : ""}${part("after", "1")}--${BOUNDARY}--\r\n`,
        contentType: `multipart/form-data; boundary=${BOUNDARY}`,
      };
    }
    case "text":
      return {
        body: `title=hi${field ? `\r\n_csrf=${field}` : ""}\r\n`,
        contentType: "text/plain;charset=UTF-8",
      };
    case "none":
      return { body: new TextEncoder().encode(`title=hi${field ? `&_csrf=${field}` : ""}`) };
  }
}

export function tamper(token: string): string {
  const i = 50;
  const c = token[i] === "A" ? "B" : "A";
  return token.slice(0, i) + c + token.slice(i + 1);
}
