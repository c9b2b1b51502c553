import type { Cluster, Command, Redis } from "ioredis";

/** Records the names of the commands an ioredis client sends until stop() (no MONITOR needed). */
export function commandCounter(client: Redis | Cluster): { stop(): string[] } {
  const sent: string[] = [];
  // One signature for both client kinds: (command, stream?, node?) => unknown.
  const target = client as unknown as {
    sendCommand: (command: Command, ...rest: unknown[]) => unknown;
  };
  const original = target.sendCommand;
  target.sendCommand = function (this: unknown, command: Command, ...rest: unknown[]) {
    sent.push(command.name.toLowerCase());
    return original.call(this, command, ...rest);
  };
  return {
    stop() {
      target.sendCommand = original;
      return sent;
    },
  };
}
