// Starts one benchmark setup on a free loopback port and prints `ready <port>`.
// Run by bench/run.ts under `taskset -c 0`, so the server has a core of its own.
import type { AddressInfo } from "node:net";
import { setups } from "./setups.ts";

const name = process.argv[2];
const setup = setups.find((s) => s.name === name);
if (setup === undefined) {
  console.error(`unknown setup: ${name}`);
  process.exit(2);
}
const server = await setup.start();
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => process.exit(0));
