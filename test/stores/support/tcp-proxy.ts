// A TCP proxy on a free loopback port, so a test can cut a client's connections to a service
// (and refuse new ones) without touching the service itself, then restore them.
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Drops every connection and stops accepting new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /** Keeps every connection open but forwards nothing (a service that hangs). */
  stall(): void;
  /** Forwards again what was held back. */
  resume(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let stalled = false;

  const open = async () => {
    const listening = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      if (stalled) {
        client.pause();
        upstream.pause();
      }
    });
    listening.listen(port, "127.0.0.1");
    await once(listening, "listening");
    const address = listening.address();
    if (typeof address === "object" && address !== null) port = address.port;
    server = listening;
  };
  const cut = async () => {
    const closing = server;
    server = null;
    if (closing === null) return;
    const closed = new Promise((resolve) => closing.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await open();
  return {
    port,
    cut,
    restore: open,
    close: cut,
    stall() {
      stalled = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      stalled = false;
      for (const socket of sockets) socket.resume();
    },
  };
}
