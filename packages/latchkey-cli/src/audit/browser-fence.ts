// The browser login's fence: a tiny HTTP proxy on the loopback interface that Chromium must use
// for every request, and that forwards only those to the target's origin. In-browser request
// interception does not see redirects (a same-origin page answering 302 to another host would
// be followed), nor every kind of socket; a proxy sees all of them, so the audit keeps its
// promise of talking to the target and nothing else whatever the page does.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";

export interface Fence {
  /** `http://127.0.0.1:PORT`, for Chromium's --proxy-server. */
  server: string;
  /** Requests refused because they left the target's origin. */
  readonly refused: number;
  close: () => Promise<void>;
}

// Hop-by-hop headers belong to one connection, never forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
]);

/** Starts the proxy for `target` on 127.0.0.1 (an ephemeral port). */
export async function startFence(target: URL): Promise<Fence> {
  let refused = 0;
  const port = target.port !== "" ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? "");
    } catch {
      url = undefined;
    }
    // Plain http only: an https target is reached through CONNECT, end to end encrypted.
    if (url === undefined || url.origin !== target.origin || url.protocol !== "http:") {
      refused++;
      res.writeHead(403, { "content-type": "text/plain" }).end("refused by latchkey audit");
      return;
    }
    const upstream = httpRequest(
      url,
      { method: req.method, headers: forwardable(req.headers), agent: false },
      (answer) => {
        const raw: string[] = [];
        for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
          const name = answer.rawHeaders[i]!;
          if (!HOP_BY_HOP.has(name.toLowerCase())) raw.push(name, answer.rawHeaders[i + 1]!);
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, raw);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  // https://, wss:// and ws:// come as CONNECT host:port; only the target's host and port are
  // tunnelled (the page's own WebSocket included).
  server.on("connect", (req, client: Socket, head: Buffer) => {
    if (req.url !== `${target.hostname}:${port}`) {
      refused++;
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(port, target.hostname.replace(/^\[|\]$/g, ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  // A ws:// upgrade sent to the proxy as a plain request is not forwarded.
  server.on("upgrade", (_req, socket: Socket) => {
    refused++;
    socket.destroy();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port: own } = server.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${own}`,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}
