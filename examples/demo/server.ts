// `npm run demo`: the demo app on SQLite, no configuration needed. Prints its URL.
import type { AddressInfo } from "node:net";
import { createDemo } from "./app.ts";

const demo = await createDemo({
  databasePath: process.env.DEMO_DB ?? new URL("../../latchkey-demo.db", import.meta.url).pathname,
  ...(process.env.DEMO_IDLE_TIMEOUT ? { idleTimeout: process.env.DEMO_IDLE_TIMEOUT } : {}),
  onEvent: (event) =>
    console.log(`session event: ${event.type}${event.reason ? ` (${event.reason})` : ""}`),
});

const server = demo.app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`latchkey demo listening on http://localhost:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => demo.close().then(() => process.exit(0))));
}
